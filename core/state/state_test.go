package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func pair(folder string, v1, v2 uint32) FolderPair {
	return FolderPair{
		Host1: "imap.example.org", User1: "alice", Folder1: folder, Validity1: v1,
		Host2: "mail.example.net", User2: "alice@example.net", Folder2: folder, Validity2: v2,
	}
}

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustFolder(t testing.TB, s *Store, p FolderPair) *FolderState {
	t.Helper()
	f, err := s.Folder(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustCommit(t testing.TB, b *Batch) {
	t.Helper()
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

func keyOf(uid uint32) string { return fmt.Sprintf("key-%06d-abcdefghijklmno", uid) }

func all(f *FolderState) []Mapping {
	var out []Mapping
	f.Range(func(u1, u2 uint32, k string) bool {
		out = append(out, Mapping{u1, u2, k})
		return true
	})
	return out
}

func TestPutLookupAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := pair("INBOX", 111, 222)
	f := mustFolder(t, s, p)
	if f.Invalidated || f.HasStatus || f.Len() != 0 {
		t.Fatalf("new pair: %+v", f)
	}
	b := s.Batch(p)
	b.Put(3, 30, "k3")
	b.Put(1, 10, "k1")
	b.Put(2, 20, "")
	b.SetStatus(Status{UIDNext: 4, Messages: 3, HighestModSeq: 77}, Status{UIDNext: 31, Messages: 3})
	mustCommit(t, b)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f = mustFolder(t, s, p)
	want := []Mapping{{1, 10, "k1"}, {2, 20, ""}, {3, 30, "k3"}}
	if got := all(f); !slices.Equal(got, want) {
		t.Fatalf("Range = %v, want %v", got, want)
	}
	if u2, k, ok := f.Lookup(3); !ok || u2 != 30 || k != "k3" {
		t.Fatalf("Lookup(3) = %d %q %v", u2, k, ok)
	}
	if _, _, ok := f.Lookup(4); ok {
		t.Fatal("Lookup(4) found")
	}
	if u1, k, ok := f.LookupUID2(20); !ok || u1 != 2 || k != "" {
		t.Fatalf("LookupUID2(20) = %d %q %v", u1, k, ok)
	}
	if _, _, ok := f.LookupUID2(21); ok {
		t.Fatal("LookupUID2(21) found")
	}
	s1, s2 := Status{UIDNext: 4, Messages: 3, HighestModSeq: 77}, Status{UIDNext: 31, Messages: 3}
	if !f.HasStatus || f.Status1 != s1 || f.Status2 != s2 || !f.Unchanged(s1, s2) {
		t.Fatalf("status: %+v", f)
	}
	if f.Unchanged(s1, Status{UIDNext: 32, Messages: 4}) {
		t.Fatal("Unchanged with a new host2 message")
	}
	if time.Since(f.Updated) > time.Minute {
		t.Fatalf("Updated = %v", f.Updated)
	}
	// Another pair of the same file is independent.
	if g := mustFolder(t, s, pair("Sent", 111, 222)); g.Len() != 0 {
		t.Fatalf("Sent has %d entries", g.Len())
	}
}

func TestBatchLastWinsAndDelete(t *testing.T) {
	s := openTemp(t)
	p := pair("INBOX", 1, 1)
	b := s.Batch(p)
	for u := uint32(1); u <= 5; u++ {
		b.Put(u, u+100, keyOf(u))
	}
	b.Put(2, 999, "again")
	b.Delete(3)
	b.Delete(42)
	mustCommit(t, b)
	b.Delete(5)
	b.Put(3, 333, "back")
	b.Delete(3)
	b.Put(3, 334, "back again")
	mustCommit(t, b)
	mustCommit(t, b) // empty: a no-op
	want := []Mapping{{1, 101, keyOf(1)}, {2, 999, "again"}, {3, 334, "back again"}, {4, 104, keyOf(4)}}
	if got := all(mustFolder(t, s, p)); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestStatusContract(t *testing.T) {
	s := openTemp(t)
	p := pair("INBOX", 5, 6)
	s1, s2 := Status{UIDNext: 3, Messages: 2}, Status{UIDNext: 9, Messages: 2}
	b := s.Batch(p)
	b.Put(1, 7, "a")
	b.Put(2, 8, "b")
	b.SetStatus(s1, s2)
	mustCommit(t, b)
	if f := mustFolder(t, s, p); !f.Unchanged(s1, s2) {
		t.Fatalf("not unchanged after a complete sync: %+v", f)
	}

	// A status-only commit (nothing to do on a resync) keeps the entries.
	b.SetStatus(s1, s2)
	mustCommit(t, b)
	if f := mustFolder(t, s, p); !f.Unchanged(s1, s2) || f.Len() != 2 {
		t.Fatalf("after status-only commit: %+v", f)
	}

	// A sync that records messages and stops before SetStatus (a crash,
	// SIGTERM): the old status must not be trusted.
	b.Put(3, 9, "c")
	mustCommit(t, b)
	f := mustFolder(t, s, p)
	if f.HasStatus || f.Unchanged(s1, s2) || f.Unchanged(Status{}, Status{}) {
		t.Fatalf("status survived a partial sync: %+v", f)
	}
	if f.Len() != 3 {
		t.Fatalf("Len = %d", f.Len())
	}
}

func TestUIDValidityInvalidatesOnlyThatFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	folders := []string{"INBOX", "Sent", "Archive"}
	for _, name := range folders {
		b := s.Batch(pair(name, 10, 20))
		for u := uint32(1); u <= 50; u++ {
			b.Put(u, u+1000, keyOf(u))
		}
		b.SetStatus(Status{UIDNext: 51, Messages: 50}, Status{UIDNext: 1051, Messages: 50})
		mustCommit(t, b)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// host1 INBOX renumbered.
	f := mustFolder(t, s, pair("INBOX", 11, 20))
	if !f.Invalidated || f.Len() != 0 || f.HasStatus {
		t.Fatalf("INBOX host1 change: %+v", f)
	}
	// host2 Sent deleted and recreated.
	f = mustFolder(t, s, pair("Sent", 10, 21))
	if !f.Invalidated || f.Len() != 0 || f.HasStatus {
		t.Fatalf("Sent host2 change: %+v", f)
	}
	// Archive untouched.
	f = mustFolder(t, s, pair("Archive", 10, 20))
	if f.Invalidated || f.Len() != 50 || !f.HasStatus {
		t.Fatalf("Archive: Invalidated=%v Len=%d HasStatus=%v", f.Invalidated, f.Len(), f.HasStatus)
	}
	// The drop is persistent: asking again with the new UIDVALIDITY gives
	// an empty, valid state, and asking with the old one finds nothing.
	f = mustFolder(t, s, pair("INBOX", 11, 20))
	if f.Invalidated || f.Len() != 0 {
		t.Fatalf("INBOX again: %+v", f)
	}
	f = mustFolder(t, s, pair("INBOX", 10, 20))
	if f.Invalidated || f.Len() != 0 {
		t.Fatalf("INBOX old validity: %+v", f)
	}
	// Rebuilding under the new UIDVALIDITY works.
	b := s.Batch(pair("Sent", 10, 21))
	b.Put(1, 1, "x")
	mustCommit(t, b)
	if f = mustFolder(t, s, pair("Sent", 10, 21)); f.Len() != 1 {
		t.Fatalf("Sent rebuilt: %d", f.Len())
	}
}

// A batch started under old UIDVALIDITYs, committed after the folder was
// recreated, must not mix its entries with stale ones.
func TestCommitWithNewValidityDropsStale(t *testing.T) {
	s := openTemp(t)
	b := s.Batch(pair("INBOX", 1, 1))
	b.Put(1, 1, "old1")
	b.Put(2, 2, "old2")
	b.SetStatus(Status{UIDNext: 3, Messages: 2}, Status{UIDNext: 3, Messages: 2})
	mustCommit(t, b)
	nb := s.Batch(pair("INBOX", 1, 2))
	nb.Put(2, 1, "new2")
	mustCommit(t, nb)
	f := mustFolder(t, s, pair("INBOX", 1, 2))
	if got := all(f); f.Invalidated || f.HasStatus || !slices.Equal(got, []Mapping{{2, 1, "new2"}}) {
		t.Fatalf("got %v %+v", got, f)
	}
}

func TestZeroValidityAndZeroUID(t *testing.T) {
	s := openTemp(t)
	if _, err := s.Folder(pair("INBOX", 0, 1)); !errors.Is(err, ErrNoUIDValidity) {
		t.Fatalf("Folder: %v", err)
	}
	b := s.Batch(pair("INBOX", 1, 0))
	b.Put(1, 1, "")
	if err := b.Commit(); !errors.Is(err, ErrNoUIDValidity) {
		t.Fatalf("Commit: %v", err)
	}
	b = s.Batch(pair("INBOX", 1, 1))
	b.Put(1, 1, "fine")
	b.Put(2, 0, "bad")
	if err := b.Commit(); err == nil || !strings.Contains(err.Error(), "never 0") {
		t.Fatalf("Commit with uid2 0: %v", err)
	}
	if f := mustFolder(t, s, pair("INBOX", 1, 1)); f.Len() != 0 {
		t.Fatalf("a failed batch wrote %d entries", f.Len())
	}
}

func TestFolderAppliesCacheMapRule(t *testing.T) {
	s := openTemp(t)
	p := pair("INBOX", 7, 7)
	b := s.Batch(p)
	// Two host1 duplicates matched to the same host2 message, out of order.
	b.Put(1601, 260, "dup")
	b.Put(161, 260, "dup")
	b.Put(130, 2301, "a")
	b.Put(5, 6, "b")
	b.Put(7, 6, "b")
	b.SetStatus(Status{UIDNext: 2000}, Status{UIDNext: 3000})
	mustCommit(t, b)
	f := mustFolder(t, s, p)
	if !slices.Equal(f.Conflicts, []uint32{5, 161}) {
		t.Fatalf("Conflicts = %v", f.Conflicts)
	}
	want := []Mapping{{7, 6, "b"}, {130, 2301, "a"}, {1601, 260, "dup"}}
	if got := all(f); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if u1, _, _ := f.LookupUID2(260); u1 != 1601 {
		t.Fatalf("LookupUID2(260) = %d", u1)
	}
	if !f.HasStatus {
		t.Fatal("the cleanup lost the status")
	}
	// The losers were deleted from the file.
	f = mustFolder(t, s, p)
	if len(f.Conflicts) != 0 || !slices.Equal(all(f), want) {
		t.Fatalf("second load: %v %v", f.Conflicts, all(f))
	}
}

func TestPrune(t *testing.T) {
	s := openTemp(t)
	p := pair("INBOX", 1, 1)
	b := s.Batch(p)
	for u := uint32(1); u <= 10; u++ {
		b.Put(u, 100-u, keyOf(u)) // host2 UIDs descending: exercises the UID2 index sort
	}
	mustCommit(t, b)
	f := mustFolder(t, s, p)
	gone := f.Prune(func(u uint32) bool { return u != 3 && u != 4 }, func(u uint32) bool { return u != 92 })
	if !slices.Equal(gone, []uint32{3, 4, 8}) {
		t.Fatalf("Prune = %v", gone)
	}
	if f.Len() != 7 {
		t.Fatalf("Len = %d", f.Len())
	}
	if _, _, ok := f.LookupUID2(92); ok {
		t.Fatal("92 still there")
	}
	if u1, _, ok := f.LookupUID2(91); !ok || u1 != 9 {
		t.Fatalf("LookupUID2(91) = %d %v", u1, ok)
	}
	if f.Prune(nil, nil) != nil {
		t.Fatal("Prune(nil, nil) dropped something")
	}
}

// A Batch written but never committed leaves nothing behind.
func TestUncommittedBatchInvisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := pair("INBOX", 3, 4)
	b := s.Batch(p)
	b.Put(1, 1, "committed")
	b.SetStatus(Status{UIDNext: 2, Messages: 1}, Status{UIDNext: 2, Messages: 1})
	mustCommit(t, b)
	b.Put(2, 2, "lost")
	b.Delete(1)
	b.SetStatus(Status{UIDNext: 3, Messages: 2}, Status{UIDNext: 3, Messages: 2})
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := mustFolder(t, s, p)
	if got := all(f); !slices.Equal(got, []Mapping{{1, 1, "committed"}}) {
		t.Fatalf("got %v", got)
	}
	if f.Status1.UIDNext != 2 {
		t.Fatalf("status %+v", f.Status1)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	s := openTemp(t)
	start := time.Now()
	s2, err := OpenTimeout(s.path, 200*time.Millisecond)
	if err == nil {
		s2.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), s.path) {
		t.Fatalf("error = %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Fatalf("waited %v", d)
	}
	t.Logf("error: %v", err)
	// The first Store still works, and the lock is released on Close.
	b := s.Batch(pair("INBOX", 1, 1))
	b.Put(1, 1, "")
	mustCommit(t, b)
	s.Close()
	s2, err = OpenTimeout(s.path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

func TestFileNameAndDefaultDir(t *testing.T) {
	a := FileName("IMAP.Example.org", "alice", "mail.example.net", "a/b c:é")
	if a != FileName("imap.example.org", "alice", "mail.example.net", "a/b c:é") {
		t.Fatal("hosts should be case-insensitive")
	}
	if strings.ContainsAny(a, "/\\: ") || !strings.HasSuffix(a, ".db") || !strings.HasPrefix(a, "imap.example.org_alice__mail.example.net_a_b_c___") {
		t.Fatalf("FileName = %q", a)
	}
	if a == FileName("imap.example.org", "alice", "mail.example.net", "a_b_c:é") {
		t.Fatal("users differing in replaced characters share a file")
	}
	if b := FileName(strings.Repeat("h", 300), strings.Repeat("u", 300), "h2", "u2"); len(b) > 200 {
		t.Fatalf("FileName too long: %d", len(b))
	}
	t.Setenv("XDG_CACHE_HOME", "/var/cache-test")
	t.Setenv("HOME", "/home/test")
	d, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d, filepath.Join("imapshift", "state")) || strings.HasPrefix(d, os.TempDir()) {
		t.Fatalf("DefaultDir = %q", d)
	}
}

// The engine syncs folders in parallel: several goroutines, each with its
// own pair, loading and committing at once.
func TestConcurrentFolderPairs(t *testing.T) {
	s := openTemp(t)
	const workers, rounds, per = 8, 10, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pair(fmt.Sprintf("folder-%d", w), uint32(w+1), 9)
			b := s.Batch(p)
			for r := range rounds {
				f, err := s.Folder(p)
				if err != nil {
					errs <- err
					return
				}
				if f.Len() != r*per {
					errs <- fmt.Errorf("worker %d round %d: Len %d", w, r, f.Len())
					return
				}
				// Two goroutines feed the same batch.
				var fw sync.WaitGroup
				for half := range 2 {
					fw.Add(1)
					go func() {
						defer fw.Done()
						for i := half; i < per; i += 2 {
							u := uint32(r*per + i + 1)
							b.Put(u, u+5000, keyOf(u))
						}
					}()
				}
				fw.Wait()
				if r == rounds-1 {
					b.SetStatus(Status{UIDNext: uint32(rounds*per + 1)}, Status{})
				}
				if err := b.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range workers {
		f := mustFolder(t, s, pair(fmt.Sprintf("folder-%d", w), uint32(w+1), 9))
		if f.Len() != rounds*per || !f.HasStatus || len(f.Conflicts) != 0 {
			t.Fatalf("worker %d: Len %d HasStatus %v", w, f.Len(), f.HasStatus)
		}
		if u2, k, ok := f.Lookup(1234); !ok || u2 != 6234 || k != keyOf(1234) {
			t.Fatalf("worker %d: Lookup(1234) = %d %q %v", w, u2, k, ok)
		}
	}
}

func fill(t testing.TB, s *Store, p FolderPair, n int) time.Duration {
	t.Helper()
	b := s.Batch(p)
	for u := 1; u <= n; u++ {
		b.Put(uint32(u), uint32(u+100000), keyOf(uint32(u)))
	}
	b.SetStatus(Status{UIDNext: uint32(n + 1), Messages: uint32(n)}, Status{UIDNext: uint32(n + 100001), Messages: uint32(n)})
	start := time.Now()
	mustCommit(t, b)
	return time.Since(start)
}

// Timings of the two operations a resync is made of: a batch of 10,000 new
// entries committed at once (fresh pairs, so every one is new), and the
// Folder load of 10,000 entries. The figures (min, median, max: the
// machine may be shared) are in the -v output; the bounds asserted on the
// median are loose, for the race detector and busy CI machines.
func TestTiming10k(t *testing.T) {
	const n, runs = 10000, 9
	s := openTemp(t)
	var commits, loads []time.Duration
	for i := range runs {
		commits = append(commits, fill(t, s, pair(fmt.Sprintf("f%d", i), 1, 2), n))
	}
	// Rewriting the same 10,000 (a resync that records everything again).
	rewrite := fill(t, s, pair("f0", 1, 2), n)
	for range 3 * runs {
		start := time.Now()
		f := mustFolder(t, s, pair("f1", 1, 2))
		loads = append(loads, time.Since(start))
		if f.Len() != n {
			t.Fatalf("Len = %d", f.Len())
		}
	}
	st, _ := os.Stat(s.path)
	mc, ml := spread(commits), spread(loads)
	t.Logf("Commit of %d new entries (one transaction, fsync): %s; rewrite of %d: %v", n, mc, n, rewrite)
	t.Logf("Folder() load of %d entries: %s; file %d KiB for %d pairs", n, ml, st.Size()/1024, runs)
	if slices.Sorted(slices.Values(commits))[runs/2] > 2*time.Second || slices.Sorted(slices.Values(loads))[len(loads)/2] > time.Second {
		t.Fatalf("too slow: commit %s, load %s", mc, ml)
	}
}

func spread(ds []time.Duration) string {
	s := slices.Sorted(slices.Values(ds))
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return fmt.Sprintf("min %v, median %v, max %v", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]))
}

func BenchmarkCommit10k(b *testing.B) {
	s := openTemp(b)
	for i := 0; b.Loop(); i++ {
		// A fresh pair each time: 10,000 new entries in one transaction.
		fill(b, s, pair(fmt.Sprintf("f%d", i), 1, 1), 10000)
	}
}

func BenchmarkFolder10k(b *testing.B) {
	s := openTemp(b)
	p := pair("INBOX", 1, 1)
	fill(b, s, p, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if f := mustFolder(b, s, p); f.Len() != 10000 {
			b.Fatal(f.Len())
		}
	}
}
