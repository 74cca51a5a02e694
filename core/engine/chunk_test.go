package engine

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// chunkN is the analysis chunk of these tests: far below the folders'
// sizes, so that host1 and host2 are each read in several UID FETCHes.
const chunkN = 40

// chunkMsg is the i-th message of the chunk corpus.
func chunkMsg(i int) imapmem.Message {
	return imapmem.Message{
		Raw:   []byte(fmt.Sprintf("Message-ID: <chunk-%d@example.org>\r\nSubject: chunk %d\r\n\r\nbody %d\r\n", i, i, i)),
		Flags: [][]imap.Flag{nil, {imap.FlagSeen}, {imap.FlagSeen, imap.FlagAnswered}}[i%3],
		Date:  time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC).Add(time.Duration(i) * time.Hour),
	}
}

// seedChunked fills host1's INBOX with n messages, 0 to n-1, plus a
// duplicate of message 3 at the end (a later chunk than its original);
// host2's INBOX gets a shuffled half of them, so that a message's match
// sits in another chunk than its own, and extra host2-only messages
// spread among them. It returns the host2-only messages.
func seedChunked(t *testing.T, p *pair, n, extra int) [][]byte {
	t.Helper()
	var h1 []imapmem.Message
	for i := 0; i < n; i++ {
		h1 = append(h1, chunkMsg(i))
	}
	h1 = append(h1, chunkMsg(3))
	if err := p.u1.Seed("INBOX", h1...); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(7))
	var h2 []imapmem.Message
	for _, i := range r.Perm(n)[:n/2] {
		h2 = append(h2, chunkMsg(i))
	}
	var only2 [][]byte
	for k := 0; k < extra; k++ {
		m := imapmem.Message{Raw: []byte(fmt.Sprintf("Message-ID: <only2-%d@example.org>\r\nSubject: only2\r\n\r\nx\r\n", k))}
		only2 = append(only2, m.Raw)
		at := r.Intn(len(h2) + 1)
		h2 = append(h2[:at], append([]imapmem.Message{m}, h2[at:]...)...)
	}
	if err := p.u2.Seed("INBOX", h2...); err != nil {
		t.Fatal(err)
	}
	return only2
}

// messageIDs counts a user's INBOX messages by Message-ID line, leaving
// out those flagged \Deleted.
func messageIDs(t *testing.T, u *imapmem.User) map[string]int {
	t.Helper()
	msgs, err := u.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range msgs {
		if m.HasFlag(imap.FlagDeleted) {
			continue
		}
		id, _, _ := strings.Cut(string(m.Raw), "\r\n")
		out[id]++
	}
	return out
}

// TestChunkedAnalysisExactlyOnce: a folder of several analysis chunks on
// both sides, whose host2 messages are in another order than host1's (so
// that a message's match is in another chunk), syncs with every host1
// message on host2 exactly once, the host1 duplicate that sits in a later
// chunk than its original skipped, host2's own messages kept, the flags
// of messages already there synced; a rerun copies nothing.
func TestChunkedAnalysisExactlyOnce(t *testing.T) {
	const n = 300
	p := newPair(t)
	only2 := seedChunked(t, p, n, 10)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.AnalysisChunk = chunkN
	p.s1.Faults().ResetCounts()
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != n-n/2 || res.DupHost1 != 1 {
		t.Fatalf("errors %v, transferred %d (want %d), host1 duplicates %d (want 1)\n%s", res.Errors.Records(), res.Transferred, n-n/2, res.DupHost1, out.String())
	}
	// host2 read again at the end, in chunks too, holds every key once.
	if res.IdentifiedHost2 != int64(n+len(only2)) || res.DupHost2End != 0 {
		t.Fatalf("host2 at the end: %d keys (want %d), %d duplicates\n%s", res.IdentifiedHost2, n+len(only2), res.DupHost2End, out.String())
	}
	if f := p.s1.Faults().CommandsMatching("UID FETCH"); len(f) < (n+1)/chunkN {
		t.Fatalf("host1 was read in %d UID FETCHes, want at least %d: %q", len(f), (n+1)/chunkN, f)
	}
	got := messageIDs(t, p.u2)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("Message-ID: <chunk-%d@example.org>", i)
		if got[id] != 1 {
			t.Errorf("%s is %d times on host2", id, got[id])
		}
	}
	for _, raw := range only2 {
		id, _, _ := strings.Cut(string(raw), "\r\n")
		if got[id] != 1 {
			t.Errorf("host2's own %s is %d times on host2", id, got[id])
		}
	}
	if len(got) != n+len(only2) {
		t.Errorf("host2 holds %d distinct messages, want %d", len(got), n+len(only2))
	}
	// The seeded host2 half had no flags: they were set from host1.
	msgs, _ := p.u2.Messages("INBOX")
	for _, m := range msgs {
		var i int
		if _, err := fmt.Sscanf(string(m.Raw), "Message-ID: <chunk-%d@", &i); err == nil && !m.HasFlag(imap.FlagSeen) && i%3 != 0 {
			t.Errorf("host2 message chunk-%d has flags %v, want \\Seen", i, m.Flags)
		}
	}
	out.Reset()
	res = run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 0 {
		t.Fatalf("rerun: errors %v, transferred %d\n%s", res.Errors.Records(), res.Transferred, out.String())
	}
}

