package main

// End-to-end tests of the message options (issue 5) against real Dovecot
// servers. Shared helpers (dvAcct, dvPool, dvRun, dvMsg, dvStat, expect...)
// are in folders_dovecot_test.go.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// dvMessage is one message read back from a server.
type dvMessage struct {
	id    string // from its Message-ID ("noid" without one)
	raw   string
	flags []string // sorted, without \Recent
	date  time.Time
}

var dvMessageIDRe = regexp.MustCompile(`(?i)\r\nmessage-id: <([^@>]+)@|^message-id: <([^@>]+)@`)

func dvIDOf(raw string) string {
	m := dvMessageIDRe.FindStringSubmatch(raw)
	switch {
	case m == nil:
		return "noid"
	case m[1] != "":
		return m[1]
	}
	return m[2]
}

// dvMessagesIn returns the messages of folder on a, sorted by id; ok is
// false when the folder cannot be selected.
func dvMessagesIn(t *testing.T, a dvAcct, folder string) (msgs []dvMessage, ok bool) {
	t.Helper()
	c := a.client(t)
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, false
	}
	if sel.NumMessages == 0 {
		return nil, true
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	got, err := c.Fetch(all, &imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		var fl []string
		for _, f := range m.Flags {
			if f != `\Recent` {
				fl = append(fl, string(f))
			}
		}
		sort.Strings(fl)
		raw := string(m.BodySection[0].Bytes)
		msgs = append(msgs, dvMessage{id: dvIDOf(raw), raw: raw, flags: fl, date: m.InternalDate})
	}
	slices.SortStableFunc(msgs, func(x, y dvMessage) int { return strings.Compare(x.id, y.id) })
	return msgs, true
}

// dvIDsIn returns the sorted ids of folder's messages joined by commas.
func dvIDsIn(t *testing.T, a dvAcct, folder string) string {
	t.Helper()
	msgs, ok := dvMessagesIn(t, a, folder)
	if !ok {
		return "(no folder)"
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.id)
	}
	return strings.Join(ids, ",")
}

func dvCheckIDs(t *testing.T, a dvAcct, folder, want string) {
	t.Helper()
	if got := dvIDsIn(t, a, folder); got != want {
		t.Errorf("%s/%s holds [%s], want [%s]", a.user, folder, got, want)
	}
}

func dvCheckStat(t *testing.T, out, label, want string) {
	t.Helper()
	if got := dvStat(out, label); got != want {
		t.Errorf("%q is %q, want %q", label, got, want)
	}
}

// dvSizedMsg is a message of exactly n bytes (CRLF line ends).
func dvSizedMsg(id string, n int) []byte {
	head := fmt.Sprintf("Message-ID: <%s@example.org>\r\nDate: Tue, 2 Mar 2021 10:00:00 +0000\r\nFrom: Ana <ana@example.org>\r\nSubject: size %s\r\n\r\n", id, id)
	var b strings.Builder
	b.WriteString(head)
	for b.Len() < n {
		line := min(78, n-b.Len()-2)
		if line < 0 {
			break
		}
		b.WriteString(strings.Repeat("x", line) + "\r\n")
	}
	raw := []byte(b.String())
	if len(raw) != n {
		panic(fmt.Sprintf("sizedMsg %s: %d bytes, want %d", id, len(raw), n))
	}
	return dvRaw(id, raw)
}

// dvMessageBytes is a message with extra header lines and a body.
func dvMessageBytes(id, extraHeaders, body string) []byte {
	return dvRaw(id, []byte(fmt.Sprintf("Message-ID: <%s@example.org>\r\nDate: Tue, 2 Mar 2021 10:00:00 +0000\r\nFrom: Ana <ana@example.org>\r\nSubject: %s\r\n%s\r\n%s", id, id, extraHeaders, body)))
}

func dvRawMsg(raw []byte, flags ...string) dovecot.Message {
	return dovecot.Message{Raw: raw, Flags: flags, Date: dvDate}
}

// dvReadJSON reads a --json report.
func dvReadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return r
}

