package report

import (
	"slices"
	"sync"
	"time"
)

// Counters are the figures of the final statistics block (spec 5.4).
type Counters struct {
	FoldersSynced int `json:"folders_synced"`
	FoldersWanted int `json:"folders_wanted"`

	Transferred   int64 `json:"messages_transferred"`
	WouldTransfer int64 `json:"messages_would_transfer,omitempty"` // --dry: "could be K without dry mode"
	Skipped       int64 `json:"messages_skipped"`
	DupHost1      int64 `json:"duplicates_host1"`
	DupHost2      int64 `json:"duplicates_host2"`
	CrossDupHost2 int64 `json:"crossduplicates_host2"`
	VoidHost1     int64 `json:"noheader_host1"` // unidentified, never copied
	VoidHost2     int64 `json:"noheader_host2"`
	DeletedHost1  int64 `json:"deleted_host1"`
	DeletedHost2  int64 `json:"deleted_host2"`

	BytesTransferred int64 `json:"bytes_transferred"`
	BytesSkipped     int64 `json:"bytes_skipped"`
	Biggest          int64 `json:"biggest_transferred"` // biggest message transferred, in bytes

	ReconnectHost1 int64 `json:"reconnections_host1"`
	ReconnectHost2 int64 `json:"reconnections_host2"`

	// The verdict figures, over the keys of all synced folders (a message
	// in two folders counts once): distinct identified keys on each side,
	// and those missing on the other side.
	// SkippedBy counts the messages each rule (plugin or script) skipped;
	// they are part of Skipped. Rewritten counts messages a rewrite hook
	// changed. Neither is in imapsync's text block; --json carries them.
	SkippedBy map[string]int64 `json:"skipped_by,omitempty"`
	Rewritten int64            `json:"rewritten,omitempty"`

	IdentifiedHost1 int64 `json:"identified_host1"`
	IdentifiedHost2 int64 `json:"identified_host2"`
	In1Not2         int64 `json:"in_host1_not_host2"`
	In2Not1         int64 `json:"in_host2_not_host1"`
}

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

// Diff is a "host2 - host1" difference in messages and bytes.
type Diff struct {
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

// FolderReport holds the figures of one synced folder pair.
type FolderReport struct {
	Host1 string `json:"host1"`
	Host2 string `json:"host2"`

	Transferred      int64 `json:"transferred"`
	WouldTransfer    int64 `json:"would_transfer,omitempty"`
	Skipped          int64 `json:"skipped"`
	DupHost1         int64 `json:"duplicates_host1"`
	DupHost2         int64 `json:"duplicates_host2"`
	VoidHost1        int64 `json:"noheader_host1"`
	VoidHost2        int64 `json:"noheader_host2"`
	DeletedHost1     int64 `json:"deleted_host1"`
	DeletedHost2     int64 `json:"deleted_host2"`
	BytesTransferred int64 `json:"bytes_transferred"`

	Errors []string `json:"errors,omitempty"`
}

// Snapshot is a consistent copy of the statistics of a run.
type Snapshot struct {
	Counters
	Start, End  time.Time
	StartDiff   *Diff   // folder sizes before the sync, nil without them
	FinalDiff   *Diff   // folder sizes after the sync, nil without them
	MemStartMiB float64 // process memory when the run started
	Errors      int     // number of errors, from Stats.Errors
	Folders     []FolderReport
}

// Seconds returns the transfer time; End is taken as now when unset.
func (s Snapshot) Seconds() float64 {
	end := s.End
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(s.Start).Seconds()
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
