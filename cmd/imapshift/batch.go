package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/batch"
	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/statuspage"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
)

// batchOptions are the options of `imapshift batch` itself; every other
// option is passed to each account's run.
type batchOptions struct {
	File            string
	Jobs            int
	MaxConnsPerHost int
	OutDir          string
	Redo, Check     bool
	Index           int    // -1: every account
	HTTP            string // --http: the live status page's address
	Common          []string
}

const batchLong = `Sync many accounts, one a line of FILE, in imapsync's loop format:

  host1;user1;password1;host2;user2;password2[;extra options for that line]

'#' starts a comment; blank lines are skipped. A first line naming the
columns (host1,user1,password1,host2,user2,password2[,options]) makes it a
header, and with ',' in it the file is read as CSV. A password may be
file:PATH (the file's first line) or env:NAME (a variable). Every line is
checked before anything starts: malformed lines are listed with their line
numbers and the batch exits 64.

Options other than the batch's own apply to every line; a line's own
options come after them. Each account runs in this process with its own
engine, log file, JSON report, state and pidfile, in its directory of
--outdir, which also receives summary.csv and summary.json. Rerunning the
same command skips the accounts whose last run ended 0 and whose line and
options did not change.

Batch options:
  --jobs N             accounts synced at once (default 4)
  --maxconnsperhost N  connections to each server, all running accounts
                       together (each account gets N / jobs, at least 1)
  --outdir DIR         output directory (default imapshift-batch-YYYY-MM-DD)
  --redo               also run the accounts that already ended 0
  --check              log in on both sides of every line, report host1's
                       size and host2's quota; copy nothing
  --index I            run only account line I (0-based; default
                       $JOB_COMPLETION_INDEX, for a Kubernetes Indexed Job)
  --http ADDR          serve a live status page of the batch (/), the same
                       as JSON (/api/status) and Prometheus metrics
                       (/metrics) on ADDR while it runs (:8080 is
                       127.0.0.1:8080; name 0.0.0.0:8080 to be reached
                       from elsewhere)

  imapshift batch report DIR   merges the per-account results under DIR
                               (the pods' of an Indexed Job) into one summary

EXIT STATUS
  0 every account ended 0; else the most frequent exit code among the
  accounts; 64 a bad line or option (nothing started).`

// newBatchCommand is `imapshift batch FILE [options]` and
// `imapshift batch report DIR`.
func (a *app) newBatchCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "batch FILE [options] | batch report DIR",
		Short:              "Sync many accounts from a file of account lines (imapsync's loop format)",
		Long:               batchLong,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			a.ran = true
			for _, arg := range args {
				if arg == "-h" || arg == "--help" {
					return c.Help()
				}
			}
			if len(args) > 0 && args[0] == "report" {
				if len(args) != 2 {
					return usageErrorf("usage: imapshift batch report DIR")
				}
				return a.batchReport(args[1])
			}
			o, err := a.parseBatchArgs(args)
			if err != nil {
				return err
			}
			return a.runBatch(c.Context(), o)
		},
	}
}

