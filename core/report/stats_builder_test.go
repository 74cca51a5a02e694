package report

// Stats builds the Snapshot of a run from events, as a run would: the
// golden tests fill one with it. The engine keeps its own counters.

import (
	"slices"
	"sync"
	"time"
)

// Counter names one plain counter of Counters for Stats.Add.
type Counter int

// The counters Stats.Add can increment.
const (
	FoldersSynced Counter = iota
	DupHost1
	DupHost2
	CrossDupHost2
	VoidHost1
	VoidHost2
	DeletedHost1
	DeletedHost2
	ReconnectHost1
	ReconnectHost2
)

func (c *Counters) field(k Counter) *int64 {
	switch k {
	case DupHost1:
		return &c.DupHost1
	case DupHost2:
		return &c.DupHost2
	case CrossDupHost2:
		return &c.CrossDupHost2
	case VoidHost1:
		return &c.VoidHost1
	case VoidHost2:
		return &c.VoidHost2
	case DeletedHost1:
		return &c.DeletedHost1
	case DeletedHost2:
		return &c.DeletedHost2
	case ReconnectHost1:
		return &c.ReconnectHost1
	case ReconnectHost2:
		return &c.ReconnectHost2
	}
	return nil
}

// Stats accumulates the statistics of a run. All methods are safe for
// concurrent use by the folder and message workers.
type Stats struct {
	// Errors collects the errors of the run; its count is part of every
	// Snapshot.
	Errors *Errors

	mu   sync.Mutex
	snap Snapshot
}

// NewStats starts the statistics of a run begun at start, and notes the
// memory the process uses now for "started with".
func NewStats(start time.Time) *Stats {
	return &Stats{Errors: new(Errors), snap: Snapshot{Start: start, MemStartMiB: PeakRSSMiB()}}
}

// Transferred counts one message copied to host2, of size bytes.
func (s *Stats) Transferred(size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Transferred++
	s.snap.BytesTransferred += size
	s.snap.Biggest = max(s.snap.Biggest, size)
}

// WouldTransfer counts, in --dry mode, one message that would be copied.
func (s *Stats) WouldTransfer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.WouldTransfer++
}

// Skipped counts one host1 message not copied (already on host2, duplicate,
// unidentified, filtered out...), of size bytes.
func (s *Stats) Skipped(size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Skipped++
	s.snap.BytesSkipped += size
}

// Add adds n to counter c (n may be negative).
func (s *Stats) Add(c Counter, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c == FoldersSynced {
		s.snap.FoldersSynced += int(n)
		return
	}
	if p := s.snap.field(c); p != nil {
		*p += n
	}
}

// Update runs fn on the counters under the lock, for changes the other
// methods do not cover. fn must not call methods of s.
func (s *Stats) Update(fn func(c *Counters)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.snap.Counters)
}

// SetFoldersWanted sets the number of folders to sync.
func (s *Stats) SetFoldersWanted(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.FoldersWanted = n
}

// SetVerdict sets the figures computed over the global key sets at the
// end: distinct identified keys on host1 and host2, host1 keys found in no
// host2 folder and host2 keys found in no host1 folder.
func (s *Stats) SetVerdict(identified1, identified2, in1not2, in2not1 int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.IdentifiedHost1, s.snap.IdentifiedHost2 = identified1, identified2
	s.snap.In1Not2, s.snap.In2Not1 = in1not2, in2not1
}

// SetDiffs sets the host2 - host1 differences from the folder sizes taken
// before and after the sync (both printed only when both were taken).
func (s *Stats) SetDiffs(start, final Diff) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.StartDiff, s.snap.FinalDiff = &start, &final
}

// AddFolder records the figures of a folder pair once it is done.
func (s *Stats) AddFolder(f FolderReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Folders = append(s.snap.Folders, f)
}

// Finish sets the end time of the run.
func (s *Stats) Finish(end time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.End = end
}

// Snapshot returns a copy of the statistics so far.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	snap := s.snap
	snap.Folders = slices.Clone(s.snap.Folders)
	if snap.StartDiff != nil {
		d1, d2 := *snap.StartDiff, *snap.FinalDiff
		snap.StartDiff, snap.FinalDiff = &d1, &d2
	}
	s.mu.Unlock()
	snap.Errors = s.Errors.Count()
	return snap
}
