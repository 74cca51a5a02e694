package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/report"
)

// BackoffProgress is an optional extension of Progress: a display that
// implements it is told when the run waits because a server asked it to
// back off (a throttling answer), so that it can show a countdown.
type BackoffProgress interface {
	// Backoff is called with the host ("Host1" or "Host2"), the wait and
	// the server's reason when a wait begins, and with a zero wait when
	// it ends.
	Backoff(host string, wait time.Duration, reason string)
}

// backoff waits d after a throttling answer err from side s, as the
// server asked, saying so in one line. A wait longer than
// Options.ThrottleMax is not made: it is a connection failure of that
// host, recorded with its line, and the run stops; the error returned is
// then a *conn.Error. It also returns ctx's error when the run ends
// during the wait.
func (e *engine) backoff(ctx context.Context, s side, d time.Duration, err error) error {
	reason := throttleReason(err)
	if limit := e.opts.throttleMax(); d > limit {
		cfg := e.servers[s].cfg
		cerr := &conn.Error{Stage: conn.StageConnect, Side: cfg.Side, Host: cfg.Host, User: cfg.User,
			Err: fmt.Errorf("the server asks to back off for %.1f s (%s), longer than the %s allowed (--throttlemax)", d.Seconds(), reason, limit)}
		class := report.ClassConnHost1
		if s == host2 {
			class = report.ClassConnHost2
		}
		e.fail(class, fmt.Sprintf("%s: server asks to back off for %.1f s (%s), longer than the %s allowed by --throttlemax; giving up", s, d.Seconds(), reason, limit))
		e.stop()
		return cerr
	}
	e.say("%s: server asks to back off for %.1f s (%s); waiting", s, d.Seconds(), reason)
	if bp, ok := e.progress.(BackoffProgress); ok {
		bp.Backoff(s.String(), d, reason)
		defer bp.Backoff(s.String(), 0, "")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the plan's or the execution's work.
func (e *engine) stop() {
	e.mu.Lock()
	cancel := e.cancel
	e.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// throttleReason is the server's sentence naming why it throttles, for
// the waiting line: "Request is throttled" or "User is authenticated but
// not connected".
func throttleReason(err error) string {
	text := err.Error()
	for _, r := range []string{"Request is throttled", "User is authenticated but not connected"} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(r)) {
			return r
		}
	}
	return "throttled"
}
