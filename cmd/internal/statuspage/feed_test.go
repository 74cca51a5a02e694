package statuspage

import (
	"testing"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/report"
)

// backoffRecorder is a Progress that wants the backoff waits.
type backoffRecorder struct {
	copied  int
	backoff []time.Duration
}

func (*backoffRecorder) Start(int, int64)               {}
func (*backoffRecorder) FolderStart(string, int, int64) {}
func (*backoffRecorder) FolderDone(string)              {}
func (r *backoffRecorder) Copied(string, int64)         { r.copied++ }
func (r *backoffRecorder) Backoff(_ string, d time.Duration, _ string) {
	r.backoff = append(r.backoff, d)
}

// TestFeedAndTees: a Feed chained after a display's Progress and
// Observer gives the board the account's counts, errors by class,
// connections and APPEND latency, and the display still gets its
// backoff waits and its errors.
func TestFeedAndTees(t *testing.T) {
	b := NewBoard()
	b.Planned([]fleet.Account{{Index: 0, User1: "u"}})
	f := b.Feed(0)
	display := &backoffRecorder{}
	other := &Feed{b: NewBoard()}
	p := Tee(display, f)
	o := TeeObserver(other, f)
	p.Start(3, 300)
	p.Copied("INBOX", 100)
	p.Copied("INBOX", 100)
	p.(engine.BackoffProgress).Backoff("Host2", time.Second, "throttled")
	o.Connections("h:143", 2)
	o.Appended(40 * time.Millisecond)
	o.(engine.ErrorObserver).Failed(report.ClassAppend)
	if display.copied != 2 || len(display.backoff) != 1 {
		t.Errorf("the display got %d copies, backoffs %v", display.copied, display.backoff)
	}
	if other.errors.Load() != 1 {
		t.Error("the other observer was not told of the error")
	}
	a := b.Status().Accounts[0]
	if a.Copied != 2 || a.MessagesTotal != 3 || a.Bytes != 200 || a.Errors != 1 || a.ErrorsByClass["ERR_APPEND"] != 1 || a.Connections != 2 || a.AppendAvgMs != 40 {
		t.Errorf("the board's account: %+v", a)
	}
	if Tee(nil, f) != engine.Progress(f) || TeeObserver(f, nil) != engine.Observer(f) {
		t.Error("a Tee with one side nil is not that side")
	}
}
