package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// hostileMessages are messages real mailboxes hold and parsers trip on,
// generated here so that no binary fixture is needed.
func hostileMessages() []struct {
	name string
	raw  []byte
} {
	hdr := func(id string) string {
		return "From: a@example.org\r\nTo: b@example.com\r\nSubject: " + id + "\r\nMessage-Id: <" + id + "@hostile.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	}
	var many strings.Builder
	many.WriteString(hdr("many-fields"))
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&many, "X-Field-%d: value %d\r\n", i, i)
	}
	many.WriteString("\r\nbody\r\n")
	var nested strings.Builder
	nested.WriteString(hdr("nested") + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&nested, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i, i+1)
	}
	nested.WriteString("--b200\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
	for i := 200; i >= 0; i-- {
		fmt.Fprintf(&nested, "--b%d--\r\n", i)
	}
	big := []byte(hdr("forty-mb") + "\r\n")
	line := []byte(strings.Repeat("0123456789", 7) + "ABCDEFG\r\n")
	for len(big) < 40<<20 {
		big = append(big, line...)
	}
	return []struct {
		name string
		raw  []byte
	}{
		{"no header at all", []byte("\r\njust a body, no header\r\n")},
		{"first header line without a colon", []byte("This is not a header\r\n" + hdr("nocolon") + "\r\nbody\r\n")},
		{"bare LF", []byte(strings.ReplaceAll(hdr("bare-lf")+"\r\nline one\r\nline two\r\n", "\r\n", "\n"))},
		{"bare CR", []byte(hdr("bare-cr") + "\r\nline one\rline two\rend\r\n")},
		{"NUL bytes", []byte(hdr("nul") + "\r\nbefore\x00after\x00\r\n")},
		{"invalid UTF-8 in headers", []byte(hdr("bad-utf8") + "X-Bad: \xff\xfe\xc3\x28 end\r\n\r\nbody\r\n")},
		{"1,000-character header line", []byte(hdr("long-header") + "X-Long: " + strings.Repeat("h", 1000) + "\r\n\r\nbody\r\n")},
		{"100,000-character body line", []byte(hdr("long-body-line") + "\r\n" + strings.Repeat("b", 100000) + "\r\n")},
		{"5,000 header fields", []byte(many.String())},
		{"200 levels of nested multipart", []byte(nested.String())},
		{"2 KB Message-Id", []byte("From: a@example.org\r\nSubject: long id\r\nMessage-Id: <" + strings.Repeat("i", 2048) + "@hostile.test>\r\n\r\nbody\r\n")},
		{"empty Message-Id", []byte("From: a@example.org\r\nSubject: empty id\r\nMessage-Id:\r\n\r\nbody\r\n")},
		{"same Message-Id, first", []byte("From: a@example.org\r\nSubject: twin one\r\nMessage-Id: <twin@hostile.test>\r\n\r\nfirst twin\r\n")},
		{"same Message-Id, second", []byte("From: a@example.org\r\nSubject: twin two\r\nMessage-Id: <twin@hostile.test>\r\n\r\nthe second twin, longer\r\n")},
		{"0-byte body", []byte(hdr("empty-body") + "\r\n")},
		{"40 MB message", big},
	}
}

// served returns sha256 → host UID of every message the server serves in
// INBOX, and the bytes by UID.
func served(t *testing.T, addr, user string) map[imap.UID][]byte {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, dovecot.Users[user]).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[imap.UID][]byte{}
	if sel.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		out[m.UID] = m.BodySection[0].Bytes
	}
	return out
}

