package state

import (
	"slices"
	"testing"
)

// scanAll is Scan with want always yes, collecting the mappings.
func scanAll(t *testing.T, s *Store, p FolderPair) (Summary, []Mapping, bool) {
	t.Helper()
	var got []Mapping
	sum, ok, err := s.Scan(p, func(Summary) bool { return true }, func(u1, u2 uint32, k []byte) {
		got = append(got, Mapping{u1, u2, string(k)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, got, ok
}

// TestScanIsFolderWithoutLoading: Scan tells the status and the number of
// mappings Folder loads, and passes each mapping once in host1 UID order;
// want sees the status first and can stop it. For an unknown pair, a
// UIDVALIDITY that changed and two mappings sharing a host2 UID it is
// not ok, and leaves the file alone: Folder then invalidates or fixes the
// pair as before.
func TestScanIsFolderWithoutLoading(t *testing.T) {
	s := openTemp(t)
	p := pair("INBOX", 5, 6)
	if _, got, ok := scanAll(t, s, p); ok || got != nil {
		t.Errorf("unknown pair: ok %v, %v", ok, got)
	}
	b := s.Batch(p)
	for _, u := range []uint32{9, 3, 7, 1} {
		b.Put(u, u*10, keyOf(u))
	}
	b.SetStatus(Status{UIDNext: 10, Messages: 4, HighestModSeq: 3}, Status{UIDNext: 91, Messages: 4})
	mustCommit(t, b)

	f := mustFolder(t, s, p)
	sum, got, ok := scanAll(t, s, p)
	want := Summary{HasStatus: true, Status1: f.Status1, Status2: f.Status2, Len: f.Len()}
	if !ok || sum != want || !slices.Equal(got, all(f)) {
		t.Fatalf("Scan = %+v %v %v, want %+v %v", sum, got, ok, want, all(f))
	}
	if !sum.Unchanged(f.Status1, f.Status2) || sum.Unchanged(f.Status1, Status{UIDNext: 92, Messages: 5}) {
		t.Errorf("Summary.Unchanged differs from FolderState.Unchanged")
	}
	called := false
	sum, ok, err := s.Scan(p, func(got Summary) bool {
		if got.Len != 0 || got.Status1 != f.Status1 {
			t.Errorf("want is told %+v", got)
		}
		return false
	}, func(uint32, uint32, []byte) { called = true })
	if err != nil || ok || called {
		t.Errorf("want said no: ok %v, each called %v, %v", ok, called, err)
	}

	// Another tag: no status, as Folder says.
	other := p
	other.Tag = 99
	if sum, _, ok := scanAll(t, s, other); !ok || sum.HasStatus || sum.Len != 4 {
		t.Errorf("other tag: %+v %v", sum, ok)
	}

	// A UIDVALIDITY that changed: not ok, and the file is left for Folder.
	moved := pair("INBOX", 5, 7)
	if _, _, ok := scanAll(t, s, moved); ok {
		t.Errorf("changed UIDVALIDITY: ok")
	}
	if f := mustFolder(t, s, p); f.Len() != 4 {
		t.Errorf("Scan changed the file: %d mappings", f.Len())
	}
	if f := mustFolder(t, s, moved); !f.Invalidated {
		t.Errorf("Folder after Scan: not invalidated")
	}

	// Two mappings share a host2 UID: not ok; Folder fixes it, then Scan
	// agrees with it.
	c := pair("Dups", 1, 1)
	b = s.Batch(c)
	b.Put(1, 10, "a")
	b.Put(2, 10, "a")
	b.Put(3, 5, "b")
	b.SetStatus(Status{UIDNext: 4}, Status{UIDNext: 11})
	mustCommit(t, b)
	if _, _, ok := scanAll(t, s, c); ok {
		t.Errorf("shared host2 UID: ok")
	}
	f = mustFolder(t, s, c)
	if _, got, ok := scanAll(t, s, c); !ok || !slices.Equal(got, all(f)) || len(f.Conflicts) != 1 {
		t.Errorf("after Folder's fix: %v %v, Folder %v %v", got, ok, all(f), f.Conflicts)
	}
}

func BenchmarkScan10k(b *testing.B) {
	s := openTemp(b)
	p := pair("INBOX", 1, 1)
	fill(b, s, p, 10000)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if sum, ok, err := s.Scan(p, func(Summary) bool { return true }, func(uint32, uint32, []byte) { n++ }); err != nil || !ok || sum.Len != 10000 || n != 10000 {
			b.Fatal(sum, ok, err, n)
		}
	}
}
