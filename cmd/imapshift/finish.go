package main

import (
	"fmt"
	"io"
	"os"

	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// finishRun prints the end of imapsync's report for res (statistics,
// error listing, the "Exiting with return value" line), writes the JSON
// report when asked, and returns an error carrying the exit code when the
// run had errors.
func finishRun(out io.Writer, res *engine.Result, errorsMax int, jsonPath string, justFolders bool) error {
	opts := report.StatsOptions{Dry: res.Dry, JustFolders: justFolders, System: report.SampleSystem()}
	snap := res.Snapshot
	snap.Errors = res.Errors.Count()
	report.WriteStatistics(out, snap, opts)
	if res.Errors.Count() > 0 {
		res.Errors.WriteListing(out)
	}
	code := res.Errors.ExitCode()
	fmt.Fprintln(out, report.ExitLine(code, res.Errors.Count(), errorsMax, os.Getpid()))
	if jsonPath != "" {
		if err := report.WriteJSON(jsonPath, report.NewJSONReport(snap, res.Errors.Records(), code, opts)); err != nil {
			return exitcode.Wrap(exitcode.CatchAll, fmt.Errorf("--json: %w", err))
		}
	}
	if code != exitcode.OK {
		return exitcode.New(code, "Detected %d errors (the most frequent is %s)", res.Errors.Count(), res.Errors.MostFrequent())
	}
	return nil
}
