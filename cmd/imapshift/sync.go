package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/progress"
	"github.com/imapshift/imapshift/cmd/internal/runctl"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// newSyncCommand is `imapshift sync`, which is also what imapshift does
// without a subcommand.
func (a *app) newSyncCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sync [options]",
		Short: "Sync host1 to host2 (the default command)",
		Long:  "Sync the folders and messages of host1 to host2. \"imapshift sync ...\" is \"imapshift ...\".\n" + exitStatusLogin,
	}
	a.bindRegistry(c, config.AllGroups, func(ctx context.Context, _ *cobra.Command, s *config.Settings) error {
		return a.runMain(ctx, s)
	})
	return c
}

func runSync(ctx context.Context, s *config.Settings, out io.Writer) error {
	return runEngine(ctx, s, out, nil)
}

// runEngine runs the engine with the command line's options (changed by
// tweak, when given) and prints the final report.
func runEngine(ctx context.Context, s *config.Settings, out io.Writer, tweak func(*engine.Options)) error {
	return runEngineIn(ctx, s, out, tweak, true)
}

// runEngineIn is runEngine; alone tells that the run is the process's
// only one, which may then set the process's memory limit (a batch runs
// several).
func runEngineIn(ctx context.Context, s *config.Settings, out io.Writer, tweak func(*engine.Options), alone bool) (err error) {
	o, cleanup, err := s.EngineOptions(ctx, out)
	if err != nil {
		return err
	}
	defer cleanup()
	if tweak != nil {
		tweak(&o)
	}
	if alone && o.BodyBudget > 0 {
		defer limitMemory(o.BodyBudget + memoryHeadroom)()
	}
	end := progress.Attach(&o, out)
	page, err := startStatusPage(ctx, s, &o, out)
	if err != nil {
		end()
		return err
	}
	var res *engine.Result
	defer func() { page.finish(res, err) }()
	res, err = engine.Run(ctx, o)
	end()
	if err != nil {
		return err
	}
	if o.JustFolderSizes || o.JustFolderLists || o.JustAutomap {
		return nil
	}
	sendEmailReports(ctx, s, &o, res, out)
	return finishRun(out, res, finishOptions{ErrorsMax: o.ErrorsMax, JSON: s.JSON, JustFolders: o.JustFolders, ErrorsDump: s.ErrorsDump})
}

// sendEmailReports appends the run's final report as a message into the
// INBOX of host1 (--emailreport1) and/or host2 (--emailreport2), as
// imapsync does. Dry and folder-only runs send none. A failure is
// reported and does not change the exit code.
func sendEmailReports(ctx context.Context, s *config.Settings, o *engine.Options, res *engine.Result, out io.Writer) {
	if o.Dry || o.JustFolders || o.JustFolderSizes {
		return
	}
	for n, on := range []bool{s.Host1.EmailReport, s.Host2.EmailReport} {
		if !on {
			continue
		}
		cfg := o.Host1
		if n == 1 {
			cfg = o.Host2
		}
		host, _ := os.Hostname()
		snap := res.Snapshot
		snap.Errors = res.Errors.Count()
		raw := report.EmailReport{User1: o.Host1.User, Host1: o.Host1.Host, User2: o.Host2.User, Host2: o.Host2.Host,
			To: cfg.User, Hostname: host, Date: time.Now(), Stats: snap, Errors: res.Errors}.Message()
		if err := appendInbox(ctx, cfg, raw); err != nil {
			fmt.Fprintf(out, "%s: could not append the email report into INBOX: %v\n", cfg.Name(), err)
			continue
		}
		fmt.Fprintf(out, "%s: email report appended into INBOX (%d bytes)\n", cfg.Name(), len(raw))
	}
}

// appendInbox appends raw into the INBOX of cfg's account.
func appendInbox(ctx context.Context, cfg *conn.Config, raw []byte) error {
	c, err := conn.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err = cmd.Wait()
	c.Logout().Wait()
	return err
}

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
// debugging options (runctl.Of).
func finishRun(out io.Writer, res *engine.Result, fo finishOptions) error {
	ctl := runctl.Of(out)
	switch {
	case fo.JustFolders:
		writeFolderTable(out, res)
	case ctl.Debugging().Folders:
		fmt.Fprintln(out, "++++ Folders (--debugfolders)")
		writeFolderTable(out, res)
	}
	if ctl.Debugging().Memory {
		runctl.PrintMemory(out)
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
	sig := ctl.ExitReported()
	if sig != "" {
		code = runctl.StopCode(sig)
		by := "signal " + sig
		if sig == runctl.AbortFileName {
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
