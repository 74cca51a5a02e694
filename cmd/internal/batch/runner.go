package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// RunFunc runs one account's command line in this process, exactly as
// `imapshift sync` would (log file, pidfile, JSON report as its options
// say), with tweak applied to the engine's options before it starts. It
// returns the run's exit code and the error it printed, if any. Output
// that does not go to the run's log file is discarded.
type RunFunc func(ctx context.Context, args []string, tweak func(*engine.Options)) (code int, err error)

// The files of an output directory. Each account has a directory of its
// own (Account.Dir) holding its log, its JSON report, its result record
// and its temporary files (pidfile, journal).
const (
	SummaryCSV  = "summary.csv"
	SummaryJSON = "summary.json"
	ResultFile  = "result.json" // an account's Row, with its signature
	ReportFile  = "report.json" // an account's run report (--json)
	LogFile     = "log.txt"
)

// Runner runs accounts, Jobs at once, in one process.
type Runner struct {
	Accounts []Account
	// Jobs is how many accounts run at once (at least 1).
	Jobs int
	// MaxConnsPerHost, when positive, caps the connections to each
	// server (host:port) across all running accounts. Each running
	// account gets an equal share, MaxConnsPerHost / Jobs (at least 1),
	// as its --maxconns1/2 bound (or its own, when lower), and starts
	// only when its share of both servers is free.
	MaxConnsPerHost int
	// OutDir receives everything: one directory per account, the
	// summary.
	OutDir string
	// Redo runs the accounts whose last run ended 0 too.
	Redo bool
	// Index, when not negative, runs only the account of that index and
	// writes no summary (a pod of a Kubernetes Indexed Job).
	Index int
	// Observer, when set, is told how the batch advances.
	Observer fleet.Observer
	// Sync runs one account (the same code as imapshift sync).
	Sync RunFunc
	// Check, when set, replaces the runs by the preflight (--check).
	Check bool
	// Log receives the lines about the batch itself (warnings).
	Log io.Writer
}

// Summary is how a batch ended: a row per account, in file order.
type Summary struct {
	Rows []Row
	// ExitCode is 0 when every account ended 0, else the most frequent
	// failure's code (the lowest among equals).
	ExitCode int
}

