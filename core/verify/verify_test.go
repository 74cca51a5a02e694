package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// rig is a host1 and a host2 server with one user each.
type rig struct {
	t      *testing.T
	u1, u2 *imapmem.User
	s1, s2 *imapmem.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	s1 := imapmem.StartT(t, imapmem.Options{})
	s2 := imapmem.StartT(t, imapmem.Options{})
	return &rig{t: t, s1: s1, s2: s2, u1: s1.AddUser("alice", "pw1"), u2: s2.AddUser("bob", "pw2")}
}

// clients logs in to both sides.
func (r *rig) clients() (*imapclient.Client, *imapclient.Client) {
	r.t.Helper()
	dial := func(side int, s *imapmem.Server, user, pass string) *imapclient.Client {
		c, err := conn.Dial(r.t.Context(), &conn.Config{Side: side, Host: s.Host(), Port: s.Port(), Mode: conn.TLSNone, User: user, Password: pass, Timeout: 10 * time.Second})
		if err != nil {
			r.t.Fatal(err)
		}
		r.t.Cleanup(func() { c.Close() })
		return c.Client
	}
	return dial(1, r.s1, "alice", "pw1"), dial(2, r.s2, "bob", "pw2")
}

// compare runs Compare on pairs (default INBOX→INBOX) and fails the test
// on an error.
func (r *rig) compare(opts Options, pairs ...Pair) *Report {
	r.t.Helper()
	if len(pairs) == 0 {
		pairs = []Pair{{"INBOX", "INBOX"}}
	}
	c1, c2 := r.clients()
	rep, err := Compare(r.t.Context(), c1, c2, pairs, opts)
	if err != nil {
		r.t.Fatal(err)
	}
	return rep
}

func seed(t *testing.T, u *imapmem.User, box string, msgs ...imapmem.Message) {
	t.Helper()
	if err := u.Seed(box, msgs...); err != nil {
		t.Fatal(err)
	}
}

var base = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)

// mail returns message i: its own Message-Id and Received line, \Seen,
// an internal date i minutes after base.
func mail(i int) imapmem.Message {
	return imapmem.Message{Raw: raw(fmt.Sprintf("<%d@example.org>", i), fmt.Sprintf("body of message %d\r\n", i)), Flags: []imap.Flag{imap.FlagSeen}, Date: base.Add(time.Duration(i) * time.Minute)}
}

func raw(msgID, body string) []byte {
	h := "Received: from mx.example.org by imap.example.org; Fri, 1 Mar 2024 10:00:00 +0000\r\n"
	if msgID != "" {
		h += "Message-Id: " + msgID + "\r\n"
	}
	return []byte(h + "Subject: test\r\nFrom: a@example.org\r\n\r\n" + body)
}

func mails(ids ...int) []imapmem.Message {
	out := make([]imapmem.Message, len(ids))
	for i, id := range ids {
		out[i] = mail(id)
	}
	return out
}

func TestEqualMailboxes(t *testing.T) {
	r := newRig(t)
	for _, u := range []*imapmem.User{r.u1, r.u2} {
		seed(t, u, "INBOX", mails(1, 2, 3, 4, 5)...)
		seed(t, u, "Archive/2020", mails(6, 7)...)
		if err := u.CreateMailbox("Empty"); err != nil {
			t.Fatal(err)
		}
		seed(t, u, "Entwürfe", mails(8)...)
	}
	pairs := []Pair{{"INBOX", "INBOX"}, {"Archive/2020", "Archive/2020"}, {"Empty", "Empty"}, {"Entwürfe", "Entwürfe"}}
	for _, bodies := range []bool{false, true} {
		// BatchSize 2 makes the five INBOX messages take three FETCHes.
		rep := r.compare(Options{Bodies: bodies, BatchSize: 2}, pairs...)
		if !rep.Equal() {
			t.Fatalf("bodies=%v: not equal: %s", bodies, rep.Verdict())
		}
		want := "verify: host2 matches host1: 4 folders, 8 messages"
		if bodies {
			want += ", bodies compared"
		}
		if got := rep.Verdict(); got != want {
			t.Errorf("verdict %q, want %q", got, want)
		}
		if rep.Folders[0].Matched != 5 || rep.Folders[1].Matched != 2 || rep.Folders[2].Messages1 != 0 || rep.Folders[3].Matched != 1 {
			t.Errorf("folders %+v", rep.Folders)
		}
	}
	// Nothing changed on either side: no \Seen was set by the reads.
	for _, u := range []*imapmem.User{r.u1, r.u2} {
		seed(t, u, "Unseen", imapmem.Message{Raw: raw("<u@x>", "unseen\r\n"), Date: base})
	}
	r.compare(Options{Bodies: true}, Pair{"Unseen", "Unseen"})
	for _, u := range []*imapmem.User{r.u1, r.u2} {
		ms, err := u.Messages("Unseen")
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].HasFlag(imap.FlagSeen) {
			t.Errorf("%s: verify changed the message: %+v", u.Name(), ms)
		}
	}
}

