package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imapshift/imapshift/core/message"
	"github.com/imapshift/imapshift/core/report"
)

// engine is one run: its options, connections, output and errors, the
// plan and, once Execute has begun, the execution's progress.
type engine struct {
	opts    Options
	servers [2]*server
	info    [2]*sideInfo // what each server told about its folders
	spool   *spool
	changes changes

	mu    sync.Mutex // guards output and the fields below
	out   io.Writer
	noted map[string]bool
	errs  report.Errors
	start time.Time
	// memStart is the process memory when the run began, for the report.
	memStart float64

	plan plan
	exec *execution // nil until Execute
	pool []*worker  // the Parallel workers, made on first use (workers)
	// small is set, before Execute's work begins, when the plan is small
	// enough for main's connections (smallPlan): main alone takes jobs.
	small    bool
	turns    turns // bounds the workers at work by the hosts' connection bounds
	hooks    msgHooks
	throttle *throttle
	progress Progress
	// stopped is set once --errorsmax is reached; cancel then stops the
	// plan's or the execution's work.
	stopped atomic.Bool
	cancel  context.CancelFunc
	// recovery is set when a dead run left APPENDs in doubt; inflight
	// records this run's (both nil without Options.Journal).
	recovery *recovery
	inflight *inflight
	journal  string // Options.Journal, "" while another live run writes it
	doubts   doubts // host2 folders where APPENDs may have landed unseen
	poison   poison // the tries of messages host2 did not take
	labels   labelState
	raw      [2]rawSearch // the X-GM-RAW search sessions
}

// Run carries out one sync (or, with JustFolders / JustFolderSizes / Dry,
// the corresponding subset) and returns its result: NewPlan, then Print
// under Options.Dry, else Execute. The error is non-nil only when the run
// could not proceed (logins, listing); per-message and per-folder problems
// are in Result.Errors.
//
// An account of more than Options.PlanGroup messages is planned in groups
// of folders instead, so that memory does not grow with the account (a
// plan holds about 100 bytes a message): each group is analysed, then
// printed or carried out, then dropped but for the figures of the
// report, before the next group is analysed. A group's sizes table and
// --dry lines are printed with it. Options that need the whole account's
// plan before the first change (see groupable) keep the single plan.
func Run(ctx context.Context, opts Options) (*Result, error) {
	p, err := newPlan(ctx, opts, true)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if p.e.plan.groups != nil {
		return p.runGroups(ctx)
	}
	if opts.Dry {
		p.Print(p.e.out)
		return p.Result(), nil
	}
	return p.Execute(ctx)
}

func (e *engine) say(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sayLocked(fmt.Sprintf(format, args...))
}

func (e *engine) sayLocked(line string) {
	io.WriteString(e.out, line+"\n")
}

// fail records an error of class c, prints its line, and stops the run
// once --errorsmax is reached. The class, not the line, counts towards the
// exit code. Recording, the check and the stop happen under one lock, so
// the count stops exactly at --errorsmax: errors that work still in flight
// reports after the stop are printed as notes and not counted.
func (e *engine) fail(c report.Class, msg string) { e.failIn("", c, msg) }

// failIn is fail for an error about host1 folder folder ("" for none).
func (e *engine) failIn(folder string, c report.Class, msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped.Load() {
		e.sayLocked(msg + " (not counted: the run is stopping)")
		return
	}
	n := e.errs.AddFolder(folder, c, msg)
	e.errorCounted(c)
	e.sayLocked(msg)
	if max := e.opts.ErrorsMax; max > 0 && n >= max {
		e.stopped.Store(true)
		e.sayLocked(fmt.Sprintf("Maximum number of errors %d reached ( you can change %d to any value, for example 100 with --errorsmax 100 ). Exiting.", max, max))
		e.cancel()
	}
}

// headerSummary extracts Subject, Date and Message-Id (unfolded,
// trimmed) from the start of a message, with one parse.
func headerSummary(head []byte) (subject, date, messageID string) {
	h := message.Parse(head)
	subject, _ = h.Get("Subject")
	date, _ = h.Get("Date")
	messageID, _ = h.Get("Message-Id")
	return subject, date, strings.TrimSpace(messageID)
}