// TestHostileMessagesOnDovecot syncs malformed and extreme messages
// between two Dovecots: each is on host2 byte-identical to what host1
// serves, or the output names it (by its host1 UID) with a reason. Never a
// crash.
func TestHostileMessagesOnDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{FsyncNever: true})
	d2 := dovecot.StartT(t, dovecot.Options{FsyncNever: true})
	cases := hostileMessages()
	var msgs []dovecot.Message
	for _, c := range cases {
		msgs = append(msgs, dovecot.Message{Raw: c.raw, Date: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)})
	}
	if err := d1.Seed("user1", "INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	cfg := func(n int, d *dovecot.Server, user string) *conn.Config {
		return &conn.Config{Side: n, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: user, Password: dovecot.Users[user], Timeout: 60 * time.Second}
	}
	var out bytes.Buffer
	opts := Options{Host1: cfg(1, d1, "user1"), Host2: cfg(2, d2, "user2"), Selection: selAll(), MixFolders: true, CheckSelectable: true,
		FixInboxINBOX: true, SyncInternalDates: true, MultiAppend: true, Parallel: 4, BodyBudget: 16 << 20, TmpDir: t.TempDir(),
		ErrorsMax: 50, ReconnectRetry1: 3, ReconnectRetry2: 3, Out: &out}
	run(t, opts)
	h1, h2 := served(t, d1.Addr(), "user1"), served(t, d2.Addr(), "user2")
	on2 := map[[32]byte]int{}
	for _, b := range h2 {
		on2[sha256.Sum256(b)]++
	}
	if len(h1) != len(cases) {
		t.Fatalf("host1 serves %d messages, %d seeded", len(h1), len(cases))
	}
	copied := 0
	for uid := imap.UID(1); int(uid) <= len(cases); uid++ {
		name := cases[uid-1].name
		switch n := on2[sha256.Sum256(h1[uid])]; {
		case n == 1:
			copied++
		case n > 1:
			t.Errorf("%s (host1 UID %d): on host2 %d times", name, uid, n)
		default:
			// Not copied: the output must say so, naming the message.
			if line := lineNaming(out.String(), fmt.Sprintf("INBOX/%d ", uid)); line == "" {
				t.Errorf("%s (host1 UID %d): not on host2 byte for byte, and no line says why", name, uid)
			} else {
				t.Logf("%s (host1 UID %d): %s", name, uid, line)
			}
		}
	}
	if len(h2) != copied {
		t.Errorf("host2 holds %d messages, %d of them copies of host1's", len(h2), copied)
	}
	t.Logf("%d of %d hostile messages on host2 byte for byte", copied, len(cases))
}

// lineNaming returns the first output line that contains what and is not
// a plain "copied" line.
func lineNaming(out, what string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, what) && !strings.Contains(l, " copied to ") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// TestOverQuotaOnDovecot: host2 is over quota. The run exits 113 with a
// line naming the folder and how full host2 is, and deletes nothing on
// host1 although --delete1 was given. Once the quota is raised, a rerun
// completes: every message on host2 once, and only then deleted on host1.
func TestOverQuotaOnDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{FsyncNever: true})
	d2 := dovecot.StartT(t, dovecot.Options{FsyncNever: true})
	var msgs []dovecot.Message
	for i, size := range []int{2000, 3000, 1600000, 4000} {
		raw := fmt.Sprintf("From: a@example.org\r\nSubject: q%d\r\nMessage-Id: <q%d@quota.test>\r\n\r\n%s", i, i, strings.Repeat("q", size))
		msgs = append(msgs, dovecot.Message{Raw: []byte(raw)})
	}
	if err := d1.Seed("user1", "INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	cfg := func(n int, d *dovecot.Server, user string) *conn.Config {
		return &conn.Config{Side: n, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: user, Password: dovecot.Users[user], Timeout: 30 * time.Second}
	}
	var out bytes.Buffer
	opts := Options{Host1: cfg(1, d1, "user1"), Host2: cfg(2, d2, dovecot.QuotaUser), Selection: selAll(), MixFolders: true, CheckSelectable: true,
		FixInboxINBOX: true, MultiAppend: true, Parallel: 2, BodyBudget: 16 << 20, TmpDir: t.TempDir(),
		ErrorsMax: 50, ReconnectRetry1: 3, ReconnectRetry2: 3, Delete1: true, Expunge1: true, Out: &out}
	res := run(t, opts)
	if code := res.Errors.ExitCode(); code != 113 {
		t.Fatalf("exit %d, want 113\n%s", code, out.String())
	}
	for _, want := range []string{
		"Host2: over quota: messages of folder INBOX were refused for lack of space on host2: ",
		"KiB used of 1024 KiB",
		"Host2 is over quota: nothing is deleted on host1 (--delete1) in this run",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q\n%s", want, out.String())
		}
	}
	if n := len(served(t, d1.Addr(), "user1")); n != 4 || res.Counters.DeletedHost1 != 0 {
		t.Fatalf("host1 holds %d messages, %d deleted: --delete1 ran over quota", n, res.Counters.DeletedHost1)
	}
	if err := d2.SetQuotaKB(10 << 10); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	res = run(t, opts)
	if res.Errors.Count() != 0 {
		t.Fatalf("rerun with a bigger quota: %v\n%s", res.Errors.Records(), out.String())
	}
	h2 := served(t, d2.Addr(), dovecot.QuotaUser)
	seen := map[[32]byte]bool{}
	for _, b := range h2 {
		seen[sha256.Sum256(b)] = true
	}
	if len(h2) != 4 || len(seen) != 4 {
		t.Fatalf("host2 holds %d messages (%d distinct), want the 4 once each", len(h2), len(seen))
	}
	if n := len(served(t, d1.Addr(), "user1")); n != 0 {
		t.Errorf("host1 still holds %d messages after the complete rerun with --delete1", n)
	}
}