// TestReadOnly checks on the wire that verify only reads: EXAMINE, never
// SELECT, and bodies fetched with BODY.PEEK, on both sides, also with
// --addheader (which fetches some bodies again) and a missing folder.
func TestReadOnly(t *testing.T) {
	r := newRig(t)
	noID := imapmem.Message{Raw: []byte("Subject: none\r\n\r\nx\r\n"), Date: base}
	seed(t, r.u1, "INBOX", mail(1), noID)
	seed(t, r.u2, "INBOX", mail(1))
	seed(t, r.u1, "Other", mail(2))
	r.s1.Faults().ResetCounts()
	r.s2.Faults().ResetCounts()
	r.compare(Options{Bodies: true, AddHeader: true}, Pair{"INBOX", "INBOX"}, Pair{"Other", "Other"})
	allowed := map[string]bool{"CAPABILITY": true, "LOGIN": true, "AUTHENTICATE": true, "ID": true, "EXAMINE": true, "FETCH": true, "LIST": true, "LOGOUT": true, "NOOP": true}
	for side, s := range []*imapmem.Server{r.s1, r.s2} {
		for _, line := range s.Faults().Commands() {
			f := strings.Fields(line)
			if len(f) < 2 || !allowed[strings.ToUpper(f[1])] {
				t.Errorf("host%d got %q", side+1, line)
			}
			if u := strings.ToUpper(line); strings.Contains(u, "BODY[") || strings.Contains(u, "RFC822 ") || strings.HasSuffix(u, "RFC822)") {
				t.Errorf("host%d got a FETCH that sets \\Seen: %q", side+1, line)
			}
		}
		if s.Faults().Count("EXAMINE") == 0 {
			t.Errorf("host%d: no EXAMINE", side+1)
		}
	}
}

