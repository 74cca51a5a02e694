package engine

// Progress receives the execution's progress, for a live display. Calls
// come from several goroutines; implementations must be safe for that.
// The engine's report lines keep going to Options.Out whatever Progress
// does.
type Progress interface {
	// Start is called before copying, with what the plan copies; a run
	// carried out in groups of folders (see Run) calls it again before
	// each group, with what the groups so far copy.
	Start(msgs int, bytes int64)
	// FolderStart and FolderDone frame the work on one host1 folder.
	FolderStart(folder string, msgs int, bytes int64)
	FolderDone(folder string)
	// Copied is called for each message stored on host2.
	Copied(folder string, bytes int64)
}

// noProgress is the Progress used when Options.Progress is nil.
type noProgress struct{}

func (noProgress) Start(int, int64)               {}
func (noProgress) FolderStart(string, int, int64) {}
func (noProgress) FolderDone(string)              {}
func (noProgress) Copied(string, int64)           {}
