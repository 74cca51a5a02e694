package statuspage

import (
	"sync/atomic"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/report"
)

// Feed tells a Board how one account's engine run advances. It is an
// engine.Progress (chain it with the display's, Tee), an engine.Observer
// and an engine.ErrorObserver: set it as both Options.Progress and
// Options.Observer.
type Feed struct {
	b     *Board
	index int

	msgs, copied, errors atomic.Int64
	bytesTotal, bytes    atomic.Int64
}

// Feed returns the feed of account index.
func (b *Board) Feed(index int) *Feed {
	return &Feed{b: b, index: index}
}

func (f *Feed) counts() fleet.Counts {
	return fleet.Counts{MessagesTotal: f.msgs.Load(), Copied: f.copied.Load(), Errors: f.errors.Load(),
		BytesTotal: f.bytesTotal.Load(), Bytes: f.bytes.Load()}
}

// Start is told what the plan copies.
func (f *Feed) Start(msgs int, bytes int64) {
	f.msgs.Store(int64(msgs))
	f.bytesTotal.Store(bytes)
	f.b.Progress(f.index, f.counts())
}

func (f *Feed) FolderStart(string, int, int64) {}
func (f *Feed) FolderDone(string)              {}

// Copied counts a message stored on host2.
func (f *Feed) Copied(_ string, bytes int64) {
	f.copied.Add(1)
	f.bytes.Add(bytes)
	f.b.Progress(f.index, f.counts())
}

// Appended records an APPEND's latency.
func (f *Feed) Appended(d time.Duration) { f.b.Appended(f.index, d) }

// Connections records connections opened or closed to host.
func (f *Feed) Connections(host string, delta int) { f.b.AccountConnections(f.index, host, delta) }

// Failed counts an error of class c.
func (f *Feed) Failed(c report.Class) {
	f.errors.Add(1)
	f.b.ErrorClass(f.index, string(c))
	f.b.Progress(f.index, f.counts())
}

var (
	_ engine.Progress      = (*Feed)(nil)
	_ engine.Observer      = (*Feed)(nil)
	_ engine.ErrorObserver = (*Feed)(nil)
)

// Tee returns a Progress telling both a and b (either may be nil). It
// passes the backoff waits (engine.BackoffProgress) on to those that want
// them.
func Tee(a, b engine.Progress) engine.Progress {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return tee{a, b}
}

type tee [2]engine.Progress

func (t tee) Start(msgs int, bytes int64) {
	t[0].Start(msgs, bytes)
	t[1].Start(msgs, bytes)
}

func (t tee) FolderStart(folder string, msgs int, bytes int64) {
	t[0].FolderStart(folder, msgs, bytes)
	t[1].FolderStart(folder, msgs, bytes)
}

func (t tee) FolderDone(folder string) {
	t[0].FolderDone(folder)
	t[1].FolderDone(folder)
}

func (t tee) Copied(folder string, bytes int64) {
	t[0].Copied(folder, bytes)
	t[1].Copied(folder, bytes)
}

func (t tee) Backoff(host string, wait time.Duration, reason string) {
	for _, p := range t {
		if bp, ok := p.(engine.BackoffProgress); ok {
			bp.Backoff(host, wait, reason)
		}
	}
}

// ResultOf is how an engine run of account ended, for Board.Finished:
// res is engine.Run's result (nil when it could not proceed), runErr its
// error, code the run's exit code.
func ResultOf(res *engine.Result, runErr error, code int, took time.Duration) fleet.Result {
	r := fleet.Result{ExitCode: code, Duration: took, ErrorsByClass: map[string]int{}}
	switch code {
	case 0:
		r.Status = fleet.OK
	case 161, 162: // EXIT_AUTHENTICATION_FAILURE_USER1, _USER2
		r.Status = fleet.LoginFailed
	default:
		r.Status = fleet.Errors
		if res == nil {
			r.Status = fleet.Failed
		}
	}
	if runErr != nil {
		r.FirstError = runErr.Error()
	}
	if res == nil {
		return r
	}
	recs := res.Errors.Records()
	for _, rec := range recs {
		r.ErrorsByClass[string(rec.Class)]++
	}
	if r.FirstError == "" && len(recs) > 0 {
		r.FirstError = recs[0].Message
	}
	r.Counts = fleet.Counts{Copied: res.Transferred, Skipped: res.Skipped, Errors: int64(res.Errors.Count()),
		Bytes: res.BytesTransferred, BytesSkipped: res.BytesSkipped}
	return r
}

// Finish tells the board how the account's run ended (see ResultOf); the
// plan's totals are those the feed was told.
func (f *Feed) Finish(res *engine.Result, runErr error, code int, took time.Duration, logPath string) {
	r := ResultOf(res, runErr, code, took)
	r.Counts.MessagesTotal, r.Counts.BytesTotal = f.msgs.Load(), f.bytesTotal.Load()
	if res == nil {
		r.Counts = f.counts()
	}
	r.LogPath = logPath
	f.b.Finished(f.index, r)
}

// TeeObserver returns an engine.Observer telling both a and b (either
// may be nil), errors included (engine.ErrorObserver) for those that
// want them.
func TeeObserver(a, b engine.Observer) engine.Observer {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return teeObserver{a, b}
}

type teeObserver [2]engine.Observer

func (t teeObserver) Appended(d time.Duration) {
	t[0].Appended(d)
	t[1].Appended(d)
}

func (t teeObserver) Connections(host string, delta int) {
	t[0].Connections(host, delta)
	t[1].Connections(host, delta)
}

func (t teeObserver) Failed(c report.Class) {
	for _, o := range t {
		if eo, ok := o.(engine.ErrorObserver); ok {
			eo.Failed(c)
		}
	}
}
