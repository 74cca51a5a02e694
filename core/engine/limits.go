package engine

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/imapshift/imapshift/core/report"
)

// Limits throttle the copy globally, across every parallel connection
// (--maxmessagespersecond, --maxbytespersecond, --maxbytesafter,
// --maxsleep), and stop it after a byte budget (--exitwhenover).
type Limits struct {
	MessagesPerSecond float64
	BytesPerSecond    float64
	// BytesAfter exempts the first bytes transferred from the byte rate.
	BytesAfter int64
	// MaxSleep caps one pause (imapsync's default is 2 s); the bucket keeps
	// the debt, so the long-run rate still holds. 0 means no cap.
	MaxSleep time.Duration
	// ExitWhenOver ends the run once this many bytes were transferred.
	ExitWhenOver int64
}

// throttle holds the token buckets of a run.
type throttle struct {
	msgs, bytes *rate.Limiter
	after       int64
	maxSleep    time.Duration
}

func newThrottle(l Limits) *throttle {
	t := &throttle{after: l.BytesAfter, maxSleep: l.MaxSleep}
	if l.MessagesPerSecond > 0 {
		t.msgs = rate.NewLimiter(rate.Limit(l.MessagesPerSecond), 1)
	}
	if l.BytesPerSecond > 0 {
		// A small burst (50 ms worth) keeps the rate even from the start.
		t.bytes = rate.NewLimiter(rate.Limit(l.BytesPerSecond), max(int(l.BytesPerSecond/20), 1))
	}
	return t
}

// wait blocks until a message of size bytes may be sent, given that total
// bytes were sent before it. It returns the time slept.
func (t *throttle) wait(ctx context.Context, size, total int64) (time.Duration, error) {
	var delay time.Duration
	if t.msgs != nil {
		delay = t.msgs.Reserve().Delay()
	}
	if t.bytes != nil {
		counted := size
		if total < t.after {
			counted = max(0, total+size-t.after)
		}
		for counted > 0 {
			n := min(counted, int64(t.bytes.Burst()))
			delay = max(delay, t.bytes.ReserveN(time.Now(), int(n)).Delay())
			counted -= n
		}
	}
	if t.maxSleep > 0 && delay > t.maxSleep {
		delay = t.maxSleep
	}
	if delay <= 0 {
		return 0, nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return delay, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// checkExitWhenOver ends the run once total, the bytes sent so far, has
// reached --exitwhenover, with imapsync's error (class TRANSFER_EXCEEDED,
// exit 118). It reports whether the limit is reached.
func (e *engine) checkExitWhenOver(total int64) bool {
	limit := e.opts.Limits.ExitWhenOver
	if limit <= 0 || total < limit {
		return false
	}
	if !e.exec.stats.exitWhenOver.Swap(true) {
		e.fail(report.ClassTransferExceeded, fmt.Sprintf("Maximum bytes transferred reached, %d >= %d, ending sync", total, limit))
		e.say("The budget of this run (--exitwhenover %d) is used up. When it is a daily budget, such as Google's for IMAP (2,500 MB down, 500 MB up a day), run again tomorrow: the next run goes on where this one stopped.", limit)
		e.cancel()
	}
	return true
}
