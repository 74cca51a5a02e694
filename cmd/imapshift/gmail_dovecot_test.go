package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// dovecotContents maps each non-empty folder of a Dovecot user to the
// Message-Ids it holds (sorted), with each message's keywords and first
// header line, for the assertions.
func dovecotContents(t *testing.T, d *dovecot.Server, user, pass string) (folders map[string]string, kw map[string][]string, first map[string]string) {
	t.Helper()
	c := dovecotClient(t, d, user, pass)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	folders, kw, first = map[string]string{}, map[string][]string{}, map[string]string{}
	for _, l := range list {
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil || sel.NumMessages == 0 {
			continue
		}
		body := &imap.FetchItemBodySection{Peek: true}
		msgs, err := c.Fetch(imap.SeqSetNum(1, sel.NumMessages), &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range msgs {
			raw := string(m.FindBodySection(body))
			id := gmailIDRe.FindStringSubmatch(raw)[1]
			ids = append(ids, id)
			for _, f := range m.Flags {
				if !strings.HasPrefix(string(f), `\`) {
					kw[id] = append(kw[id], string(f))
				}
			}
			slices.Sort(kw[id])
			first[id], _, _ = strings.Cut(raw, "\r\n")
		}
		slices.Sort(ids)
		folders[l.Mailbox] = strings.Join(ids, " ")
	}
	return folders, kw, first
}

// seedGmailSource gives a Gmail account five messages: in INBOX only, in
// INBOX with two labels, with a label, archived (All Mail only), sent
// with a label.
func seedGmailSource(t *testing.T, u *imapmem.User) {
	t.Helper()
	for i, labels := range [][]string{{`\Inbox`}, {`\Inbox`, "Work/2024", `\Important`}, {"Work/2024"}, {}, {`\Sent`, "Été"}} {
		if _, err := u.SeedLabels(gmailMessage(i), labels...); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGmailToDovecotModes: --gmail1 toward Dovecot in the three
// --gmaillabels modes: one copy per message, the exact folders, the
// keywords or the X-Gmail-Labels header, All Mail holding only what has
// no other label; a rerun copies nothing.
func TestGmailToDovecotModes(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		folders map[string]string
		kw      map[string][]string
		first   map[string]string
	}{
		{"folders", map[string]string{
			"INBOX": "g0@example.org", "Work/2024": "g1@example.org g2@example.org", "Été": "g4@example.org", "All Mail": "g3@example.org",
		}, map[string][]string{}, nil},
		{"keywords", map[string]string{
			"INBOX": "g0@example.org", "Work/2024": "g1@example.org g2@example.org", "Été": "g4@example.org", "Archive": "g3@example.org",
		}, map[string][]string{"g1@example.org": {"Important", "Inbox"}, "g4@example.org": {"Sent"}}, nil},
		{"header", map[string]string{
			"INBOX": "g0@example.org", "Work/2024": "g1@example.org g2@example.org", "Été": "g4@example.org", "All Mail": "g3@example.org",
		}, map[string][]string{}, map[string]string{
			"g0@example.org": `X-Gmail-Labels: \Inbox`, "g1@example.org": `X-Gmail-Labels: Work/2024, \Important, \Inbox`,
			"g2@example.org": "X-Gmail-Labels: Work/2024", "g3@example.org": "From: a3@example.org", "g4@example.org": `X-Gmail-Labels: \Sent, Été`,
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			s1 := imapmem.StartT(t, imapmem.Options{Gmail: true})
			seedGmailSource(t, s1.AddUser("alice", "pw1"))
			d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
			env, iso := gmailEnv(t)
			args := append(append(append([]string{"--gmail1", "--gmaillabels", tc.mode}, iso...), memSide(1, s1, "alice", "pw1")...), dovecotSide(2, d2, "user2", "secret2", "--notls2")...)
			r := runArgs(t, env, args...)
			folders, kw, first := dovecotContents(t, d2, "user2", "secret2")
			if r.code != 0 || fmt.Sprint(folders) != fmt.Sprint(tc.folders) || fmt.Sprint(kw) != fmt.Sprint(tc.kw) {
				t.Fatalf("exit %d\nfolders %v\n   want %v\nkeywords %v\n    want %v\n%s%s", r.code, folders, tc.folders, kw, tc.kw, r.stdout, r.stderr)
			}
			for id, w := range tc.first {
				if first[id] != w {
					t.Errorf("%s starts %q, want %q", id, first[id], w)
				}
			}
			if tc.mode == "keywords" && !strings.Contains(r.stdout, "  label [\\Important] -> keyword Important") {
				t.Errorf("keyword mapping not reported:\n%s", r.stdout)
			}
			r = runArgs(t, env, args...)
			if r.code != 0 || !strings.Contains(r.stdout, "Messages transferred                    : 0") {
				t.Errorf("rerun: exit %d\n%s", r.code, r.stdout)
			}
			// The rerun's flag resync keeps the label keywords.
			if folders, kw, _ = dovecotContents(t, d2, "user2", "secret2"); fmt.Sprint(folders) != fmt.Sprint(tc.folders) || fmt.Sprint(kw) != fmt.Sprint(tc.kw) {
				t.Errorf("after the rerun: folders %v keywords %v", folders, kw)
			}
		})
	}
}

// TestDovecotToGmail: each Dovecot folder a message is in becomes a label
// of the one Gmail message.
func TestDovecotToGmail(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	dm := func(i int) dovecot.Message { return dovecot.Message{Raw: gmailMessage(i).Raw} }
	if err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: []dovecot.Message{dm(0), dm(1)}},
		{Name: "Work", Msgs: []dovecot.Message{dm(1), dm(2)}},
		{Name: "Projects/Été", Msgs: []dovecot.Message{dm(2), dm(3)}},
	}); err != nil {
		t.Fatal(err)
	}
	s2 := imapmem.StartT(t, imapmem.Options{Gmail: true})
	u2 := s2.AddUser("bob", "pw2")
	env, iso := gmailEnv(t)
	args := append(append(append([]string{"--gmail2", "--synclabels"}, iso...), dovecotSide(1, d1, "user1", "secret1", "--notls1")...), memSide(2, s2, "bob", "pw2")...)
	r := runArgs(t, env, args...)
	want := map[string]string{"g0@example.org": `\Inbox`, "g1@example.org": `Work \Inbox`, "g2@example.org": "Projects/Été Work", "g3@example.org": "Projects/Été"}
	if got := gmailLabels(t, u2); r.code != 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("exit %d, labels\n got %v\nwant %v\n%s%s", r.code, got, want, r.stdout, r.stderr)
	}
	if n := s2.Faults().Count("APPEND"); n != 4 {
		t.Errorf("%d APPEND for 4 distinct messages", n)
	}
}
