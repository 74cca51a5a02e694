package state

import "testing"

// TestTagGuardsStatus: a status saved under one options fingerprint (Tag)
// is not reported under another, so a run with other identity options
// does not skip the folder; the mappings stay, and a later SetStatus
// under the new Tag is reported again.
func TestTagGuardsStatus(t *testing.T) {
	s := openTemp(t)
	p := pair("INBOX", 1, 2)
	p.Tag = 11
	fill(t, s, p, 10)
	if f := mustFolder(t, s, p); !f.HasStatus || f.Len() != 10 {
		t.Fatalf("same tag: status %v, %d entries", f.HasStatus, f.Len())
	}
	q := p
	q.Tag = 12
	if f := mustFolder(t, s, q); f.HasStatus || f.Invalidated || f.Len() != 10 {
		t.Fatalf("other tag: status %v, invalidated %v, %d entries", f.HasStatus, f.Invalidated, f.Len())
	}
	b := s.Batch(q)
	b.Put(11, 100011, keyOf(11))
	mustCommit(t, b) // mappings without SetStatus clear the status
	b = s.Batch(q)
	b.SetStatus(Status{UIDNext: 12, Messages: 11}, Status{UIDNext: 100012, Messages: 11})
	mustCommit(t, b)
	if f := mustFolder(t, s, q); !f.HasStatus || f.Len() != 11 {
		t.Errorf("new tag saved: status %v, %d entries", f.HasStatus, f.Len())
	}
	if f := mustFolder(t, s, p); f.HasStatus {
		t.Errorf("the old tag still sees a status")
	}
}
