package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// gmailPair is two servers, host1 and host2, Gmail or not.
func gmailPair(t *testing.T, gmail1, gmail2 bool, localised2 bool) *pair {
	t.Helper()
	p := &pair{
		s1: imapmem.StartT(t, imapmem.Options{Gmail: gmail1}),
		s2: imapmem.StartT(t, imapmem.Options{Gmail: gmail2, GmailLocalised: localised2}),
	}
	p.u1 = p.s1.AddUser("alice", "secret1")
	p.u2 = p.s2.AddUser("bob", "secret2")
	return p
}

func labelMsg(i int) imapmem.Message {
	raw := fmt.Sprintf("From: sender%d@example.org\r\nTo: alice@example.org\r\nSubject: message %d\r\nMessage-Id: <m%d@example.org>\r\nDate: Mon, 1 Jun 2020 10:00:00 +0000\r\n\r\nbody %d\r\n", i, i, i, i)
	return imapmem.Message{Raw: []byte(raw), Date: time.Date(2020, 6, 1, 10, 0, 0, 0, time.UTC), Flags: []imap.Flag{imap.FlagSeen}}
}

var msgIDRe = regexp.MustCompile(`Message-Id: <([^>]+)>`)

// labelsByMsgID returns each message's labels by Message-Id, and fails on
// a Message-Id seen twice.
func labelsByMsgID(t *testing.T, u *imapmem.User) map[string]string {
	t.Helper()
	msgs, err := u.GmailMessages()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ids := map[uint64]bool{}
	for _, m := range msgs {
		id := msgIDRe.FindStringSubmatch(string(m.Raw))[1]
		if _, dup := out[id]; dup || ids[m.MsgID] {
			t.Errorf("message %s is twice in the account", id)
		}
		ids[m.MsgID] = true
		out[id] = strings.Join(m.Labels, " ")
	}
	return out
}

// labelCase seeds host1 with messages whose labels cycle through sets.
var labelSets = [][]string{
	{`\Inbox`},
	{`\Inbox`, "Work/2024", `\Important`},
	{"Work/2024"},
	{},
	{`\Sent`, "Été"},
}

func seedLabels(t *testing.T, u *imapmem.User, n int) map[string]string {
	t.Helper()
	want := map[string]string{}
	for i := 0; i < n; i++ {
		set := labelSets[i%len(labelSets)]
		if _, err := u.SeedLabels(labelMsg(i), set...); err != nil {
			t.Fatal(err)
		}
		s := slices.Clone(set)
		slices.Sort(s)
		want[fmt.Sprintf("m%d@example.org", i)] = strings.Join(s, " ")
	}
	return want
}

func labelOptions(t *testing.T, p *pair, out *bytes.Buffer) Options {
	o := p.options(t, out)
	o.SyncLabels, o.ResyncLabels, o.Gmail1 = true, true, true
	o.SkipCrossDuplicates = true
	o.Automap = true
	return o
}

