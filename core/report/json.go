package report

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/imapshift/imapshift/core/exitcode"
)

// JSONReport is the machine-readable report of a run: the figures of the
// statistics block, each folder pair, every error and the exit code.
type JSONReport struct {
	Tool        string    `json:"tool"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Seconds     float64   `json:"seconds"`
	Dry         bool      `json:"dry,omitempty"`
	JustFolders bool      `json:"justfolders,omitempty"`

	Counters
	StartDifference *Diff `json:"start_difference,omitempty"`
	FinalDifference *Diff `json:"final_difference,omitempty"`

	Folders  []FolderReport `json:"folders"`
	SetAside []SetAside     `json:"set_aside,omitempty"`

	ErrorCount        int           `json:"error_count"`
	Errors            []ErrorRecord `json:"errors"`
	MostFrequentError Class         `json:"most_frequent_error,omitempty"`

	ExitCode int    `json:"exit_code"`
	ExitName string `json:"exit_name"`
}

// NewJSONReport builds the report of a run from its final snapshot, its
// error records and its exit code. Each folder gets the messages of the
// errors recorded for its host1 name (Errors.AddFolder).
func NewJSONReport(s Snapshot, errs []ErrorRecord, code exitcode.Code, opts StatsOptions) JSONReport {
	r := JSONReport{
		Tool:            "imapshift",
		Start:           s.Start,
		End:             s.End,
		Seconds:         s.Seconds(),
		Dry:             opts.Dry,
		JustFolders:     opts.JustFolders,
		Counters:        s.Counters,
		StartDifference: s.StartDiff,
		FinalDifference: s.FinalDiff,
		Folders:         make([]FolderReport, len(s.Folders)),
		SetAside:        s.SetAside,
		ErrorCount:      s.Errors,
		Errors:          append([]ErrorRecord{}, errs...),
		ExitCode:        int(code),
		ExitName:        code.String(),
	}
	byFolder := make(map[string][]string)
	counts := make(map[Class]int)
	for _, e := range errs {
		counts[e.Class]++
		if e.Folder != "" {
			byFolder[e.Folder] = append(byFolder[e.Folder], e.Message)
		}
	}
	for i, f := range s.Folders {
		if msgs := byFolder[f.Host1]; len(msgs) > 0 {
			f.Errors = append(append([]string(nil), f.Errors...), msgs...)
		}
		r.Folders[i] = f
	}
	r.MostFrequentError = MostFrequent(counts)
	if r.MostFrequentError == "" && s.Errors > 0 {
		r.MostFrequentError = ClassNothingReported
	}
	return r
}

// EncodeJSON writes r as indented JSON.
func EncodeJSON(w io.Writer, r JSONReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJSON writes r to the file path, atomically: a reader sees the old
// file or the whole new one, never a part.
func WriteJSON(path string, r JSONReport) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = EncodeJSON(f, r); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