// parseBatchArgs takes the batch's own options out of args.
func (a *app) parseBatchArgs(args []string) (*batchOptions, error) {
	o := &batchOptions{Jobs: 4, Index: -1}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil, usageErrorf("imapshift batch needs the accounts file first: imapshift batch FILE [options]")
	}
	o.File = args[0]
	indexSet := false
	for i := 1; i < len(args); i++ {
		name, value, inline := strings.Cut(args[i], "=")
		takeValue := func() (string, error) {
			if inline {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", usageErrorf("%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		intValue := func(min int) (int, error) {
			v, err := takeValue()
			if err != nil {
				return 0, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < min {
				return 0, usageErrorf("%s %q: want a whole number of at least %d", name, v, min)
			}
			return n, nil
		}
		var err error
		switch strings.TrimLeft(name, "-") {
		case "jobs":
			o.Jobs, err = intValue(1)
		case "maxconnsperhost":
			o.MaxConnsPerHost, err = intValue(1)
		case "index":
			o.Index, err = intValue(0)
			indexSet = true
		case "outdir":
			o.OutDir, err = takeValue()
		case "http":
			if o.HTTP, err = takeValue(); err == nil {
				if _, rerr := statuspage.ResolveAddr(o.HTTP); rerr != nil {
					err = usageErrorf("--http: %v", rerr)
				}
			}
		case "redo":
			o.Redo = true
		case "check":
			o.Check = true
		default:
			o.Common = append(o.Common, args[i])
		}
		if err != nil {
			return nil, err
		}
	}
	if v := a.getenv("JOB_COMPLETION_INDEX"); v != "" && !indexSet {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, usageErrorf("JOB_COMPLETION_INDEX %q is not an index", v)
		}
		o.Index = n
	}
	if o.OutDir == "" {
		o.OutDir = "imapshift-batch-" + time.Now().Format("2006-01-02")
	}
	return o, nil
}

// runBatch reads and checks the file, runs the accounts and prints the
// summary table.
func (a *app) runBatch(ctx context.Context, o *batchOptions) error {
	lines, warnings, err := batch.ReadFile(o.File)
	bad, _ := err.(batch.LineErrors)
	if err != nil && bad == nil {
		return exitcode.New(exitcode.NoInput, "%s: %v", o.File, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(a.stderr, "imapshift: warning: %s\n", w)
	}
	if len(lines) == 0 && bad == nil {
		return usageErrorf("%s has no account line", o.File)
	}
	// The common options alone, once: a mistake there is one error, not
	// one per line.
	probe := append(append([]string(nil), o.Common...), "--host1", "h1.invalid", "--user1", "u", "--password1", "p",
		"--host2", "h2.invalid", "--user2", "u", "--password2", "p")
	if _, err := a.checkAccount(probe); err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	accts, err := batch.Prepare(lines, o.Common, a.getenv, a.checkAccount)
	if more, _ := err.(batch.LineErrors); more != nil || bad != nil {
		return a.badLines(o.File, bad.Merge(more))
	}
	// Each account holds at most its --bodybudget of message bodies; the
	// process's soft limit covers the accounts running at once.
	var biggest int64
	for _, acct := range accts {
		biggest = max(biggest, acct.BodyBudget)
	}
	running := min(o.Jobs, len(accts))
	if o.Index >= 0 {
		running = 1
	}
	defer limitMemory(int64(running) * (biggest + memoryHeadroom))()
	r := &batch.Runner{Accounts: accts, Jobs: o.Jobs, MaxConnsPerHost: o.MaxConnsPerHost, OutDir: o.OutDir,
		Redo: o.Redo, Index: o.Index, Check: o.Check, Sync: a.runAccount, Log: a.stderr}
	display := batch.NewDisplay(a.stdout)
	observers := append(batch.Fanout{display}, a.observers...)
	if o.HTTP != "" {
		board, stop, err := serveBatchStatus(ctx, o.HTTP, accts, a.stdout)
		if err != nil {
			return err
		}
		defer stop()
		observers = append(observers, board)
	}
	r.Observer = observers
	sum, err := r.Run(ctx)
	batch.Close(display)
	if err != nil {
		return err
	}
	if o.Index < 0 || o.Check {
		batch.WriteTable(a.stdout, sum)
	}
	if o.Index < 0 && !o.Check {
		fmt.Fprintf(a.stdout, "Summary: %s/%s and %s/%s\n", o.OutDir, batch.SummaryCSV, o.OutDir, batch.SummaryJSON)
	}
	return batchExit(sum)
}

// batchExit is the error carrying a batch's exit code, nil when 0.
func batchExit(sum *batch.Summary) error {
	if sum.ExitCode == 0 {
		return nil
	}
	failed := 0
	for _, r := range sum.Rows {
		if r.ExitCode != 0 {
			failed++
		}
	}
	return exitcode.New(exitcode.Code(sum.ExitCode), "%d of %d accounts did not end 0 (the most frequent exit code is %d)", failed, len(sum.Rows), sum.ExitCode)
}

// badLines prints every malformed line of file on stderr and returns the
// usage error that refuses the batch.
func (a *app) badLines(file string, errs batch.LineErrors) error {
	for _, e := range errs {
		fmt.Fprintf(a.stderr, "imapshift: %s:%d: %s\n", file, e.Line, oneLine(e.Err.Error()))
	}
	noun := "lines"
	if len(errs) == 1 {
		noun = "line"
	}
	return usageErrorf("%d bad %s in %s: nothing was started", len(errs), noun, file)
}

// batchReport is `imapshift batch report DIR`.
func (a *app) batchReport(dir string) error {
	sum, err := batch.Report(dir)
	if err != nil {
		return exitcode.Wrap(exitcode.NoInput, err)
	}
	if err := batch.WriteSummary(dir, sum); err != nil {
		return exitcode.Wrap(exitcode.CatchAll, err)
	}
	batch.WriteTable(a.stdout, sum)
	return batchExit(sum)
}

// checkAccount parses an account's command line as `imapshift sync`
// would and checks its values without connecting (batch.CheckFunc).
func (a *app) checkAccount(args []string) (batch.Target, error) {
	b := newApp(strings.NewReader(""), io.Discard, io.Discard)
	b.getenv = a.getenv
	var s *config.Settings
	b.intercept = func(got *config.Settings) error { s = got; return nil }
	if err := b.execute(context.Background(), append([]string{"sync"}, args...)); err != nil {
		return batch.Target{}, err
	}
	if s.HTTP != "" {
		return batch.Target{}, usageErrorf("--http is an option of the whole batch (one status page for all accounts), not of an account line")
	}
	if err := s.ResolvePasswords(config.PasswordSource{Stdin: strings.NewReader(""), Prompt: io.Discard, Getenv: a.getenv}); err != nil {
		return batch.Target{}, err
	}
	// No SSL probe and no state file: nothing is dialled or opened.
	s.Host1.Probed, s.Host2.Probed = true, true
	s.UseCache, s.UseUID = false, false
	eo, cleanup, err := s.EngineOptions(context.Background(), io.Discard)
	if err != nil {
		return batch.Target{}, err
	}
	cleanup()
	return batch.Target{Side1: eo.Host1, Side2: eo.Host2, BodyBudget: eo.BodyBudget}, nil
}

// runAccount runs one account of a batch (batch.RunFunc): the same code
// as `imapshift sync`, with its own run control, and the batch's stop
// signal passed on to it.
func (a *app) runAccount(ctx context.Context, args []string, tweak func(*engine.Options)) (int, error) {
	b := newApp(strings.NewReader(""), io.Discard, io.Discard)
	b.getenv = a.getenv
	b.runSync = func(ctx context.Context, s *config.Settings, out io.Writer) error {
		return runEngineIn(ctx, s, out, tweak, false)
	}
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			var sig os.Signal = os.Interrupt
			if a.ctl.StoppedBy() == "TERM" {
				sig = syscall.SIGTERM
			}
			sigs <- sig
		case <-done:
		}
	}()
	return b.runArgs(context.WithoutCancel(ctx), append([]string{"sync"}, args...), sigs)
}

var _ batch.RunFunc = (*app)(nil).runAccount