func TestLabelsGmailToGmail(t *testing.T) {
	p := gmailPair(t, true, true, false)
	want := seedLabels(t, p.u1, 25)
	var out bytes.Buffer
	dry := labelOptions(t, p, &out)
	dry.Dry = true
	if _, err := Run(context.Background(), dry); err != nil || !strings.Contains(out.String(), "Labels: host1's labels would be set on every message of the synced folders in host2's [[Gmail]/All Mail] after the copy (not really since --dry mode)") {
		t.Errorf("dry run (%v):\n%s", err, out.String())
	}
	if p.s2.Faults().Count("APPEND")+p.s2.Faults().Count("STORE") != 0 {
		t.Errorf("the dry run changed host2")
	}
	out.Reset()
	res, err := Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transferred != 25 || res.Errors.Count() != 0 {
		t.Fatalf("transferred %d, errors %d:\n%s", res.Transferred, res.Errors.Count(), out.String())
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("host2 labels:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(out.String(), "Labels: 20 messages of host2 got host1's labels, with 4 UID STORE") {
		t.Errorf("no labels line:\n%s", out.String())
	}

	// A rerun copies nothing and stores nothing.
	p.s2.Faults().ResetCounts()
	out.Reset()
	res, err = Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transferred != 0 || p.s2.Faults().Count("STORE")+p.s2.Faults().Count("APPEND") != 0 || res.LabelsSet != 0 {
		t.Errorf("rerun: transferred %d, %d STORE, %d APPEND, labels set %d", res.Transferred, p.s2.Faults().Count("STORE"), p.s2.Faults().Count("APPEND"), res.LabelsSet)
	}

	// A label changed on host1 is corrected by --resynclabels.
	msgs, _ := p.u1.GmailMessages()
	if err := p.u1.SetLabels(msgs[1].MsgID, "Personal", `\Inbox`); err != nil {
		t.Fatal(err)
	}
	want["m1@example.org"] = `Personal \Inbox`
	out.Reset()
	if res, err = Run(context.Background(), labelOptions(t, p, &out)); err != nil {
		t.Fatal(err)
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("after resync:\n got %v\nwant %v\n%s", got, want, out.String())
	}
	if res.LabelsSet != 1 {
		t.Errorf("resync set the labels of %d messages, want 1", res.LabelsSet)
	}
}

func TestLabelsBatching(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 messages")
	}
	p := gmailPair(t, true, true, false)
	want := seedLabels(t, p.u1, 1000)
	var out bytes.Buffer
	res, err := Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transferred != 1000 {
		t.Fatalf("transferred %d", res.Transferred)
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("host2 labels differ from host1's")
	}
	f1, f2 := p.s1.Faults(), p.s2.Faults()
	stores := f2.Count("STORE") // STORE and UID STORE
	fetches := f1.Count("FETCH") + f2.Count("FETCH")
	t.Logf("1,000 messages, 5 label sets: %d STORE on host2, %d FETCH on both hosts, %d APPEND", stores, fetches, f2.Count("APPEND"))
	if stores >= 50 || fetches >= 50 {
		t.Errorf("%d STORE and %d FETCH: labels are not batched", stores, fetches)
	}
	var gm int
	for _, c := range append(f1.CommandsMatching("UID FETCH"), f2.CommandsMatching("UID FETCH")...) {
		if strings.Contains(c, "X-GM-LABELS") {
			gm++
		}
	}
	if gm != 2 {
		t.Errorf("%d FETCH of X-GM-LABELS, want 2 (one per side)", gm)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// folderContents maps each non-empty folder of a label-less user to the
// Message-Ids it holds, sorted.
func folderContents(t *testing.T, u *imapmem.User) map[string]string {
	t.Helper()
	boxes, _ := u.Mailboxes()
	out := map[string]string{}
	for _, b := range boxes {
		msgs, err := u.Messages(b)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range msgs {
			ids = append(ids, msgIDRe.FindStringSubmatch(string(m.Raw))[1])
		}
		slices.Sort(ids)
		if len(ids) > 0 {
			out[b] = strings.Join(ids, " ")
		}
	}
	return out
}

func TestLabelsGmailToLabelless(t *testing.T) {
	for _, tc := range []struct {
		name, mode string
		prio       []string
		folders    map[string]string
		check      func(t *testing.T, u *imapmem.User)
	}{
		{name: "folders", mode: "", folders: map[string]string{
			"INBOX": "m0@example.org", "Work/2024": "m1@example.org m2@example.org",
			"Été": "m4@example.org", "[Gmail]/All Mail": "m3@example.org",
		}},
		{name: "folders priority", mode: GmailLabelsFolders, prio: []string{"INBOX", `\Sent`, "*"}, folders: map[string]string{
			"INBOX": "m0@example.org m1@example.org", "Work/2024": "m2@example.org",
			"[Gmail]/Sent Mail": "m4@example.org", "[Gmail]/All Mail": "m3@example.org",
		}},
		{name: "keywords", mode: GmailLabelsKeywords, folders: map[string]string{
			"INBOX": "m0@example.org", "Work/2024": "m1@example.org m2@example.org",
			"Été": "m4@example.org", "Archive": "m3@example.org",
		}, check: func(t *testing.T, u *imapmem.User) {
			msgs, _ := u.Messages("Work/2024")
			if !msgs[0].HasFlag("Inbox") || !msgs[0].HasFlag("Important") || msgs[1].HasFlag("Inbox") || !msgs[0].HasFlag(imap.FlagSeen) {
				t.Errorf("Work/2024 flags: %v / %v", msgs[0].Flags, msgs[1].Flags)
			}
			msgs, _ = u.Messages("Été")
			if !msgs[0].HasFlag("Sent") {
				t.Errorf("Été flags: %v", msgs[0].Flags)
			}
		}},
		{name: "header", mode: GmailLabelsHeader, folders: map[string]string{
			"INBOX": "m0@example.org", "Work/2024": "m1@example.org m2@example.org",
			"Été": "m4@example.org", "[Gmail]/All Mail": "m3@example.org",
		}, check: func(t *testing.T, u *imapmem.User) {
			msgs, _ := u.Messages("Work/2024")
			if !bytes.HasPrefix(msgs[0].Raw, []byte("X-Gmail-Labels: Work/2024, \\Important, \\Inbox\r\nFrom: sender1@")) {
				t.Errorf("Work/2024 message 1 starts %q", msgs[0].Raw[:60])
			}
			msgs, _ = u.Messages("[Gmail]/All Mail")
			if !bytes.HasPrefix(msgs[0].Raw, []byte("From: ")) {
				t.Errorf("All Mail message starts %q", msgs[0].Raw[:40])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := gmailPair(t, true, false, false)
			seedLabels(t, p.u1, 5)
			var out bytes.Buffer
			o := p.options(t, &out)
			o.Gmail1, o.SkipCrossDuplicates, o.GmailLabels, o.LabelsPriority = true, true, tc.mode, tc.prio
			res, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := folderContents(t, p.u2); !mapsEqual(got, tc.folders) || res.Transferred != 5 {
				t.Errorf("transferred %d, host2 folders:\n got %v\nwant %v\n%s", res.Transferred, got, tc.folders, out.String())
			}
			if tc.check != nil {
				tc.check(t, p.u2)
			}
			// A rerun copies nothing and stores nothing.
			out.Reset()
			p.s2.Faults().ResetCounts()
			if res, err = Run(context.Background(), o); err != nil || res.Transferred != 0 || p.s2.Faults().Count("STORE") != 0 {
				t.Errorf("rerun transferred %d, %d STORE (%v)\n%s", res.Transferred, p.s2.Faults().Count("STORE"), err, out.String())
			}
			if tc.check != nil {
				tc.check(t, p.u2) // the rerun's flag resync keeps the keywords
			}
		})
	}
}

func TestLabelsLabellessToGmail(t *testing.T) {
	p := gmailPair(t, false, true, false)
	p.u1.Seed("INBOX", labelMsg(0), labelMsg(1))
	p.u1.Seed("Work", labelMsg(1), labelMsg(2))
	p.u1.CreateMailbox("Sent", imap.MailboxAttrSent)
	p.u1.Seed("Sent", labelMsg(3))
	var out bytes.Buffer
	o := p.options(t, &out)
	o.SyncLabels, o.Automap = true, true
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"m0@example.org": `\Inbox`, "m1@example.org": `Work \Inbox`, "m2@example.org": "Work", "m3@example.org": `\Sent`}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) || res.Transferred != 4 {
		t.Errorf("transferred %d, host2 labels:\n got %v\nwant %v\n%s", res.Transferred, got, want, out.String())
	}
}

func TestLabelsLocalisedAndSubfolder(t *testing.T) {
	p := gmailPair(t, true, true, true)
	want := seedLabels(t, p.u1, 10)
	var out bytes.Buffer
	if _, err := Run(context.Background(), labelOptions(t, p, &out)); err != nil {
		t.Fatal(err)
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("localised host2 labels:\n got %v\nwant %v\n%s", got, want, out.String())
	}
	boxes, _ := p.u2.Mailboxes()
	for _, b := range boxes {
		if strings.HasPrefix(b, "[Gmail]") {
			t.Errorf("host2 got folder %s: special folders go to their localised names", b)
		}
	}

	// A localised host1 toward an English host2.
	l := &pair{s1: imapmem.StartT(t, imapmem.Options{Gmail: true, GmailLocalised: true}), s2: imapmem.StartT(t, imapmem.Options{Gmail: true})}
	l.u1, l.u2 = l.s1.AddUser("alice", "secret1"), l.s2.AddUser("bob", "secret2")
	want = seedLabels(t, l.u1, 10)
	out.Reset()
	if _, err := Run(context.Background(), labelOptions(t, l, &out)); err != nil {
		t.Fatal(err)
	}
	if got := labelsByMsgID(t, l.u2); !mapsEqual(got, want) {
		t.Errorf("from a localised host1:\n got %v\nwant %v\n%s", got, want, out.String())
	}
	boxes, _ = l.u2.Mailboxes()
	for _, b := range boxes {
		if strings.HasPrefix(b, "[Google Mail]") {
			t.Errorf("host2 got folder %s", b)
		}
	}

	q := gmailPair(t, true, true, false)
	q.u1.SeedLabels(labelMsg(1), `\Inbox`, "Work")
	out.Reset()
	o := labelOptions(t, q, &out)
	o.Subfolder2, o.Automap = "Old", false
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := labelsByMsgID(t, q.u2)["m1@example.org"]; got != "Old/INBOX Old/Work" {
		t.Errorf("--subfolder2 labels = %q, want %q\n%s", got, "Old/INBOX Old/Work", out.String())
	}
}

func TestLabelsNeedGmail(t *testing.T) {
	p := gmailPair(t, true, false, false)
	var out bytes.Buffer
	_, err := Run(context.Background(), labelOptions(t, p, &out))
	var ec *exitcode.Error
	if !errors.As(err, &ec) || ec.Code != exitcode.Usage || !strings.Contains(err.Error(), "does not announce X-GM-EXT-1") {
		t.Fatalf("err = %v", err)
	}
}

func TestGmailRawSearch(t *testing.T) {
	p := gmailPair(t, true, false, false)
	seedLabels(t, p.u1, 10)
	var out bytes.Buffer
	o := p.options(t, &out)
	o.Gmail1, o.SkipCrossDuplicates = true, true
	o.MessageSelection.GmailRaw1 = "label:work-2024 -subject:\"message 1\""
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Work/2024": "m2@example.org m6@example.org m7@example.org"}
	if got := folderContents(t, p.u2); !mapsEqual(got, want) || res.Transferred != 3 {
		t.Errorf("transferred %d, host2:\n got %v\nwant %v\n%s", res.Transferred, got, want, out.String())
	}
	var n int
	for _, c := range p.s1.Faults().CommandsMatching("UID SEARCH") {
		if strings.Contains(c, `X-GM-RAW "label:work-2024 -subject:\"message 1\""`) {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no UID SEARCH X-GM-RAW reached host1")
	}

	// A host without X-GM-EXT-1 refuses it.
	o.MessageSelection.GmailRaw1, o.MessageSelection.GmailRaw2 = "", "older_than:2y"
	_, err = Run(context.Background(), o)
	var ec *exitcode.Error
	if !errors.As(err, &ec) || ec.Code != exitcode.Usage || !strings.Contains(err.Error(), "cannot search with Gmail's syntax") {
		t.Errorf("host2 without X-GM-EXT-1: err = %v", err)
	}
}

// TestLabelsUnderConnectionLimit: host2 allows few connections (Gmail
// allows 15); the run fits, labels included.
func TestLabelsUnderConnectionLimit(t *testing.T) {
	p := gmailPair(t, true, true, false)
	want := seedLabels(t, p.u1, 30)
	p.s2.Faults().LimitConnections(3, imapmem.GmailTooManyConnections())
	var out bytes.Buffer
	res, err := Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) || res.Errors.Count() != 0 {
		t.Errorf("%d errors, labels:\n got %v\nwant %v\n%s", res.Errors.Count(), got, want, out.String())
	}
}