func TestDifferences(t *testing.T) {
	with := func(m imapmem.Message, f func(*imapmem.Message)) imapmem.Message { f(&m); return m }
	// The body of message 2 with one byte changed: same headers, same size.
	altered := with(mail(2), func(m *imapmem.Message) { m.Raw = bytes.Replace(m.Raw, []byte("body of"), []byte("Body of"), 1) })
	noID := imapmem.Message{Raw: []byte("Subject: no identity\r\n\r\nhello\r\n"), Date: base}
	tests := []struct {
		name   string
		host1  []imapmem.Message
		host2  []imapmem.Message
		opts   Options
		equal  bool
		counts map[Kind]int
		lines  []string // substrings of the printed report
	}{{
		name:   "missing",
		host1:  mails(1, 2, 3),
		host2:  mails(1, 3),
		counts: map[Kind]int{Missing: 1},
		lines:  []string{"INBOX: missing on host2: host1 UID 2, Message-Id <2@example.org>, 169 bytes", "verify: 1 difference: 1 missing"},
	}, {
		name:   "extra",
		host1:  mails(1, 2),
		host2:  mails(1, 9, 2),
		counts: map[Kind]int{Extra: 1},
		lines:  []string{`INBOX: extra on host2: host2 UID 2 in "INBOX", Message-Id <9@example.org>`, "verify: 1 difference: 1 extra"},
	}, {
		name:   "duplicated",
		host1:  mails(1, 2),
		host2:  mails(1, 2, 2, 2),
		counts: map[Kind]int{Duplicated: 2},
		lines:  []string{`duplicated on host2: host2 UID 3 in "INBOX" is one more copy of host1 UID 2`, `host2 UID 4 in "INBOX" is one more copy of host1 UID 2`, "verify: 2 differences: 2 duplicated"},
	}, {
		name:   "flags",
		host1:  mails(1, 2),
		host2:  []imapmem.Message{mail(1), with(mail(2), func(m *imapmem.Message) { m.Flags = []imap.Flag{imap.FlagSeen, imap.FlagFlagged} })},
		counts: map[Kind]int{FlagsDiffer: 1},
		lines:  []string{`INBOX: flags differ: host1 UID 2 (\Seen), host2 UID 2 (\Flagged \Seen)`, "verify: 1 difference: 1 flags differ"},
	}, {
		name:   "keyword case and order do not count",
		host1:  []imapmem.Message{with(mail(1), func(m *imapmem.Message) { m.Flags = []imap.Flag{"$Label1", imap.FlagSeen} })},
		host2:  []imapmem.Message{with(mail(1), func(m *imapmem.Message) { m.Flags = []imap.Flag{imap.FlagSeen, "$label1"} })},
		equal:  true,
		counts: map[Kind]int{},
	}, {
		name:   "internal date",
		host1:  mails(1, 2),
		host2:  []imapmem.Message{mail(1), with(mail(2), func(m *imapmem.Message) { m.Date = m.Date.Add(time.Hour) })},
		counts: map[Kind]int{DateDiffers: 1},
		lines:  []string{"INBOX: internal date differs: host1 UID 2 (01-Mar-2024 10:02:00 +0000), host2 UID 2 (01-Mar-2024 11:02:00 +0000)"},
	}, {
		name:   "same date in another zone",
		host1:  mails(1),
		host2:  []imapmem.Message{with(mail(1), func(m *imapmem.Message) { m.Date = m.Date.In(time.FixedZone("", 2*3600)) })},
		equal:  true,
		counts: map[Kind]int{},
	}, {
		name:   "body differs, unseen without bodies",
		host1:  mails(1, 2),
		host2:  []imapmem.Message{mail(1), altered},
		equal:  true,
		counts: map[Kind]int{},
	}, {
		name:   "body differs, seen with bodies",
		host1:  mails(1, 2),
		host2:  []imapmem.Message{mail(1), altered},
		opts:   Options{Bodies: true},
		counts: map[Kind]int{BodyDiffers: 1},
		lines:  []string{"INBOX: body differs: host1 UID 2 (sha256 ", "verify: 1 difference: 1 bodies differ"},
	}, {
		name:   "same Message-Id, other size: missing and extra",
		host1:  mails(1, 2),
		host2:  []imapmem.Message{mail(1), with(mail(2), func(m *imapmem.Message) { m.Raw = append(m.Raw, "more\r\n"...) })},
		counts: map[Kind]int{Missing: 1, Extra: 1},
	}, {
		name:   "host1 duplicate skipped like a sync",
		host1:  mails(1, 2, 2),
		host2:  mails(1, 2),
		equal:  true,
		counts: map[Kind]int{SkippedDuplicate1: 1},
		lines:  []string{"INBOX: host1 duplicate not on host2: host1 UID 3, Message-Id <2@example.org>, 169 bytes: same identity key as host1 UID 2, a sync without --syncduplicates skips it\n", "verify: host2 matches host1: 1 folder, 3 messages"},
	}, {
		name:   "host1 duplicate of another size",
		host1:  []imapmem.Message{mail(2), with(mail(2), func(m *imapmem.Message) { m.Raw = append(m.Raw, "more\r\n"...) })},
		host2:  mails(2),
		equal:  true,
		counts: map[Kind]int{SkippedDuplicate1: 1},
		lines:  []string{"host1 UID 2, Message-Id <2@example.org>, 175 bytes: same identity key as host1 UID 1, a sync without --syncduplicates skips it; the sizes differ (169 bytes there): probably a distinct message\n"},
	}, {
		name:   "host1 duplicate copied anyway",
		host1:  mails(1, 2, 2),
		host2:  mails(1, 2, 2),
		equal:  true,
		counts: map[Kind]int{},
	}, {
		name:   "host1 duplicate with --syncduplicates",
		host1:  mails(1, 2, 2),
		host2:  mails(1, 2),
		opts:   Options{SyncDuplicates: true},
		counts: map[Kind]int{Missing: 1},
	}, {
		name:   "unidentified message is listed, not compared",
		host1:  []imapmem.Message{mail(1), noID},
		host2:  mails(1),
		equal:  true,
		counts: map[Kind]int{Unidentified1: 1},
		lines:  []string{"INBOX: unidentified on host1: host1 UID 2, Message-Id (none), 31 bytes: none of the identity headers, a sync without --addheader does not copy it\n", "(1 host1 message without identity header not compared)"},
	}, {
		name:  "unidentified message matched by its bytes",
		host1: []imapmem.Message{mail(1), noID},
		host2: []imapmem.Message{noID, mail(1)},
		opts:  Options{Bodies: true},
		equal: true,
	}, {
		name:   "unidentified message altered: both listed, not compared",
		host1:  []imapmem.Message{mail(1), noID},
		host2:  []imapmem.Message{mail(1), {Raw: bytes.Replace(noID.Raw, []byte("hello"), []byte("Hello"), 1), Date: base}},
		opts:   Options{Bodies: true},
		equal:  true,
		counts: map[Kind]int{Unidentified1: 1, Unidentified2: 1},
		lines:  []string{`INBOX: unidentified on host2: host2 UID 2 in "INBOX", Message-Id (none), 31 bytes`},
	}, {
		name:  "unidentified message with --addheader",
		host1: []imapmem.Message{mail(1), noID},
		host2: []imapmem.Message{mail(1), {Raw: append(identity.AddHeaderLine(2), noID.Raw...), Date: base}},
		opts:  Options{AddHeader: true, Bodies: true},
		equal: true,
	}, {
		name:   "unidentified message with --addheader, not copied",
		host1:  []imapmem.Message{mail(1), noID},
		host2:  mails(1),
		opts:   Options{AddHeader: true},
		counts: map[Kind]int{Missing: 1},
	}, {
		name:   "identity on Subject only (useheader)",
		host1:  []imapmem.Message{mail(1)},
		host2:  []imapmem.Message{with(mail(1), func(m *imapmem.Message) { m.Raw = raw("<x@example.org>", "body of message 1\r\n") })},
		opts:   Options{Identity: identity.Options{UseHeaders: []string{"Subject"}}},
		equal:  true,
		counts: map[Kind]int{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			seed(t, r.u1, "INBOX", tc.host1...)
			seed(t, r.u2, "INBOX", tc.host2...)
			rep := r.compare(tc.opts)
			var out strings.Builder
			if err := rep.Print(&out); err != nil {
				t.Fatal(err)
			}
			if rep.Equal() != tc.equal {
				t.Fatalf("Equal() = %v, want %v\n%s", rep.Equal(), tc.equal, out.String())
			}
			for k := Missing; k <= SkippedDuplicate1; k++ {
				if got := rep.Count(k); got != tc.counts[k] {
					t.Errorf("%s: %d, want %d\n%s", k, got, tc.counts[k], out.String())
				}
			}
			for _, l := range tc.lines {
				if !strings.Contains(out.String(), l) {
					t.Errorf("report lacks %q:\n%s", l, out.String())
				}
			}
		})
	}
}

