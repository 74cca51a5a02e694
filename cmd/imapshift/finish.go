package main

import (
	"fmt"
	"io"
	"os"

	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// finishOptions are the command-line settings the end of a run follows.
type finishOptions struct {
	ErrorsMax   int
	JSON        string // --json FILE
	JustFolders bool
	ErrorsDump  bool // the error listing (--noerrorsdump turns it off)
}

// finishRun prints the end of imapsync's report for res (the folder
// table with JustFolders or --debugfolders, statistics, error listing,
// the "Exiting with return value" line), writes the JSON report when
// asked, and returns an error carrying the exit code when the run had
// errors or was stopped by a signal (exit 6). out is the writer the
// runner got: through it, finishRun learns the run's signal state and
// debugging options (controlOf).
func finishRun(out io.Writer, res *engine.Result, fo finishOptions) error {
	ctl := controlOf(out)
	switch {
	case fo.JustFolders:
		writeFolderTable(out, res)
	case ctl.debugging().folders:
		fmt.Fprintln(out, "++++ Folders (--debugfolders)")
		writeFolderTable(out, res)
	}
	if ctl.debugging().memory {
		printMemory(out)
	}
	opts := report.StatsOptions{Dry: res.Dry, JustFolders: fo.JustFolders, System: report.SampleSystem()}
	snap := res.Snapshot
	snap.Errors = res.Errors.Count()
	report.WriteStatistics(out, snap, opts)
	if res.Errors.Count() > 0 && fo.ErrorsDump {
		res.Errors.WriteListing(out)
	}
	code := res.Errors.ExitCode()
	// A run stopped by a signal exits 6.
	sig := ctl.exitReported()
	if sig != "" {
		code = stopCode(sig)
		by := "signal " + sig
		if sig == abortFileName {
			by = "its abort file (--abortbyfile)"
		}
		fmt.Fprintf(out, "The sync was stopped by %s before its end. You should resynchronize: run the same command again to finish it (messages already on host2 are not copied twice).\n", by)
	}
	fmt.Fprintln(out, report.ExitLine(code, res.Errors.Count(), fo.ErrorsMax, os.Getpid()))
	if fo.JSON != "" {
		if err := report.WriteJSON(fo.JSON, report.NewJSONReport(snap, res.Errors.Records(), code, opts)); err != nil {
			return exitcode.Wrap(exitcode.CatchAll, fmt.Errorf("--json: %w", err))
		}
	}
	if sig != "" {
		if n := res.Errors.Count(); n > 0 {
			return exitcode.New(code, "interrupted by signal %s, after %d errors (the most frequent is %s)", sig, n, res.Errors.MostFrequent())
		}
		return exitcode.New(code, "interrupted by signal %s", sig)
	}
	if code != exitcode.OK {
		return exitcode.New(code, "Detected %d errors (the most frequent is %s)", res.Errors.Count(), res.Errors.MostFrequent())
	}
	return nil
}

// writeFolderTable prints each host1 folder's fate: the host2 name, the
// rule that decided it and the action (`imapshift folders`,
// --debugfolders).
func writeFolderTable(out io.Writer, res *engine.Result) {
	fmt.Fprintf(out, "%-40s %-40s %-10s %s\n", "host1 folder", "host2 folder", "rule", "action")
	for _, f := range res.Folders {
		action := f.Action
		if f.Skip != "" {
			action = "skip (" + f.Skip + ")"
		}
		fmt.Fprintf(out, "%-40s %-40s %-10s %s\n", mailbox.Display(f.Host1), mailbox.Display(f.Host2), f.Rule, action)
	}
}
