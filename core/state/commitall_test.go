package state

import "testing"

// TestCommitAll: batches of several pairs commit in one transaction, all
// or nothing: a batch with a zero UID fails the call and no batch is
// written; once fixed, all are written and the batches are empty again.
func TestCommitAll(t *testing.T) {
	s := openTemp(t)
	p, q := pair("INBOX", 1, 2), pair("Sent", 3, 4)
	a, b := s.Batch(p), s.Batch(q)
	a.Put(1, 101, "a")
	a.SetStatus(Status{UIDNext: 2, Messages: 1}, Status{UIDNext: 102, Messages: 1})
	b.Put(5, 105, "b")
	bad := s.Batch(pair("Trash", 5, 6))
	bad.Put(0, 1, "zero")
	if err := s.CommitAll(a, nil, b, bad); err == nil {
		t.Fatal("a zero UID was committed")
	}
	if mustFolder(t, s, p).Len() != 0 || mustFolder(t, s, q).Len() != 0 {
		t.Fatal("a failed CommitAll wrote something")
	}
	if err := s.CommitAll(a, b); err != nil {
		t.Fatal(err)
	}
	fa, fb := mustFolder(t, s, p), mustFolder(t, s, q)
	if got := all(fa); len(got) != 1 || got[0] != (Mapping{1, 101, "a"}) || !fa.HasStatus {
		t.Errorf("INBOX: %v, status %v", got, fa.HasStatus)
	}
	if got := all(fb); len(got) != 1 || got[0] != (Mapping{5, 105, "b"}) || fb.HasStatus {
		t.Errorf("Sent: %v, status %v", got, fb.HasStatus)
	}
	if err := s.CommitAll(a, b); err != nil {
		t.Fatalf("empty batches: %v", err)
	}
}