func TestFolderMissingOnHost2(t *testing.T) {
	r := newRig(t)
	seed(t, r.u1, "INBOX", mails(1)...)
	seed(t, r.u2, "INBOX", mails(1)...)
	seed(t, r.u1, "Projects/Old", mails(2, 3)...)
	var man bytes.Buffer
	rep := r.compare(Options{Manifest: &man}, Pair{"INBOX", "INBOX"}, Pair{"Projects/Old", "Projects.Old"})
	var out strings.Builder
	rep.Print(&out)
	f := rep.Folders[1]
	if rep.Equal() || !f.Missing2 || f.Messages1 != 2 || f.Count(Missing) != 2 || !rep.Folders[0].Equal() {
		t.Fatalf("report %+v\n%s", rep.Folders, out.String())
	}
	for _, l := range []string{
		`Projects/Old: folder "Projects.Old" does not exist on host2`,
		"Projects/Old -> Projects.Old         2 no folder         0        2",
		"verify: 3 differences: 2 missing, 1 folder missing on host2",
	} {
		if !strings.Contains(out.String(), l) {
			t.Errorf("report lacks %q:\n%s", l, out.String())
		}
	}
	if n := strings.Count(man.String(), `"status":"missing"`); n != 2 {
		t.Errorf("manifest has %d missing records:\n%s", n, man.String())
	}

	// A host1 folder that does not exist is an error of that folder only.
	rep = r.compare(Options{}, Pair{"Nope", "Nope"}, Pair{"INBOX", "INBOX"})
	if rep.Folders[0].Err == nil || rep.Folders[1].Err != nil || rep.Folders[1].Matched != 1 || rep.Equal() {
		t.Fatalf("report %+v", rep.Folders)
	}
	if got := rep.Verdict(); got != "verify: 1 folder not compared" {
		t.Errorf("verdict %q", got)
	}
}

