package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// pair is two in-process servers with one user each.
type pair struct {
	s1, s2 *imapmem.Server
	u1, u2 *imapmem.User
}

func newPair(t *testing.T) *pair {
	t.Helper()
	p := &pair{s1: imapmem.StartT(t, imapmem.Options{}), s2: imapmem.StartT(t, imapmem.Options{})}
	p.u1 = p.s1.AddUser("alice", "secret1")
	p.u2 = p.s2.AddUser("bob", "secret2")
	return p
}

func (p *pair) options(t *testing.T, out *bytes.Buffer) Options {
	cfg := func(side int, s *imapmem.Server, user, pass string) *conn.Config {
		return &conn.Config{Side: side, Host: s.Host(), Port: s.Port(), Mode: conn.TLSNone, User: user, Password: pass, Timeout: 10 * time.Second}
	}
	return Options{
		Host1: cfg(1, p.s1, "alice", "secret1"), Host2: cfg(2, p.s2, "bob", "secret2"),
		FixSlash2: true, FixInboxINBOX: true, Subscribe: true, MixFolders: true, CheckSelectable: true,
		SyncInternalDates: true, ResyncFlags: true, FolderSizes: true, FolderSizesAtEnd: true,
		Parallel: 4, BodyBudget: 8 << 20, TmpDir: t.TempDir(), ErrorsMax: 50,
		ReconnectRetry1: 3, ReconnectRetry2: 3, Out: out,
		Selection: selAll(),
	}
}

func selAll() (s mailbox.Selection) { s.CheckFoldersExist = true; return }

// snapshot renders a user's mailbox as comparable text: per folder, the
// sorted list of (sha256 of bytes, flags, internal date).
func snapshot(t *testing.T, u *imapmem.User) map[string][]string {
	t.Helper()
	boxes, err := u.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, b := range boxes {
		msgs, err := u.Messages(b)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, m := range msgs {
			var fl []string
			for _, f := range m.Flags {
				if f != `\Recent` {
					fl = append(fl, string(f))
				}
			}
			slices.Sort(fl)
			lines = append(lines, fmt.Sprintf("%x %s %s", sha256.Sum256(m.Raw), strings.Join(fl, ","), m.InternalDate.UTC().Format(time.RFC3339)))
		}
		slices.Sort(lines)
		out[b] = lines
	}
	return out
}

func run(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestSyncDemoMailbox(t *testing.T) {
	p := newPair(t)
	if err := p.u1.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res := run(t, p.options(t, &out))
	if n := res.Errors.Count(); n != 0 {
		t.Fatalf("%d errors:\n%s", n, out.String())
	}
	want := snapshot(t, p.u1)
	got := snapshot(t, p.u2)
	for box, msgs := range want {
		if !sameOnceEach(msgs, got[box]) {
			t.Errorf("folder %q differs:\nhost1 %v\nhost2 %v", box, msgs, got[box])
		}
	}
	if res.Transferred == 0 {
		t.Fatalf("nothing transferred:\n%s", out.String())
	}

	// A rerun copies nothing and leaves host2 unchanged.
	out.Reset()
	res2 := run(t, p.options(t, &out))
	if res2.Transferred != 0 || res2.Errors.Count() != 0 {
		t.Fatalf("rerun transferred %d, errors %d:\n%s", res2.Transferred, res2.Errors.Count(), out.String())
	}
	if again := snapshot(t, p.u2); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Fatalf("rerun changed host2")
	}
}

func TestFlagsResync(t *testing.T) {
	p := newPair(t)
	msg := []byte("Message-ID: <a@x>\r\nSubject: a\r\n\r\nbody\r\n")
	p.u1.Seed("INBOX", imapmem.Message{Raw: msg, Flags: []imap.Flag{imap.FlagSeen, "$Label1"}, Date: time.Date(2019, 5, 1, 10, 0, 0, 0, time.UTC)})
	p.u2.Seed("INBOX", imapmem.Message{Raw: msg, Flags: []imap.Flag{imap.FlagFlagged}, Date: time.Date(2019, 5, 1, 10, 0, 0, 0, time.UTC)})
	var out bytes.Buffer
	res := run(t, p.options(t, &out))
	if res.Transferred != 0 {
		t.Fatalf("copied a message already there:\n%s", out.String())
	}
	msgs, _ := p.u2.Messages("INBOX")
	if len(msgs) != 1 || !msgs[0].HasFlag(imap.FlagSeen) || !msgs[0].HasFlag("$Label1") || msgs[0].HasFlag(imap.FlagFlagged) {
		t.Fatalf("flags not resynced: %+v\n%s", msgs, out.String())
	}
}