// Row is how one account ended, as summary.csv and summary.json show it
// and as its result record keeps it.
type Row struct {
	Index      int     `json:"index"`
	Line       int     `json:"line"`
	User1      string  `json:"user1"`
	User2      string  `json:"user2"`
	Host1      string  `json:"host1"`
	Host2      string  `json:"host2"`
	Status     string  `json:"status"`
	ExitCode   int     `json:"exit_code"`
	Copied     int64   `json:"copied"`
	Skipped    int64   `json:"skipped"`
	Errors     int64   `json:"errors"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	FirstError string  `json:"first_error"`
	// Log and Report are relative to the output directory.
	Log    string `json:"log,omitempty"`
	Report string `json:"report,omitempty"`
	// Check holds what --check found (login, size, quota).
	Check     string    `json:"check,omitempty"`
	Signature string    `json:"signature,omitempty"`
	Ended     time.Time `json:"ended"`
}

// Selected returns the accounts r runs: all, or the one of r.Index.
func (r *Runner) Selected() ([]Account, error) {
	if r.Index < 0 {
		return r.Accounts, nil
	}
	if r.Index >= len(r.Accounts) {
		return nil, exitcode.New(exitcode.Usage, "--index %d: the file has %d account lines (indexes 0 to %d)", r.Index, len(r.Accounts), len(r.Accounts)-1)
	}
	return r.Accounts[r.Index : r.Index+1], nil
}

// Run runs the batch and writes its summary (unless Index selects one
// account, or Check: a preflight leaves a batch's summary alone). A failing account never stops the others; ctx's end stops
// them all gracefully (each run ends as a signal would end it).
func (r *Runner) Run(ctx context.Context) (*Summary, error) {
	accts, err := r.Selected()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.OutDir, 0o700); err != nil {
		return nil, exitcode.Wrap(exitcode.CatchAll, err)
	}
	obs := r.observers()
	planned := make([]fleet.Account, len(accts))
	for i, a := range accts {
		planned[i] = a.Account
		// The servers named as the connections to them are.
		planned[i].Host1, planned[i].Host2 = a.Addr1(), a.Addr2()
	}
	obs.Planned(planned)

	rows := make([]Row, len(accts))
	b := newBudget(r.MaxConnsPerHost)
	share := 0
	if r.MaxConnsPerHost > 0 {
		share = max(1, r.MaxConnsPerHost/max(r.Jobs, 1))
	}
	conns := &connCount{obs: obs, open: map[string]int{}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(r.Jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rows[i] = r.runOne(ctx, &accts[i], b, share, conns, obs)
			}
		}()
	}
	for i := range accts {
		if prev, ok := r.finished(&accts[i]); ok {
			rows[i] = prev
			obs.Finished(accts[i].Index, rowResult(prev, r.OutDir))
			continue
		}
		if ctx.Err() != nil {
			rows[i] = r.notRun(&accts[i], ctx)
			continue
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	sum := &Summary{Rows: rows, ExitCode: exitCode(rows)}
	if r.Index < 0 && !r.Check {
		if err := WriteSummary(r.OutDir, sum); err != nil {
			return sum, exitcode.Wrap(exitcode.CatchAll, err)
		}
	}
	return sum, nil
}

// observers returns the Observer to tell: r.Observer or none.
func (r *Runner) observers() fleet.Observer {
	if r.Observer == nil {
		return nopObserver{}
	}
	return r.Observer
}

// finished returns the result record of an account that needs no run:
// its last run ended 0 and its signature is unchanged (unless Redo).
func (r *Runner) finished(a *Account) (Row, bool) {
	if r.Redo || r.Check {
		return Row{}, false
	}
	prev, err := readRow(filepath.Join(r.OutDir, a.Dir, ResultFile))
	if err != nil || prev.ExitCode != 0 || prev.Signature != a.Signature || (prev.Status != fleet.OK && prev.Status != fleet.Done) {
		return Row{}, false
	}
	prev.Index, prev.Line = a.Index, a.Line
	prev.Status = fleet.Done
	return prev, true
}

// notRun is the row of an account the batch was stopped before.
func (r *Runner) notRun(a *Account, ctx context.Context) Row {
	row := newRow(a)
	row.Status, row.ExitCode = fleet.Failed, int(exitcode.BySignal)
	row.FirstError = "not started: the batch was stopped"
	if cause := context.Cause(ctx); cause != nil {
		row.FirstError += " (" + cause.Error() + ")"
	}
	return row
}

func newRow(a *Account) Row {
	return Row{Index: a.Index, Line: a.Line, User1: a.User1, User2: a.User2, Host1: a.Host1, Host2: a.Host2, Signature: a.Signature}
}

// runOne runs one account within the connection budget and records how
// it ended.
func (r *Runner) runOne(ctx context.Context, a *Account, b *budget, share int, conns *connCount, obs fleet.Observer) Row {
	row := newRow(a)
	dir := filepath.Join(r.OutDir, a.Dir)
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		row.Status, row.ExitCode, row.FirstError = fleet.Failed, int(exitcode.CatchAll), err.Error()
		obs.Finished(a.Index, rowResult(row, r.OutDir))
		return row
	}
	need := map[string]int{}
	if share > 0 {
		need[a.Addr1()] += share
		need[a.Addr2()] += share
		if r.Check {
			need = map[string]int{a.Addr1(): 1}
			need[a.Addr2()]++
		}
	}
	if err := b.take(ctx, need); err != nil {
		return r.notRun(a, ctx)
	}
	defer b.give(need)
	logPath := filepath.Join(dir, LogFile)
	obs.Started(a.Index, logPath)
	start := time.Now()
	if r.Check {
		row = r.check(ctx, a, row)
	} else {
		row = r.sync(ctx, a, row, dir, share, conns, obs)
	}
	row.Seconds = time.Since(start).Seconds()
	row.Ended = time.Now().UTC()
	if !r.Check {
		row.Log = filepath.Join(a.Dir, LogFile)
		if _, err := os.Stat(filepath.Join(dir, ReportFile)); err == nil {
			row.Report = filepath.Join(a.Dir, ReportFile)
		}
		if err := writeRow(filepath.Join(dir, ResultFile), row); err != nil && r.Log != nil {
			fmt.Fprintf(r.Log, "imapshift: %s: %v\n", a.Dir, err)
		}
	}
	obs.Finished(a.Index, rowResult(row, r.OutDir))
	return row
}

// sync runs the account's sync.
func (r *Runner) sync(ctx context.Context, a *Account, row Row, dir string, share int, conns *connCount, obs fleet.Observer) Row {
	args := append(append([]string(nil), a.Args...),
		"--logdir", dir, "--logfile", LogFile,
		"--json", filepath.Join(dir, ReportFile),
		"--tmpdir", filepath.Join(dir, "tmp"),
		"--pidfile", filepath.Join(dir, "tmp", "imapshift.pid"))
	if !hasOption(a.Args, "--statedir") {
		args = append(args, "--statedir", filepath.Join(dir, "state"))
	}
	os.Remove(filepath.Join(dir, ReportFile)) // a previous run's
	watch := &accountWatch{index: a.Index, obs: obs, conns: conns}
	tweak := func(o *engine.Options) {
		o.Progress, o.Observer = watch, watch
		if share > 0 {
			o.MaxConns1, o.MaxConns2 = bound(o.MaxConns1, share), bound(o.MaxConns2, share)
		}
	}
	code, err := r.Sync(ctx, args, tweak)
	// The budget is given back once the account's connections are all
	// closed, not when its run returns.
	watch.waitClosed(5 * time.Second)
	row.ExitCode = code
	if rep, rerr := readReport(filepath.Join(dir, ReportFile)); rerr == nil {
		row.Copied, row.Skipped, row.Bytes = rep.Transferred, rep.Skipped, rep.BytesTransferred
		row.Errors = int64(rep.ErrorCount)
		if len(rep.Errors) > 0 {
			row.FirstError = rep.Errors[0].Message
		}
	} else {
		c := watch.counts()
		row.Copied, row.Bytes = c.Copied, c.Bytes
	}
	if row.FirstError == "" && err != nil {
		row.FirstError = err.Error()
	}
	row.Status = status(code)
	return row
}

// bound returns the lower of a connection bound and share (0: none).
func bound(own, share int) int {
	if own <= 0 || share < own {
		return share
	}
	return own
}

func hasOption(args []string, name string) bool {
	for _, a := range args {
		if a == name || len(a) > len(name) && a[:len(name)+1] == name+"=" {
			return true
		}
	}
	return false
}

// status names how a run that exited code ended.
func status(code int) string {
	switch exitcode.Code(code) {
	case exitcode.OK:
		return fleet.OK
	case exitcode.AuthFailure, exitcode.AuthFailureUser1, exitcode.AuthFailureUser2:
		return fleet.LoginFailed
	case exitcode.WithErrors, exitcode.WithErrorsMax, exitcode.OverQuota, exitcode.ErrAppend, exitcode.ErrFetch,
		exitcode.ErrCreate, exitcode.ErrSelect, exitcode.TransferExceeded, exitcode.ErrAppendVirus, exitcode.ErrFlags:
		return fleet.Errors
	}
	return fleet.Failed
}

// exitCode is a batch's exit code: 0 when every row ended 0, else the
// most frequent non-zero code, the lowest among equals.
func exitCode(rows []Row) int {
	counts := map[int]int{}
	for _, r := range rows {
		if r.ExitCode != 0 {
			counts[r.ExitCode]++
		}
	}
	best, n := 0, 0
	for c, k := range counts {
		if k > n || (k == n && c < best) {
			best, n = c, k
		}
	}
	return best
}

// rowResult is a Row as the Observer gets it.
func rowResult(row Row, outDir string) fleet.Result {
	res := fleet.Result{Status: row.Status, ExitCode: row.ExitCode,
		Counts:   fleet.Counts{Copied: row.Copied, Skipped: row.Skipped, Errors: row.Errors, Bytes: row.Bytes},
		Duration: time.Duration(row.Seconds * float64(time.Second)), FirstError: row.FirstError}
	if row.Log != "" {
		res.LogPath = filepath.Join(outDir, row.Log)
	}
	if row.Report != "" {
		res.ReportPath = filepath.Join(outDir, row.Report)
		if rep, err := readReport(res.ReportPath); err == nil {
			res.ErrorsByClass = map[string]int{}
			for _, e := range rep.Errors {
				res.ErrorsByClass[string(e.Class)]++
			}
		}
	}
	return res
}

func readReport(path string) (*report.JSONReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep report.JSONReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

func readRow(path string) (Row, error) {
	var row Row
	b, err := os.ReadFile(path)
	if err != nil {
		return row, err
	}
	if err := json.Unmarshal(b, &row); err != nil {
		return row, fmt.Errorf("%s: %w", path, err)
	}
	return row, nil
}

// writeRow writes a result record atomically (a crash leaves the old one
// or the new one).
func writeRow(path string, row Row) error {
	b, err := json.MarshalIndent(row, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// budget holds the free connections of each server. A take is all or
// nothing, so that two accounts never each hold one server while waiting
// for the other's.
type budget struct {
	max  int // 0: no budget
	mu   sync.Mutex
	used map[string]int
	wake chan struct{}
}

func newBudget(n int) *budget { return &budget{max: n, used: map[string]int{}} }

// take waits until need (connections per server) is free and takes it.
// A need above the whole budget is cut to the budget.
func (b *budget) take(ctx context.Context, need map[string]int) error {
	if b.max <= 0 {
		return ctx.Err()
	}
	for k, n := range need {
		need[k] = min(n, b.max)
	}
	for {
		b.mu.Lock()
		fits := true
		for k, n := range need {
			if b.used[k]+n > b.max {
				fits = false
			}
		}
		if fits {
			for k, n := range need {
				b.used[k] += n
			}
			b.mu.Unlock()
			return nil
		}
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *budget) give(need map[string]int) {
	if b.max <= 0 {
		return
	}
	b.mu.Lock()
	for k, n := range need {
		b.used[k] -= n
	}
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	b.mu.Unlock()
}

// connCount adds up the connections of all running accounts per server.
type connCount struct {
	obs  fleet.Observer
	mu   sync.Mutex
	open map[string]int
}

func (c *connCount) add(host string, delta int) {
	host = strings.ToLower(host) // as Account.Addr1 and Addr2 name it
	c.mu.Lock()
	c.open[host] += delta
	n := c.open[host]
	c.mu.Unlock()
	c.obs.Connections(host, n)
}

// accountWatch is one account's engine.Progress and engine.Observer: it
// passes its counts and connections on to the batch's Observer.
type accountWatch struct {
	index int
	obs   fleet.Observer
	conns *connCount
	mu    sync.Mutex
	c     fleet.Counts
	open  int // connections open now
}

func (w *accountWatch) counts() fleet.Counts {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c
}

func (w *accountWatch) Start(msgs int, bytes int64) {
	w.mu.Lock()
	w.c.MessagesTotal, w.c.BytesTotal = int64(msgs), bytes
	c := w.c
	w.mu.Unlock()
	w.obs.Progress(w.index, c)
}

func (w *accountWatch) FolderStart(string, int, int64) {}
func (w *accountWatch) FolderDone(string)              {}

func (w *accountWatch) Copied(_ string, bytes int64) {
	w.mu.Lock()
	w.c.Copied++
	w.c.Bytes += bytes
	c := w.c
	w.mu.Unlock()
	w.obs.Progress(w.index, c)
}

func (w *accountWatch) Appended(d time.Duration) { w.obs.Appended(w.index, d) }

func (w *accountWatch) Connections(host string, delta int) {
	w.mu.Lock()
	w.open += delta
	w.mu.Unlock()
	w.conns.add(host, delta)
}

// waitClosed waits, at most max, until the account has no connection
// open.
func (w *accountWatch) waitClosed(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		open := w.open
		w.mu.Unlock()
		if open <= 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type nopObserver struct{}

func (nopObserver) Planned([]fleet.Account)     {}
func (nopObserver) Started(int, string)         {}
func (nopObserver) Progress(int, fleet.Counts)  {}
func (nopObserver) Appended(int, time.Duration) {}
func (nopObserver) Connections(string, int)     {}
func (nopObserver) Finished(int, fleet.Result)  {}

// Fanout is an Observer telling each of its Observers in turn.
type Fanout []fleet.Observer

func (f Fanout) Planned(a []fleet.Account) {
	for _, o := range f {
		o.Planned(a)
	}
}
func (f Fanout) Started(i int, log string) {
	for _, o := range f {
		o.Started(i, log)
	}
}
func (f Fanout) Progress(i int, c fleet.Counts) {
	for _, o := range f {
		o.Progress(i, c)
	}
}
func (f Fanout) Appended(i int, d time.Duration) {
	for _, o := range f {
		o.Appended(i, d)
	}
}
func (f Fanout) Connections(h string, n int) {
	for _, o := range f {
		o.Connections(h, n)
	}
}
func (f Fanout) Finished(i int, r fleet.Result) {
	for _, o := range f {
		o.Finished(i, r)
	}
}