func TestManifest(t *testing.T) {
	r := newRig(t)
	seed(t, r.u1, "INBOX", mails(1, 2, 3)...)
	seed(t, r.u2, "INBOX", mail(1), mail(9), mail(3), mail(3))
	seed(t, r.u1, "Sent", mails(4)...)
	seed(t, r.u2, "Sent", mails(4)...)
	var man bytes.Buffer
	rep := r.compare(Options{Bodies: true, Manifest: &man}, Pair{"INBOX", "INBOX"}, Pair{"Sent", "Sent"})
	if rep.Equal() {
		t.Fatal("equal")
	}
	var recs []Record
	for _, line := range strings.Split(strings.TrimSpace(man.String()), "\n") {
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		recs = append(recs, rec)
	}
	key := func(i int) string {
		k, _ := identity.Options{}.Key(mail(i).Raw, 0)
		return k
	}
	hash := func(i int) string { return fmt.Sprintf("%x", sha256.Sum256(mail(i).Raw)) }
	want := []Record{
		{Folder1: "INBOX", UID1: 1, Folder2: "INBOX", UID2: 1, Key: key(1), MessageID: "<1@example.org>", Size: int64(len(mail(1).Raw)), Hash1: hash(1), Hash2: hash(1), Status: StatusOK},
		{Folder1: "INBOX", UID1: 2, Folder2: "INBOX", Key: key(2), MessageID: "<2@example.org>", Size: int64(len(mail(2).Raw)), Hash1: hash(2), Status: StatusMissing},
		{Folder1: "INBOX", UID1: 3, Folder2: "INBOX", UID2: 3, Key: key(3), MessageID: "<3@example.org>", Size: int64(len(mail(3).Raw)), Hash1: hash(3), Hash2: hash(3), Status: StatusOK},
		{Folder1: "INBOX", UID1: 3, Folder2: "INBOX", UID2: 4, Key: key(3), MessageID: "<3@example.org>", Size: int64(len(mail(3).Raw)), Hash2: hash(3), Status: StatusDuplicated},
		{Folder1: "INBOX", Folder2: "INBOX", UID2: 2, Key: key(9), MessageID: "<9@example.org>", Size: int64(len(mail(9).Raw)), Hash2: hash(9), Status: StatusExtra},
		{Folder1: "Sent", UID1: 1, Folder2: "Sent", UID2: 1, Key: key(4), MessageID: "<4@example.org>", Size: int64(len(mail(4).Raw)), Hash1: hash(4), Hash2: hash(4), Status: StatusOK},
	}
	if len(recs) != len(want) {
		t.Fatalf("manifest:\n%s", man.String())
	}
	for i := range want {
		if !recordEqual(recs[i], want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, recs[i], want[i])
		}
	}
	// A record of a pair that differs says in what.
	man.Reset()
	r2 := newRig(t)
	seed(t, r2.u1, "INBOX", mails(1)...)
	m := mail(1)
	m.Flags, m.Date = nil, base
	seed(t, r2.u2, "INBOX", m)
	r2.compare(Options{Manifest: &man})
	var rec Record
	if err := json.Unmarshal(man.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusDiffers || !slices.Equal(rec.Differs, []string{"flags", "date"}) || rec.Hash1 != "" {
		t.Errorf("record %+v", rec)
	}
}

func recordEqual(a, b Record) bool {
	return a.Folder1 == b.Folder1 && a.UID1 == b.UID1 && a.Folder2 == b.Folder2 && a.UID2 == b.UID2 && a.Key == b.Key &&
		a.MessageID == b.MessageID && a.Size == b.Size && a.Size2 == b.Size2 && a.Hash1 == b.Hash1 && a.Hash2 == b.Hash2 &&
		a.Status == b.Status && slices.Equal(a.Differs, b.Differs)
}

