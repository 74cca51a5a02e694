package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
	"github.com/imapshift/imapshift/core/verify"
)

// verifyDate is the internal date of the messages of the verify tests.
var verifyDate = time.Date(2022, 6, 7, 8, 9, 10, 0, time.UTC)

// vmsg is message n of the verify tests, with body as its text.
func vmsg(n int, body string, flags ...imap.Flag) imapmem.Message {
	raw := fmt.Sprintf("From: a@example.org\r\nSubject: verify %d\r\nMessage-ID: <v%d@example.org>\r\n\r\n%s\r\n", n, n, body)
	return imapmem.Message{Raw: []byte(raw), Flags: flags, Date: verifyDate}
}

// verifyPair starts two empty servers and seeds each side's folders.
func verifyPair(t *testing.T, host1, host2 map[string][]imapmem.Message) *pair {
	t.Helper()
	p := newPair(t, "vera", "walt", 0)
	for _, side := range []struct {
		u     *imapmem.User
		boxes map[string][]imapmem.Message
	}{{p.u1, host1}, {p.u2, host2}} {
		for box, msgs := range side.boxes {
			if err := side.u.Seed(box, msgs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

// runVerifyCmd runs `imapshift verify` on the pair with extra options.
func runVerifyCmd(t *testing.T, p *pair, extra ...string) result {
	t.Helper()
	return runArgs(t, nil, append(append([]string{"verify"}, p.args()...), extra...)...)
}

// TestVerifyEqual: identical sides give exit 0 and the verdict line, and
// nothing changes on either side (\Seen stays unset).
func TestVerifyEqual(t *testing.T) {
	boxes := func() map[string][]imapmem.Message {
		return map[string][]imapmem.Message{
			"INBOX":   {vmsg(1, "one", imap.FlagSeen), vmsg(2, "two"), vmsg(3, "three", imap.FlagFlagged)},
			"Archive": {vmsg(4, "four")},
		}
	}
	p := verifyPair(t, boxes(), boxes())
	r := runVerifyCmd(t, p, "--bodies")
	if r.code != 0 || !strings.Contains(r.stdout, "verify: host2 matches host1: 2 folders, 4 messages, bodies compared\n") || r.stderr != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, u := range []*imapmem.User{p.u1, p.u2} {
		msgs, err := u.Messages("INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 3 || msgs[1].HasFlag(imap.FlagSeen) || !msgs[0].HasFlag(imap.FlagSeen) {
			t.Errorf("%s: messages changed by verify: %+v", u.Name(), msgs)
		}
	}
}

// TestVerifyDifferences: each kind of difference exits 121 with its
// listing line and the verdict on stderr.
func TestVerifyDifferences(t *testing.T) {
	other := verifyDate.Add(-48 * time.Hour)
	dated := vmsg(2, "two")
	dated.Date = other
	for _, tc := range []struct {
		name    string
		host2   []imapmem.Message
		line    string // in stdout
		verdict string // in stderr
	}{
		{"missing", []imapmem.Message{vmsg(1, "one")},
			"INBOX: missing on host2: host1 UID 2, Message-Id <v2@example.org>", "1 difference: 1 missing"},
		{"extra", []imapmem.Message{vmsg(1, "one"), vmsg(2, "two"), vmsg(3, "three")},
			`INBOX: extra on host2: host2 UID 3 in "INBOX", Message-Id <v3@example.org>`, "1 difference: 1 extra"},
		{"duplicated", []imapmem.Message{vmsg(1, "one"), vmsg(2, "two"), vmsg(2, "two")},
			`INBOX: duplicated on host2: host2 UID 3 in "INBOX" is one more copy of host1 UID 2`, "1 difference: 1 duplicated"},
		{"flags", []imapmem.Message{vmsg(1, "one"), vmsg(2, "two", imap.FlagSeen)},
			`INBOX: flags differ: host1 UID 2 (no flags), host2 UID 2 (\Seen)`, "1 difference: 1 flags differ"},
		{"date", []imapmem.Message{vmsg(1, "one"), dated},
			"INBOX: internal date differs: host1 UID 2 (07-Jun-2022 08:09:10 +0000), host2 UID 2 (05-Jun-2022 08:09:10 +0000)", "1 difference: 1 internal dates differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := verifyPair(t, map[string][]imapmem.Message{"INBOX": {vmsg(1, "one"), vmsg(2, "two")}},
				map[string][]imapmem.Message{"INBOX": tc.host2})
			r := runVerifyCmd(t, p)
			if r.code != 121 || !strings.Contains(r.stdout, tc.line) || !strings.Contains(r.stdout, "verify: "+tc.verdict+"\n") || r.stderr != "imapshift: "+tc.verdict+"\n" {
				t.Fatalf("exit %d, want 121, line %q, verdict %q\nstdout:\n%s\nstderr: %s", r.code, tc.line, tc.verdict, r.stdout, r.stderr)
			}
		})
	}
}

// TestVerifyBodies: a host2 message with the same headers and size but
// other bytes is equal without --bodies and a difference with it.
func TestVerifyBodies(t *testing.T) {
	p := verifyPair(t, map[string][]imapmem.Message{"INBOX": {vmsg(1, "one"), vmsg(2, "body AAAA")}},
		map[string][]imapmem.Message{"INBOX": {vmsg(1, "one"), vmsg(2, "body BBBB")}})
	if r := runVerifyCmd(t, p); r.code != 0 {
		t.Fatalf("without --bodies: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runVerifyCmd(t, p, "--bodies")
	if r.code != 121 || !strings.Contains(r.stdout, "INBOX: body differs: host1 UID 2 (sha256 ") || !strings.Contains(r.stderr, "1 difference: 1 bodies differ") {
		t.Fatalf("--bodies: exit %d\nstdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

// TestVerifyManifest: --json writes one record per message, with both
// UIDs, key, size, hashes (with --bodies) and status.
func TestVerifyManifest(t *testing.T) {
	p := verifyPair(t, map[string][]imapmem.Message{"INBOX": {vmsg(1, "one"), vmsg(2, "two")}},
		map[string][]imapmem.Message{"INBOX": {vmsg(1, "one"), vmsg(3, "three")}})
	path := filepath.Join(t.TempDir(), "manifest.jsonl")
	r := runVerifyCmd(t, p, "--bodies", "--json", path)
	if r.code != 121 || !strings.Contains(r.stdout, "Manifest written to "+path) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []verify.Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var rec verify.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), b)
	}
	byStatus := map[string]verify.Record{}
	for _, rec := range recs {
		byStatus[rec.Status] = rec
		if rec.Folder1 != "INBOX" || rec.Folder2 != "INBOX" || rec.Key == "" || rec.Size == 0 {
			t.Errorf("record %+v", rec)
		}
	}
	ok, missing, extra := byStatus[verify.StatusOK], byStatus[verify.StatusMissing], byStatus[verify.StatusExtra]
	if ok.UID1 != 1 || ok.UID2 != 1 || ok.MessageID != "<v1@example.org>" || len(ok.Hash1) != 64 || ok.Hash1 != ok.Hash2 {
		t.Errorf("ok record %+v", ok)
	}
	if missing.UID1 != 2 || missing.UID2 != 0 || len(missing.Hash1) != 64 {
		t.Errorf("missing record %+v", missing)
	}
	if extra.UID1 != 0 || extra.UID2 != 2 || extra.MessageID != "<v3@example.org>" || len(extra.Hash2) != 64 {
		t.Errorf("extra record %+v", extra)
	}
}

// TestVerifyFolderMapping: the pairs are the sync's: --regextrans2
// renames a folder, --folder limits the folders, and a host1 folder
// whose host2 name does not exist is reported.
func TestVerifyFolderMapping(t *testing.T) {
	p := verifyPair(t, map[string][]imapmem.Message{"INBOX": {vmsg(1, "one")}, "Sent": {vmsg(2, "two")}},
		map[string][]imapmem.Message{"INBOX": {vmsg(1, "one")}, "Sent Items": {vmsg(2, "two")}})

	r := runVerifyCmd(t, p, "--regextrans2", "s/^Sent$/Sent Items/")
	if r.code != 0 || !strings.Contains(r.stdout, "Sent -> Sent Items") || !strings.Contains(r.stdout, "verify: host2 matches host1: 2 folders, 2 messages") {
		t.Fatalf("--regextrans2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runVerifyCmd(t, p)
	if r.code != 121 || !strings.Contains(r.stdout, `Sent: folder "Sent" does not exist on host2`) || !strings.Contains(r.stderr, "1 folder missing on host2") {
		t.Fatalf("no mapping: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runVerifyCmd(t, p, "--folder", "INBOX")
	if r.code != 0 || !strings.Contains(r.stdout, "verify: host2 matches host1: 1 folder, 1 message") {
		t.Fatalf("--folder INBOX: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// An empty host1 folder absent on host2 is a difference, unless
	// --skipemptyfolders says a sync leaves it out.
	if err := p.u1.CreateMailbox("Empty"); err != nil {
		t.Fatal(err)
	}
	r = runVerifyCmd(t, p, "--regextrans2", "s/^Sent$/Sent Items/")
	if r.code != 121 || !strings.Contains(r.stdout, `Empty: folder "Empty" does not exist on host2`) {
		t.Fatalf("empty folder: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runVerifyCmd(t, p, "--regextrans2", "s/^Sent$/Sent Items/", "--skipemptyfolders")
	if r.code != 0 || !strings.Contains(r.stdout, "Folder [Empty] is empty on host1 and not on host2, as --skipemptyfolders leaves it: not compared") {
		t.Fatalf("empty folder with --skipemptyfolders: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --subfolder2: every host1 folder lives under "Old/" on host2.
	q := verifyPair(t, map[string][]imapmem.Message{"INBOX": {vmsg(1, "one")}, "Sent": {vmsg(2, "two")}},
		map[string][]imapmem.Message{"Old/INBOX": {vmsg(1, "one")}, "Old/Sent": {vmsg(2, "two")}})
	r = runVerifyCmd(t, q, "--subfolder2", "Old")
	if r.code != 0 || !strings.Contains(r.stdout, "INBOX -> Old/INBOX") || !strings.Contains(r.stdout, "Sent -> Old/Sent") {
		t.Fatalf("--subfolder2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// verify created nothing.
	if boxes, _ := q.u2.Mailboxes(); slices.Contains(boxes, "Sent") {
		t.Errorf("host2 folders after verify: %v", boxes)
	}
}

// TestVerifyLoginFailures: connection and login failures keep their exit
// codes.
func TestVerifyLoginFailures(t *testing.T) {
	p := verifyPair(t, nil, nil)
	p1, p2 := strconv.Itoa(p.src.Port()), strconv.Itoa(p.dst.Port())
	closed := closedPort(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"wrong password host2", append(hostArgs(1, p1, "vera", pass1), hostArgs(2, p2, "walt", "nope")...), 162},
		{"closed port host1", append(hostArgs(1, closed, "vera", pass1), hostArgs(2, p2, "walt", pass2)...), 101},
		{"missing --user2", []string{"--host1", "127.0.0.1", "--user1", "vera", "--host2", "127.0.0.1"}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, nil, append([]string{"verify"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			oneErrorLine(t, r)
		})
	}
}

// TestDovecotVerifyAfterSync: after a real sync between two Dovecot
// instances with different layouts, verify --bodies finds them equal;
// a message removed from host2 then shows as missing.
func TestDovecotVerifyAfterSync(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2019, 4, 5, 6, 7, 8, 0, time.UTC)
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: []dovecot.Message{{Raw: msg("a1", "inbox one"), Flags: []string{`\Seen`, "$Label1"}, Date: date}, {Raw: msg("a2", "inbox two"), Date: date.Add(time.Hour)}}},
		{Name: "Archive/2019", Msgs: []dovecot.Message{{Raw: msg("c1", "old"), Flags: []string{`\Answered`, `\Seen`}, Date: date.AddDate(-1, 0, 0)}}},
		{Name: "Sent Items", Msgs: []dovecot.Message{{Raw: msg("d1", "sent"), Flags: []string{`\Seen`}, Date: date}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	args := append(dovecotSide(1, d1, "user1", "secret1", "--notls1"), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	if code, out := imapshift(t, append([]string{"--nofoldersizes", "--nolog"}, args...)...); code != 0 {
		t.Fatalf("sync exit %d\n%s", code, out)
	}
	code, out := imapshift(t, append([]string{"verify", "--bodies"}, args...)...)
	if code != 0 || !strings.Contains(out, "verify: host2 matches host1: 3 folders, 4 messages, bodies compared") {
		t.Fatalf("verify after sync: exit %d\n%s", code, out)
	}

	c2 := dovecotClient(t, d2, "user1", "secret1")
	if _, err := c2.Select("Sent Items", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	code, out = imapshift(t, append([]string{"verify"}, args...)...)
	if code != 121 || !strings.Contains(out, "Sent Items: missing on host2: host1 UID 1, Message-Id <d1@example.org>") {
		t.Fatalf("verify after an expunge on host2: exit %d\n%s", code, out)
	}
}

// TestDovecotVerifyCorpus syncs a directory of real-world messages (many
// malformed) with --addheader between two Dovecot instances, then checks
// that verify --bodies with the same options finds host2 equal. It runs
// only when $IMAPSHIFT_CORPUS names a directory of */*.eml files.
func TestDovecotVerifyCorpus(t *testing.T) {
	dir := os.Getenv("IMAPSHIFT_CORPUS")
	if dir == "" {
		t.Skip("set IMAPSHIFT_CORPUS to a directory of */*.eml files")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no */*.eml in %s: %v", dir, err)
	}
	var msgs []dovecot.Message
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, dovecot.Message{Raw: raw, Flags: []string{`\Seen`}, Date: time.Date(2020, 1, 1, 0, 0, i%60, 0, time.UTC)})
	}
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	if err := d1.Seed("user1", "Corpus", msgs); err != nil {
		t.Fatal(err)
	}
	args := append(append(dovecotSide(1, d1, "user1", "secret1", "--notls1"), dovecotSide(2, d2, "user1", "secret1", "--notls2")...), "--addheader")
	if code, out := imapshift(t, append([]string{"--nofoldersizes", "--nolog"}, args...)...); code != 0 {
		t.Fatalf("sync exit %d\n%s", code, out)
	}
	code, out := imapshift(t, append([]string{"verify", "--bodies"}, args...)...)
	if code != 0 || !strings.Contains(out, "verify: host2 matches host1: ") {
		t.Fatalf("verify --bodies after sync: exit %d\n%s", code, out)
	}
	t.Logf("%d files: %s", len(files), out[strings.LastIndex(out, "verify: "):])
}
