package report

import (
	"time"
)

// Counters are the figures of the final statistics block.
type Counters struct {
	FoldersSynced int `json:"folders_synced"`
	FoldersWanted int `json:"folders_wanted"`

	Transferred   int64 `json:"messages_transferred"`
	WouldTransfer int64 `json:"messages_would_transfer,omitempty"` // --dry: "could be K without dry mode"
	Skipped       int64 `json:"messages_skipped"`
	DupHost1      int64 `json:"duplicates_host1"`
	DupHost2      int64 `json:"duplicates_host2"`
	// DupHost2End counts the extra copies of a message host2 holds at the
	// end of the run, as read again then; DupHost2New are those this run
	// created (absent at the start).
	DupHost2End   int64 `json:"duplicates_host2_at_end"`
	DupHost2New   int64 `json:"duplicates_host2_created"`
	CrossDupHost2 int64 `json:"crossduplicates_host2"`
	VoidHost1     int64 `json:"noheader_host1"` // unidentified, never copied
	VoidHost2     int64 `json:"noheader_host2"`
	DeletedHost1  int64 `json:"deleted_host1"`
	DeletedHost2  int64 `json:"deleted_host2"`

	BytesTransferred int64 `json:"bytes_transferred"`
	BytesSkipped     int64 `json:"bytes_skipped"`
	Biggest          int64 `json:"biggest_transferred"` // biggest message transferred, in bytes

	// LabelsSynced is set when Gmail labels were synced to host2;
	// LabelsSet counts the host2 messages whose labels changed and
	// LabelsStores the UID STORE commands that changed them.
	LabelsSynced bool  `json:"labels_synced,omitempty"`
	LabelsSet    int64 `json:"labels_set_host2,omitempty"`
	LabelsStores int64 `json:"labels_stores_host2,omitempty"`

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
	DupHost2End      int64 `json:"duplicates_host2_at_end"`
	DupHost2New      int64 `json:"duplicates_host2_created"`
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
	Start, End time.Time
	StartDiff  *Diff // folder sizes before the sync, nil without them
	// FinalDiff is host2 - host1 at the end, host2's side read again then
	// (nil without the folder sizes at the end).
	FinalDiff   *Diff
	MemStartMiB float64 // process memory when the run started
	Errors      int     // number of errors
	Folders     []FolderReport
	// SetAside are the messages host2 would not take, given up on after
	// bounded tries; a rerun tries them again.
	SetAside []SetAside
}

// SetAside is a host1 message the run gave up on.
type SetAside struct {
	Folder     string `json:"folder"` // host1 folder
	UID        uint32 `json:"uid"`    // host1 UID
	MessageID  string `json:"message_id,omitempty"`
	Size       int64  `json:"size"`
	Tries      int    `json:"tries"`
	LastAnswer string `json:"last_answer"` // host2's last answer, or why the outcome is unknown
}

// Seconds returns the transfer time; End is taken as now when unset.
func (s Snapshot) Seconds() float64 {
	end := s.End
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(s.Start).Seconds()
}