func TestSameFlags(t *testing.T) {
	tests := []struct {
		a, b []imap.Flag
		want bool
	}{
		{nil, nil, true},
		{[]imap.Flag{imap.FlagSeen, `\Recent`}, []imap.Flag{imap.FlagSeen}, true},
		{[]imap.Flag{"$Label1", imap.FlagSeen}, []imap.Flag{`\SEEN`, "$label1"}, true},
		{[]imap.Flag{imap.FlagSeen, imap.FlagSeen}, []imap.Flag{imap.FlagSeen}, true},
		{[]imap.Flag{imap.FlagSeen}, []imap.Flag{imap.FlagSeen, imap.FlagAnswered}, false},
		{[]imap.Flag{"$Forwarded"}, nil, false},
	}
	for _, tc := range tests {
		if got := sameFlags(tc.a, tc.b); got != tc.want {
			t.Errorf("sameFlags(%v, %v) = %v", tc.a, tc.b, got)
		}
	}
}

// TestHostileMessages verifies, with bodies, messages that break naive
// parsers, seeded alike on both sides: all are matched and nothing fails.
func TestHostileMessages(t *testing.T) {
	nested := "Message-Id: <nested@x>\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i := 1; i < 200; i++ {
		nested += fmt.Sprintf("--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	var many strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&many, "X-Field-%d: %d\r\n", i, i)
	}
	hostile := []string{
		"no header at all, just text\r\n",
		"not a field\r\nMessage-Id: <after-garbage@x>\r\n\r\nbody\r\n",
		"Message-Id: <bare-lf@x>\nSubject: lf\n\nbody\n",
		"Message-Id: <nul@x>\r\n\r\nnul \x00 byte\r\n",
		"Message-Id: <\xff\xfe@x>\r\nSubject: \xc3\x28\r\n\r\ninvalid UTF-8\r\n",
		"Subject: " + strings.Repeat("long ", 200) + "\r\nMessage-Id: <long-line@x>\r\n\r\n" + strings.Repeat("b", 100000) + "\r\n",
		many.String() + "Message-Id: <many@x>\r\n\r\nbody\r\n",
		nested,
		"Message-Id: <" + strings.Repeat("m", 2048) + "@x>\r\n\r\nlong id\r\n",
		"Message-Id:\r\n\r\nempty id\r\n",
		"Message-Id: <same@x>\r\n\r\nfirst\r\n",
		"Message-Id: <same@x>\r\n\r\nsecond, longer\r\n",
		"Message-Id: <empty-body@x>\r\n\r\n",
	}
	var msgs []imapmem.Message
	for _, h := range hostile {
		msgs = append(msgs, imapmem.Message{Raw: []byte(h), Date: base})
	}
	r := newRig(t)
	seed(t, r.u1, "INBOX", msgs...)
	seed(t, r.u2, "INBOX", msgs...)
	var man bytes.Buffer
	rep := r.compare(Options{Bodies: true, Manifest: &man})
	var out strings.Builder
	rep.Print(&out)
	if !rep.Equal() || rep.Folders[0].Matched != len(msgs) {
		t.Fatalf("hostile messages seeded alike:\n%s", out.String())
	}
	if n := strings.Count(man.String(), "\n"); n != len(msgs) {
		t.Errorf("manifest has %d lines for %d messages", n, len(msgs))
	}
	if !strings.Contains(man.String(), `"message_id":"<`+strings.Repeat("m", 199)+`...",`) {
		t.Errorf("the 2 KB Message-Id is not shortened:\n%s", man.String())
	}
}