// TestDovecotMessages covers the message options of issue 5.
func TestDovecotMessages(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	fs := newDvPool(t, dovecot.LayoutFS)
	src := dvAcct{d1, "user1", "secret1"}

	now := time.Now()
	// Date: header n days ago, INTERNALDATE i days ago.
	aged := func(id string, n, i int) dovecot.Message {
		raw := fmt.Sprintf("Message-ID: <%s@example.org>\r\nDate: %s\r\nFrom: Ana <ana@example.org>\r\nSubject: age %s\r\n\r\nHello\r\n",
			id, now.AddDate(0, 0, -n).Format(time.RFC1123Z), id)
		return dovecot.Message{Raw: dvRaw(id, []byte(raw)), Date: now.AddDate(0, 0, -i)}
	}
	longLine := "Hello " + strings.Repeat("y", 2000) + "\r\n"
	src.seed(t,
		dovecot.Folder{Name: "Sizes", Msgs: []dovecot.Message{dvRawMsg(dvSizedMsg("s500", 500)), dvRawMsg(dvSizedMsg("s1000", 1000)), dvRawMsg(dvSizedMsg("s1500", 1500))}},
		dovecot.Folder{Name: "Ages", Msgs: []dovecot.Message{aged("g10", 10, 400), aged("g100", 100, 100), aged("g400", 400, 10)}},
		dovecot.Folder{Name: "Misc", Msgs: []dovecot.Message{
			dvRawMsg(dvMessageBytes("m1", "", "Hello m1\r\n")),
			dvRawMsg(dvMessageBytes("m2", "X-Note: secret plan\r\n", "Hello m2\r\n")),
			dvRawMsg(dvMessageBytes("m3", "", longLine)),
			dvRawMsg(dvMessageBytes("m4", "Disposition-Notification-To: <ana@example.org>\r\n", "Hello m4, Disposition-Notification-To: stays in the body\r\n")),
		}},
		dovecot.Folder{Name: "Poison", Msgs: []dovecot.Message{dvRawMsg(dvMessageBytes("v1", "", "Hello v1\r\n")), dvRawMsg(dvMessageBytes("v2", "", "Poison v2\r\n"))}},
		dovecot.Folder{Name: "Trunc", Msgs: []dovecot.Message{dvRawMsg(dvSizedMsg("t3000", 3000))}},
		dovecot.Folder{Name: "Flags", Msgs: []dovecot.Message{dvMsg("fl1", `\Seen`, "$Label1", "NonJunk"), dvMsg("fl2", "$Label1", `\Flagged`)}},
		dovecot.Folder{Name: "D2", Msgs: []dovecot.Message{dvMsg("dl1"), dvMsg("dl2"), dvMsg("dl3")}},
		dovecot.Folder{Name: "Search", Msgs: []dovecot.Message{
			dvRawMsg(dvMessageBytes("se1", "X-Kind: invoice\r\n", "Hello\r\n"), `\Seen`),
			dvRawMsg(dvMessageBytes("se2", "X-Kind: invoice\r\n", "Hello\r\n")),
			dvRawMsg(dvMessageBytes("se3", "", "Hello\r\n"), `\Flagged`),
			dvRawMsg(dvMessageBytes("se4", "", "Hello\r\n")),
		}},
		dovecot.Folder{Name: "CrossA", Msgs: []dovecot.Message{dvMsg("x1"), dvMsg("x2")}},
		dovecot.Folder{Name: "CrossB", Msgs: []dovecot.Message{dvMsg("x1"), dvMsg("x3")}},
	)
	raw := map[string]string{}
	for _, f := range []string{"Misc", "Trunc", "Poison"} {
		msgs, _ := dvMessagesIn(t, src, f)
		for _, m := range msgs {
			raw[m.id] = m.raw
		}
	}
	// sync runs imapshift from src into dst on the given folders.
	sync := func(dst dvAcct, folders []string, extra ...string) (int, string) {
		t.Helper()
		args := append([]string{"--nofoldersizes", "--nofoldersizesatend"}, extra...)
		for _, f := range folders {
			args = append(args, "--folder", f)
		}
		return dvRun(t, src, dst, args...)
	}
	one := func(f string) []string { return []string{f} }

	t.Run("maxsize", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Sizes"), "--maxsize", "1000")
		dvExpect(t, code, out, 0, "skipped by maxsize")
		// A message of exactly --maxsize bytes is skipped (">=").
		dvCheckIDs(t, dst, "Sizes", "s500")
		dvCheckStat(t, out, "Messages skipped", "2")
		dvCheckStat(t, out, "Total bytes skipped", "2500 (2.441 KiB)")
	})

	t.Run("minsize", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Sizes"), "--minsize", "1000")
		dvExpect(t, code, out, 0, "skipped by minsize")
		// imapsync's minsize skips sizes <= N.
		dvCheckIDs(t, dst, "Sizes", "s1500")
		dvCheckStat(t, out, "Messages skipped", "2")
	})

	t.Run("appendlimit", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Sizes"), "--appendlimit", "1000")
		dvExpect(t, code, out, 0, "appendlimit")
		dvCheckIDs(t, dst, "Sizes", "s1000,s500")
		dvCheckStat(t, out, "Messages skipped", "1")
	})

	t.Run("json skipped_by", func(t *testing.T) {
		dst := fs.acct()
		path := filepath.Join(t.TempDir(), "report.json")
		code, out := sync(dst, one("Sizes"), "--minsize", "600", "--skipmess", "/Subject: size s1500/", "--json", path)
		dvExpect(t, code, out, 0)
		dvCheckIDs(t, dst, "Sizes", "s1000")
		dvCheckStat(t, out, "Messages skipped", "2")
		r := dvReadJSON(t, path)
		by, _ := r["skipped_by"].(map[string]any)
		if fmt.Sprint(by) != "map[minsize:1 skipmess:1]" || r["messages_skipped"] != float64(2) || r["messages_transferred"] != float64(1) {
			t.Errorf("--json: skipped_by %v, messages_skipped %v, messages_transferred %v", r["skipped_by"], r["messages_skipped"], r["messages_transferred"])
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"maxage", []string{"--maxage", "50"}, "g10"},
		{"minage", []string{"--minage", "50"}, "g100,g400"},
		{"minage and maxage window", []string{"--minage", "50", "--maxage", "200"}, "g100"},
		{"minage above maxage is a union", []string{"--minage", "200", "--maxage", "50"}, "g10,g400"},
		// INTERNALDATE instead of Date: g400 was received 10 days ago.
		{"noabletosearch uses internal dates", []string{"--noabletosearch", "--maxage", "50"}, "g400"},
		{"noabletosearch window", []string{"--noabletosearch", "--minage", "50", "--maxage", "200"}, "g100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := fs.acct()
			code, out := sync(dst, one("Ages"), tc.args...)
			dvExpect(t, code, out, 0)
			dvCheckIDs(t, dst, "Ages", tc.want)
			// Messages left out by age are not counted as skipped.
			dvCheckStat(t, out, "Messages skipped", "0")
		})
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"search OR", []string{"--search", "OR HEADER X-Kind invoice FLAGGED"}, "se1,se2,se3"},
		{"search NOT", []string{"--search", "NOT SEEN"}, "se2,se3,se4"},
		{"search NOT OR", []string{"--search", "NOT OR SEEN FLAGGED"}, "se2,se4"},
		{"search1 with OR and NOT", []string{"--search1", "OR (NOT SEEN HEADER X-Kind invoice) SEEN"}, "se1,se2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := fs.acct()
			code, out := sync(dst, one("Search"), tc.args...)
			dvExpect(t, code, out, 0)
			dvCheckIDs(t, dst, "Search", tc.want)
			dvCheckStat(t, out, "Messages skipped", "0")
		})
	}

	t.Run("search key not supported", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Search"), "--search", "X-GM-RAW has:attachment")
		dvExpect(t, code, out, 64, "--search")
		dvCheckIDs(t, dst, "Search", "(no folder)")
	})

	t.Run("skipmess", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Misc"), "--skipmess", `m{^X-Note: secret}m`)
		dvExpect(t, code, out, 0, "skipped by skipmess")
		dvCheckIDs(t, dst, "Misc", "m1,m3,m4")
		dvCheckStat(t, out, "Messages skipped", "1")
	})

	t.Run("maxlinelength", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Misc"), "--maxlinelength", "1000")
		dvExpect(t, code, out, 0, "skipped by maxlinelength")
		dvCheckIDs(t, dst, "Misc", "m1,m2,m4")
		dvCheckStat(t, out, "Messages skipped", "1")
	})

	t.Run("regexmess", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Misc"), "--regexmess", "s/Hello/Salut/g", "--regexmess", `s/^(X-Note: )secret/$1public/m`)
		dvExpect(t, code, out, 0)
		msgs, _ := dvMessagesIn(t, dst, "Misc")
		if len(msgs) != 4 {
			t.Fatalf("host2 has %d messages, want 4", len(msgs))
		}
		for _, m := range msgs {
			want := strings.ReplaceAll(raw[m.id], "Hello", "Salut")
			want = strings.Replace(want, "X-Note: secret", "X-Note: public", 1)
			if m.raw != want {
				t.Errorf("%s on host2:\n%q\nwant\n%q", m.id, m.raw, want)
			}
		}
	})

	t.Run("pipemess chain", func(t *testing.T) {
		dst := fs.acct()
		path := filepath.Join(t.TempDir(), "report.json")
		// The second command sees the first one's output.
		code, out := sync(dst, one("Misc"), "--pipemess", "sed s/Hello/Bye/", "--pipemess", "sed s/Bye/Ciao/", "--json", path)
		dvExpect(t, code, out, 0)
		msgs, _ := dvMessagesIn(t, dst, "Misc")
		if len(msgs) != 4 {
			t.Fatalf("host2 has %d messages, want 4", len(msgs))
		}
		for _, m := range msgs {
			lines := strings.SplitAfter(raw[m.id], "\n")
			for i, l := range lines {
				lines[i] = strings.Replace(l, "Hello", "Ciao", 1)
			}
			if want := strings.Join(lines, ""); m.raw != want {
				t.Errorf("%s on host2:\n%q\nwant\n%q", m.id, m.raw, want)
			}
		}
		if r := dvReadJSON(t, path); r["rewritten"] != float64(4) {
			t.Errorf("--json rewritten = %v, want 4", r["rewritten"])
		}
	})

	t.Run("failing pipemess", func(t *testing.T) {
		dst := fs.acct()
		// GNU sed's Q3 exits 3 on the poisoned message only (the start-up
		// check on " " passes).
		code, out := sync(dst, one("Poison"), "--pipemess", "sed /Poison/Q3")
		dvExpect(t, code, out, 111, "Detected 1 errors")
		dvCheckIDs(t, dst, "Poison", "v1")
		if m, _ := dvMessagesIn(t, dst, "Poison"); len(m) == 1 && m[0].raw != raw["v1"] {
			t.Errorf("v1 changed by a pipemess that does not change it:\n%q", m[0].raw)
		}
		dvCheckStat(t, out, "Messages transferred", "1")
		// A command failing the start-up check is refused before any copy.
		dst = fs.acct()
		code, out = sync(dst, one("Poison"), "--pipemess", "false")
		dvExpect(t, code, out, 64, "pipemess")
		dvCheckIDs(t, dst, "Poison", "(no folder)")
	})

	t.Run("disarmreadreceipts", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Misc"), "--disarmreadreceipts")
		dvExpect(t, code, out, 0)
		msgs, _ := dvMessagesIn(t, dst, "Misc")
		for _, m := range msgs {
			want := raw[m.id]
			if m.id == "m4" {
				want = strings.Replace(want, "\r\nDisposition-Notification-To:", "\r\nX-Disposition-Notification-To:", 1)
			}
			if m.raw != want {
				t.Errorf("%s on host2:\n%q\nwant\n%q", m.id, m.raw, want)
			}
		}
		if len(msgs) != 4 {
			t.Errorf("host2 has %d messages, want 4", len(msgs))
		}
	})

	t.Run("truncmess", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Trunc"), "--truncmess", "1000")
		dvExpect(t, code, out, 0)
		msgs, _ := dvMessagesIn(t, dst, "Trunc")
		if len(msgs) != 1 || msgs[0].raw != raw["t3000"][:1000] {
			t.Fatalf("host2: %d messages, want the first 1000 bytes of t3000: %v", len(msgs), msgs)
		}
		// The APPEND size is the new size.
		dvCheckStat(t, out, "Total bytes transferred", "1000 (0.977 KiB)")
	})

	t.Run("regexflag", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, one("Flags"), "--regexflag", `s/\$Label1 ?//g`)
		dvExpect(t, code, out, 0)
		flags := func() string {
			msgs, _ := dvMessagesIn(t, dst, "Flags")
			var s []string
			for _, m := range msgs {
				s = append(s, m.id+"="+strings.Join(m.flags, " "))
			}
			return strings.Join(s, "; ")
		}
		const want = `fl1=NonJunk \Seen; fl2=\Flagged`
		if got := flags(); got != want {
			t.Errorf("host2 flags after the copy: %s, want %s", got, want)
		}
		// The resync path filters too: $Label1 added on host2 is removed,
		// not copied back from host1.
		c := dst.client(t)
		if _, err := c.Select("Flags", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{"$Label1"}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		code, out = sync(dst, one("Flags"), "--regexflag", `s/\$Label1 ?//g`)
		dvExpect(t, code, out, 0)
		if got := flags(); got != want {
			t.Errorf("host2 flags after the resync: %s, want %s", got, want)
		}
	})

	t.Run("filterbuggyflags", func(t *testing.T) {
		// Dovecot cannot hold such flags, so host1 is the in-process
		// server; Dovecot (host2) refuses an APPEND with them.
		ts := imapmem.StartT(t, imapmem.Options{})
		u := ts.AddUser("buggy", "pw")
		if err := u.Seed("INBOX",
			imapmem.Message{Raw: []byte(dvMessageBytes("bf1", "", "Hello\r\n")), Flags: []imap.Flag{imap.FlagSeen, `\X-Has-Attach`, "Forwarded"}, Date: dvDate},
			imapmem.Message{Raw: []byte(dvMessageBytes("bf2", "", "Hello\r\n")), Flags: []imap.Flag{`\Junk`, imap.FlagFlagged}, Date: dvDate},
		); err != nil {
			t.Fatal(err)
		}
		h1 := []string{"--host1", ts.Host(), "--port1", strconv.Itoa(ts.Port()), "--user1", "buggy", "--password1", "pw", "--notls1"}
		run := func(dst dvAcct, extra ...string) (int, string) {
			args := append(append(append([]string{"--nolog", "--nofoldersizes", "--nofoldersizesatend"}, extra...), h1...), dst.side(2)...)
			return imapshift(t, args...)
		}
		dst := fs.acct()
		code, out := run(dst)
		dvExpect(t, code, out, 114, "could not append")
		dst = fs.acct()
		code, out = run(dst, "--filterbuggyflags")
		dvExpect(t, code, out, 0)
		msgs, _ := dvMessagesIn(t, dst, "INBOX")
		var got []string
		for _, m := range msgs {
			fl := strings.Split(strings.ToLower(strings.Join(m.flags, " ")), " ")
			sort.Strings(fl)
			got = append(got, m.id+"="+strings.Join(fl, " "))
		}
		if want := []string{`bf1=\seen forwarded`, `bf2=\flagged`}; !slices.Equal(got, want) {
			t.Errorf("host2 flags: %q, want %q", got, want)
		}
	})

	// host2 "D2": dl1, dl2 twice, dx9 (not on host1) and a message
	// without Message-ID or Received (unidentified).
	d2 := func() dvAcct {
		dst := fs.acct()
		noid := dvRaw("noid", []byte("From: ana@example.org\r\nSubject: draft without id\r\n\r\nunfinished\r\n"))
		dst.seed(t, dovecot.Folder{Name: "D2", Msgs: []dovecot.Message{dvMsg("dl1"), dvMsg("dl2"), dvMsg("dl2"), dvMsg("dx9"), dvRawMsg(noid)}})
		return dst
	}

	t.Run("delete2", func(t *testing.T) {
		dst := d2()
		code, out := sync(dst, one("D2"), "--delete2")
		dvExpect(t, code, out, 0)
		// The extra and the duplicate are gone, the unidentified one stays.
		dvCheckIDs(t, dst, "D2", "dl1,dl2,dl3,noid")
		dvCheckStat(t, out, "Messages deleted on host2", "2")
		dvCheckIDs(t, src, "D2", "dl1,dl2,dl3")
	})

	t.Run("delete2duplicates", func(t *testing.T) {
		dst := d2()
		code, out := sync(dst, one("D2"), "--delete2duplicates")
		dvExpect(t, code, out, 0)
		dvCheckIDs(t, dst, "D2", "dl1,dl2,dl3,dx9,noid")
		dvCheckStat(t, out, "Messages deleted on host2", "1")
	})

	t.Run("delete2 nouidexpunge2", func(t *testing.T) {
		dst := d2()
		code, out := sync(dst, one("D2"), "--delete2", "--nouidexpunge2")
		dvExpect(t, code, out, 0)
		msgs, _ := dvMessagesIn(t, dst, "D2")
		var deleted []string
		for _, m := range msgs {
			if slices.Contains(m.flags, `\Deleted`) {
				deleted = append(deleted, m.id)
			}
		}
		if len(msgs) != 6 || !slices.Equal(deleted, []string{"dl2", "dx9"}) {
			t.Errorf("host2 D2: %d messages, \\Deleted %v; want 6 messages, dl2 (one copy) and dx9 \\Deleted", len(msgs), deleted)
		}
	})

	t.Run("delete1 keeps what host2 refused", func(t *testing.T) {
		h1 := fs.acct()
		var big strings.Builder
		for big.Len() < 1500*1024 {
			big.WriteString(strings.Repeat("z", 98) + "\r\n")
		}
		h1.seed(t, dovecot.Folder{Name: "INBOX", Msgs: []dovecot.Message{dvMsg("q1"), dvMsg("q2"), dvRawMsg(dvMessageBytes("qbig", "", big.String()))}})
		// quotauser has a 1 MB quota.
		dst := dvAcct{fs.acct().s, dovecot.QuotaUser, dovecot.QuotaPassword}
		args := []string{"--nofoldersizes", "--nofoldersizesatend", "--delete1"}
		code, out := dvRun(t, h1, dst, args...)
		dvExpect(t, code, out, 113, "could not append")
		dvCheckIDs(t, dst, "INBOX", "q1,q2")
		dvCheckIDs(t, h1, "INBOX", "qbig")
		dvCheckStat(t, out, "Messages deleted on host1", "2")
	})

	// imapsync expunges after --delete1 only with --expunge1, which
	// --delete1 implies unless --noexpunge1 is given.
	t.Run("delete1 noexpunge1", func(t *testing.T) {
		h1, dst := fs.acct(), fs.acct()
		h1.seed(t, dovecot.Folder{Name: "INBOX", Msgs: []dovecot.Message{dvMsg("n1"), dvMsg("n2")}})
		code, out := dvRun(t, h1, dst, "--nofoldersizes", "--nofoldersizesatend", "--delete1", "--noexpunge1")
		dvExpect(t, code, out, 0)
		dvCheckIDs(t, dst, "INBOX", "n1,n2")
		msgs, _ := dvMessagesIn(t, h1, "INBOX")
		if len(msgs) != 2 || !slices.Contains(msgs[0].flags, `\Deleted`) || !slices.Contains(msgs[1].flags, `\Deleted`) {
			t.Errorf("host1 INBOX with --noexpunge1: %v, want n1 and n2 kept, \\Deleted", msgs)
		}
	})

	t.Run("delete1 with delete2 is refused", func(t *testing.T) {
		dst := d2()
		code, out := sync(dst, one("D2"), "--delete1", "--delete2")
		dvExpect(t, code, out, 64, "--delete1")
		dvCheckIDs(t, src, "D2", "dl1,dl2,dl3")
		dvCheckIDs(t, dst, "D2", "dl1,dl2,dl2,dx9,noid")
	})

	t.Run("skipcrossduplicates", func(t *testing.T) {
		dst := fs.acct()
		code, out := sync(dst, []string{"CrossA", "CrossB"}, "--skipcrossduplicates")
		dvExpect(t, code, out, 0)
		dvCheckIDs(t, dst, "CrossA", "x1,x2")
		dvCheckIDs(t, dst, "CrossB", "x3")
		dvCheckStat(t, out, "Messages found crossduplicate on host2", "1")
	})
}