func TestDryWritesNothing(t *testing.T) {
	p := newPair(t)
	if err := p.u1.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Dry = true
	res := run(t, opts)
	if res.Transferred != 0 || res.WouldTransfer == 0 {
		t.Fatalf("dry: transferred %d, would %d", res.Transferred, res.WouldTransfer)
	}
	boxes, _ := p.u2.Mailboxes()
	if len(boxes) != 1 || boxes[0] != "INBOX" {
		t.Fatalf("dry run created folders: %v", boxes)
	}
	if msgs, _ := p.u2.Messages("INBOX"); len(msgs) != 0 {
		t.Fatalf("dry run appended %d messages", len(msgs))
	}
	if !strings.Contains(out.String(), "(not really since --dry mode)") {
		t.Fatalf("no plan printed:\n%s", out.String())
	}
}

// sameOnceEach reports whether host2 holds every distinct host1 message
// (by content hash) exactly once, each with the flags and date of one of
// its host1 copies: duplicates inside a folder are copied once.
func sameOnceEach(h1, h2 []string) bool {
	hashes := map[string]bool{}
	for _, l := range h1 {
		hashes[strings.Fields(l)[0]] = true
	}
	if len(h2) != len(hashes) {
		return false
	}
	for _, l := range h2 {
		if !slices.Contains(h1, l) || !hashes[strings.Fields(l)[0]] {
			return false
		}
		delete(hashes, strings.Fields(l)[0])
	}
	return true
}

func TestParallelOneAndEightGiveTheSameHost2(t *testing.T) {
	var snaps []string
	for _, n := range []int{1, 8} {
		p := newPair(t)
		if err := p.u1.SeedDemo(); err != nil {
			t.Fatal(err)
		}
		seedN(t, p.u1, "Bulk", 300, 500)
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.Parallel = n
		if res := run(t, opts); res.Errors.Count() != 0 {
			t.Fatalf("parallel %d: %v", n, res.Errors.Records())
		}
		snaps = append(snaps, fmt.Sprint(snapshot(t, p.u2)))
	}
	if snaps[0] != snaps[1] {
		t.Fatal("--parallel 1 and --parallel 8 give different host2 mailboxes")
	}
}

func TestUnidentifiedAndAddHeader(t *testing.T) {
	p := newPair(t)
	noID := []byte("From: a@example.org\r\nSubject: no id\r\n\r\nbody\r\n")
	p.u1.Seed("Drafts", imapmem.Message{Raw: noID, Flags: []imap.Flag{imap.FlagDraft}, Date: time.Date(2018, 1, 2, 3, 4, 5, 0, time.UTC)})

	var out bytes.Buffer
	res := run(t, p.options(t, &out))
	if res.VoidHost1 != 1 || res.Transferred != 0 || !strings.Contains(out.String(), "use --addheader") {
		t.Fatalf("without --addheader: void %d transferred %d\n%s", res.VoidHost1, res.Transferred, out.String())
	}
	for i := 0; i < 2; i++ { // the rerun must not duplicate
		out.Reset()
		opts := p.options(t, &out)
		opts.AddHeader = true
		res = run(t, opts)
		msgs, _ := p.u2.Messages("Drafts")
		if len(msgs) != 1 {
			t.Fatalf("run %d with --addheader: host2 Drafts has %d messages\n%s", i+1, len(msgs), out.String())
		}
		uid := p.mustUID(t, "Drafts")
		want := fmt.Sprintf("Message-Id: <%d@imapsync>\r\n", uid)
		if got := string(msgs[0].Raw); got != want+string(noID) {
			t.Fatalf("host2 copy is %q, want the header %q prepended", got, want)
		}
	}
}

func (p *pair) mustUID(t *testing.T, box string) imap.UID {
	t.Helper()
	msgs, err := p.u1.Messages(box)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("host1 %s: %v %d", box, err, len(msgs))
	}
	return msgs[0].UID
}

// countingProgress records what the engine reports.
type countingProgress struct {
	mu                 sync.Mutex
	msgs, copied       int
	bytes, copiedBytes int64
	started            map[string]int
	done               map[string]bool
}