func TestContextAndLostConnection(t *testing.T) {
	r := newRig(t)
	seed(t, r.u1, "INBOX", mails(1)...)
	seed(t, r.u2, "INBOX", mails(1)...)
	c1, c2 := r.clients()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if rep, err := Compare(ctx, c1, c2, []Pair{{"INBOX", "INBOX"}}, Options{}); err == nil || len(rep.Folders) != 0 {
		t.Errorf("cancelled: %v, %+v", err, rep)
	}
	// Host2's connection is gone: every folder is an error, the report
	// is not equal, and Compare itself does not fail.
	c2.Close()
	rep, err := Compare(t.Context(), c1, c2, []Pair{{"INBOX", "INBOX"}, {"INBOX", "INBOX"}}, Options{})
	if err != nil || rep.Equal() || rep.Errors() != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	var out strings.Builder
	rep.Print(&out)
	if !strings.Contains(out.String(), "not compared: host2: EXAMINE") || !strings.HasSuffix(out.String(), "verify: 2 folders not compared\n") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestMessageID(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct{ hdr, want string }{
		{"Message-Id: <a@b>\r\n", "<a@b>"},
		{"Subject: x\nmessage-ID  :\n <folded@b>\n\nMessage-Id: <body@b>\n", "<folded@b>"},
		{"Subject: x\r\n\r\nMessage-Id: <body@b>\r\n", ""},
		{"Message-Id: " + long + "\r\n", long[:200] + "..."},
		{"Message-Id: <\xff@b>\r\n", "<?@b>"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := messageID([]byte(tc.hdr)); got != tc.want {
			t.Errorf("messageID(%q) = %q, want %q", tc.hdr, got, tc.want)
		}
	}
}

func TestGroup3(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := group3(n); got != want {
			t.Errorf("group3(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestCorpus seeds a directory of real-world .eml files (many malformed)
// into both sides and verifies them with bodies: equal; then one host2
// message is replaced by an altered copy of the same size: exactly one
// difference. It runs only when $IMAPSHIFT_CORPUS names such a directory.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("IMAPSHIFT_CORPUS")
	if dir == "" {
		t.Skip("set IMAPSHIFT_CORPUS to a directory of .eml files")
	}
	msgs := corpus(t, dir)
	r := newRig(t)
	seed(t, r.u1, "Corpus", msgs...)
	seed(t, r.u2, "Corpus", msgs...)
	pair := Pair{"Corpus", "Corpus"}
	var man bytes.Buffer
	rep := r.compare(Options{Bodies: true, BatchSize: 100, Manifest: &man}, pair)
	var out strings.Builder
	rep.Print(&out)
	if !rep.Equal() {
		t.Fatalf("seeded alike, but:\n%s", out.String())
	}
	f := rep.Folders[0]
	t.Logf("%d messages: %d matched, %d host1 duplicates, %d unidentified; %s", f.Messages1, f.Matched, f.Duplicates1, f.Unidentified1, rep.Verdict())
	if n := strings.Count(man.String(), `"status":"ok"`); n != len(msgs) {
		t.Errorf("manifest has %d ok records for %d messages", n, len(msgs))
	}

	// Alter one identified message on host2, keeping headers and size.
	target := alterable(t, msgs)
	alt := slices.Clone(msgs)
	alt[target].Raw, _ = alter(msgs[target].Raw)
	r2 := newRig(t)
	seed(t, r2.u1, "Corpus", msgs...)
	seed(t, r2.u2, "Corpus", alt...)
	rep = r2.compare(Options{Bodies: true, BatchSize: 100}, pair)
	out.Reset()
	rep.Print(&out)
	if rep.Equal() || rep.Differences() != 1 || rep.Count(BodyDiffers) != 1 || rep.Folders[0].Differences[0].UID1 != imap.UID(target+1) {
		t.Fatalf("one body altered (UID %d), but:\n%s", target+1, out.String())
	}
	t.Logf("after altering host2's copy of UID %d: %s", target+1, rep.Verdict())
	if !r2.compare(Options{}, pair).Equal() {
		t.Error("without bodies the altered message should go unnoticed")
	}
}

// corpus reads every .eml file under dir, in path order, as messages
// flagged \Seen with internal dates one second apart.
func corpus(t *testing.T, dir string) []imapmem.Message {
	t.Helper()
	var msgs []imapmem.Message
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		msgs = append(msgs, imapmem.Message{Raw: b, Flags: []imap.Flag{imap.FlagSeen}, Date: base.Add(time.Duration(len(msgs)) * time.Second)})
		return nil
	})
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no .eml under %s: %v", dir, err)
	}
	return msgs
}

// alterable returns the index of the first message that has an identity
// key no other message has and a body alter can change.
func alterable(t *testing.T, msgs []imapmem.Message) int {
	t.Helper()
	count := map[string]int{}
	for _, m := range msgs {
		if k, ok := (identity.Options{}).Key(m.Raw, 0); ok {
			count[k]++
		}
	}
	for i, m := range msgs {
		k, ok := (identity.Options{}).Key(m.Raw, 0)
		if _, can := alter(m.Raw); ok && can && count[k] == 1 {
			return i
		}
	}
	t.Fatal("no message to alter")
	return -1
}

// alter returns raw with the case of the first ASCII letter of the body
// swapped: same headers, same size, same line ends.
func alter(raw []byte) ([]byte, bool) {
	i := bytes.Index(raw, []byte("\n\n"))
	if j := bytes.Index(raw, []byte("\n\r\n")); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return raw, false
	}
	out := slices.Clone(raw)
	for k := i; k < len(out); k++ {
		if c := out[k]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			out[k] ^= 0x20
			return out, true
		}
	}
	return raw, false
}