// TestChunkedAnalysisDeletions: across chunks, --delete2 removes exactly
// host2's own messages (never a message whose host1 match is in another
// chunk), and --delete1 removes every host1 message, those found on host2
// and those copied (not host1's duplicates, as without chunks).
func TestChunkedAnalysisDeletions(t *testing.T) {
	const n = 200
	p := newPair(t)
	only2 := seedChunked(t, p, n, 12)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.AnalysisChunk = chunkN
	opts.Delete2, opts.Force = true, true
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != n-n/2 || res.DeletedHost2 != int64(len(only2)) {
		t.Fatalf("errors %v, transferred %d, deleted on host2 %d (want %d)\n%s", res.Errors.Records(), res.Transferred, res.DeletedHost2, len(only2), out.String())
	}
	got := messageIDs(t, p.u2)
	for i := 0; i < n; i++ {
		if id := fmt.Sprintf("Message-ID: <chunk-%d@example.org>", i); got[id] != 1 {
			t.Errorf("%s is %d times on host2", id, got[id])
		}
	}
	if len(got) != n {
		t.Errorf("host2 holds %d distinct messages, want %d (its own deleted)", len(got), n)
	}

	out.Reset()
	opts.Delete2, opts.Delete1, opts.Expunge1 = false, true, true
	// A new host1 message in the last chunk and one host2 lacks.
	if err := p.u1.Seed("INBOX", chunkMsg(n), chunkMsg(n+1)); err != nil {
		t.Fatal(err)
	}
	res = run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 2 {
		t.Fatalf("--delete1: errors %v, transferred %d\n%s", res.Errors.Records(), res.Transferred, out.String())
	}
	// Only host1's duplicate of message 3, neither copied nor found on
	// host2 as itself, is left (as without chunks).
	if left := messageIDs(t, p.u1); len(left) != 1 || left["Message-ID: <chunk-3@example.org>"] != 1 {
		t.Errorf("--delete1 left %v on host1, want the duplicate of message 3", left)
	}
	got = messageIDs(t, p.u2)
	for i := 0; i < n+2; i++ {
		if id := fmt.Sprintf("Message-ID: <chunk-%d@example.org>", i); got[id] != 1 {
			t.Errorf("after --delete1, %s is %d times on host2", id, got[id])
		}
	}
}

// TestChunkedAnalysisResumes: a connection cut in the middle of the
// chunked reading of each side is reopened and the reading resumes after
// the last chunk taken in: every message is copied once.
func TestChunkedAnalysisResumes(t *testing.T) {
	const n = 250
	p := newPair(t)
	seedChunked(t, p, n, 5)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.AnalysisChunk = chunkN
	opts.Parallel = 1
	p.s1.Faults().DropAfterCommands("UID FETCH", 3)
	p.s2.Faults().DropAfterCommands("UID FETCH", 2)
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != n-n/2 {
		t.Fatalf("errors %v, transferred %d (want %d)\n%s", res.Errors.Records(), res.Transferred, n-n/2, out.String())
	}
	if res.ReconnectHost1 == 0 || res.ReconnectHost2 == 0 {
		t.Fatalf("reconnections %d and %d: the cuts did not happen\n%s", res.ReconnectHost1, res.ReconnectHost2, out.String())
	}
	got := messageIDs(t, p.u2)
	for i := 0; i < n; i++ {
		if id := fmt.Sprintf("Message-ID: <chunk-%d@example.org>", i); got[id] != 1 {
			t.Errorf("%s is %d times on host2", id, got[id])
		}
	}
	out.Reset()
	if res = run(t, opts); res.Errors.Count() != 0 || res.Transferred != 0 {
		t.Fatalf("rerun: errors %v, transferred %d\n%s", res.Errors.Records(), res.Transferred, out.String())
	}
}