func (c *countingProgress) Start(m int, b int64) { c.mu.Lock(); c.msgs, c.bytes = m, b; c.mu.Unlock() }
func (c *countingProgress) FolderStart(f string, _ int, _ int64) {
	c.mu.Lock()
	c.started[f]++
	c.mu.Unlock()
}
func (c *countingProgress) FolderDone(f string) { c.mu.Lock(); c.done[f] = true; c.mu.Unlock() }
func (c *countingProgress) Copied(_ string, b int64) {
	c.mu.Lock()
	c.copied++
	c.copiedBytes += b
	c.mu.Unlock()
}

// TestProgressReportsEveryCopy checks the progress calls: every copy
// counted, each folder started once and done once, also a folder whose
// flag stores and copies are jobs run by different workers.
func TestProgressReportsEveryCopy(t *testing.T) {
	p := newPair(t)
	if err := p.u1.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	// "Mixed": one message on both sides with other flags (a store
	// job) and 1,500 to copy (two copy jobs).
	raw := func(i int) []byte {
		return []byte(fmt.Sprintf("Message-ID: <mixed%d@x>\r\nSubject: %d\r\n\r\nx\r\n", i, i))
	}
	p.u1.Seed("Mixed", imapmem.Message{Raw: raw(0), Flags: []imap.Flag{imap.FlagFlagged}})
	p.u2.Seed("Mixed", imapmem.Message{Raw: raw(0)})
	var more []imapmem.Message
	for i := 1; i <= 1500; i++ {
		more = append(more, imapmem.Message{Raw: raw(i)})
	}
	p.u1.Seed("Mixed", more...)
	var out bytes.Buffer
	opts := p.options(t, &out)
	prog := &countingProgress{started: map[string]int{}, done: map[string]bool{}}
	opts.Progress = prog
	res := run(t, opts)
	if prog.msgs != int(res.Transferred) || prog.copied != prog.msgs || prog.copiedBytes != prog.bytes || prog.bytes != res.BytesTransferred {
		t.Fatalf("progress %+v, result transferred %d bytes %d", prog, res.Transferred, res.BytesTransferred)
	}
	if len(prog.started) == 0 || len(prog.started) != len(prog.done) || prog.started["Mixed"] == 0 {
		t.Fatalf("folders started %v, done %v", prog.started, prog.done)
	}
	for f, n := range prog.started {
		if n != 1 {
			t.Errorf("folder %s started %d times", f, n)
		}
	}
	if got, _ := p.u2.Messages("Mixed"); len(got) != 1501 || !slices.Contains(got[0].Flags, imap.FlagFlagged) {
		t.Errorf("host2 Mixed: %d messages, first flags %v", len(got), got[0].Flags)
	}
}

func TestSkipCrossDuplicates(t *testing.T) {
	raw := []byte("Message-ID: <label@x>\r\nSubject: labelled twice\r\n\r\nx\r\n")
	for _, n := range []int{1, 8} {
		q := newPair(t)
		for _, box := range []string{"A", "B", "C"} {
			q.u1.Seed(box, imapmem.Message{Raw: raw})
		}
		var out bytes.Buffer
		opts := q.options(t, &out)
		opts.SkipCrossDuplicates, opts.Parallel = true, n
		res := run(t, opts)
		a, _ := q.u2.Messages("A")
		b, _ := q.u2.Messages("B")
		if len(a) != 1 || len(b) != 0 || res.CrossDupHost2 != 2 {
			t.Fatalf("parallel %d: A has %d, B %d, crossdup %d; want the first folder only", n, len(a), len(b), res.CrossDupHost2)
		}
	}
}

func TestSearchSelectsMessages(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 6, 300)
	msgs, _ := p.u1.Messages("INBOX")
	var out bytes.Buffer
	opts := p.options(t, &out)
	// Only messages 2..4 by UID, and not the flagged ones (none here).
	var uids imap.UIDSet
	uids.AddRange(msgs[1].UID, msgs[3].UID)
	opts.MessageSelection.Search1 = &imap.SearchCriteria{UID: []imap.UIDSet{uids}, NotFlag: []imap.Flag{imap.FlagFlagged}}
	res := run(t, opts)
	if res.Transferred != 3 || res.Skipped != 0 {
		t.Fatalf("transferred %d skipped %d, want 3 and 0 (left out is not skipped)", res.Transferred, res.Skipped)
	}
}