// dialer returns a Dialer to the rig's two users and counts its calls.
func (r *rig) dialer(calls *atomic.Int32) Dialer {
	return func(ctx context.Context, side int) (*imapclient.Client, error) {
		calls.Add(1)
		s, user, pass := r.s1, "alice", "pw1"
		if side == 2 {
			s, user, pass = r.s2, "bob", "pw2"
		}
		c, err := conn.Dial(ctx, &conn.Config{Side: side, Host: s.Host(), Port: s.Port(), Mode: conn.TLSNone, User: user, Password: pass, Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		return c.Client, nil
	}
}

func TestCompareParallel(t *testing.T) {
	r := newRig(t)
	var pairs []Pair
	for i := range 7 {
		name := fmt.Sprintf("F%d", i)
		pairs = append(pairs, Pair{name, name})
		ids := []int{10 * i, 10*i + 1, 10*i + 2}
		seed(t, r.u1, name, mails(ids...)...)
		switch i {
		case 2: // one missing
			seed(t, r.u2, name, mails(ids[:2]...)...)
		case 4: // one extra
			seed(t, r.u2, name, mails(append(ids, 99)...)...)
		case 5: // no folder on host2
		default:
			seed(t, r.u2, name, mails(ids...)...)
		}
	}
	pairs = append(pairs, Pair{"Nope", "Nope"})
	var seqMan, parMan bytes.Buffer
	seq := r.compare(Options{Bodies: true, Manifest: &seqMan}, pairs...)
	var calls atomic.Int32
	par, err := CompareParallel(t.Context(), r.dialer(&calls), 3, pairs, Options{Bodies: true, Manifest: &parMan})
	if err != nil {
		t.Fatal(err)
	}
	var seqOut, parOut strings.Builder
	seq.Print(&seqOut)
	par.Print(&parOut)
	if seqOut.String() != parOut.String() || seqMan.String() != parMan.String() {
		t.Fatalf("sequential:\n%s\nparallel:\n%s\nmanifests:\n%s\n%s", seqOut.String(), parOut.String(), seqMan.String(), parMan.String())
	}
	if got, want := par.Verdict(), "verify: 6 differences: 4 missing, 1 extra, 1 folder missing on host2, 1 folder not compared"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
	if calls.Load() != 6 {
		t.Errorf("%d connections opened, want 6 (3 workers × 2 sides)", calls.Load())
	}
}

// TestConnectionCutInLiteral cuts host2's connection in the middle of a
// message literal. Compare reports that folder as not compared and goes
// on; CompareParallel reconnects and compares it again.
func TestConnectionCutInLiteral(t *testing.T) {
	r := newRig(t)
	big := imapmem.Message{Raw: raw("<big@x>", strings.Repeat("line of text\r\n", 5000)), Date: base}
	for _, u := range []*imapmem.User{r.u1, r.u2} {
		seed(t, u, "A", big)
		seed(t, u, "B", mails(1, 2)...)
	}
	pairs := []Pair{{"A", "A"}, {"B", "B"}}

	r.s2.Faults().DropResponseAfterBytes("FETCH", 30000)
	rep := r.compare(Options{Bodies: true}, pairs...)
	if rep.Folders[0].Err == nil || rep.Equal() {
		t.Fatalf("cut: %+v", rep.Folders)
	}
	t.Logf("after the cut: %v", rep.Folders[0].Err)

	r.s2.Faults().DropResponseAfterBytes("FETCH", 30000)
	var calls atomic.Int32
	rep, err := CompareParallel(t.Context(), r.dialer(&calls), 1, pairs, Options{Bodies: true})
	if err != nil || !rep.Equal() || rep.Folders[0].Matched != 1 || rep.Folders[1].Matched != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	if calls.Load() != 4 {
		t.Errorf("%d connections opened, want 4 (one reconnection of both sides)", calls.Load())
	}
}
