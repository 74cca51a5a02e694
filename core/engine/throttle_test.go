package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestThrottledAnswersAreWaitedOut meets Exchange Online's throttling
// ("NO Request is throttled. Suggested Backoff Time: N milliseconds",
// usually followed by a dropped connection) on APPEND, on host1's FETCH
// and at LOGIN: the run waits the suggested time, says so in one line,
// reconnects and goes on. It ends with no error and every message on
// host2 exactly once.
func TestThrottledAnswersAreWaitedOut(t *testing.T) {
	const wait = 300 * time.Millisecond
	const line = "server asks to back off for 0.3 s (Request is throttled); waiting"
	for _, tc := range []struct {
		name  string
		multi bool
		arm   func(p *pair)
		host  string
	}{
		{"APPEND then drop", false, func(p *pair) {
			p.s2.Faults().RefuseCommandThenDrop("APPEND", 2, imapmem.Office365Throttled(wait))
		}, "Host2"},
		{"MULTIAPPEND then drop", true, func(p *pair) {
			p.s2.Faults().RefuseCommandThenDrop("APPEND", 1, imapmem.Office365Throttled(wait))
		}, "Host2"},
		{"APPEND, connection kept", false, func(p *pair) {
			p.s2.Faults().RefuseCommand("APPEND", 3, imapmem.Office365Throttled(wait))
		}, "Host2"},
		{"host1 FETCH", false, func(p *pair) {
			p.s1.Faults().RefuseCommandThenDrop("UID FETCH", 2, imapmem.Office365Throttled(wait))
		}, "Host1"},
		{"LOGIN", false, func(p *pair) {
			p.s2.Faults().RefuseCommand("LOGIN", 1, imapmem.Office365Throttled(wait))
		}, "Host2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			if tc.multi {
				caps := imapmem.DefaultCaps()
				caps[imap.CapMultiAppend] = struct{}{}
				p.s2 = imapmem.StartT(t, imapmem.Options{Caps: caps})
				p.u2 = p.s2.AddUser("bob", "secret2")
			}
			seedN(t, p.u1, "INBOX", 40, 3000)
			seedN(t, p.u1, "Archive", 30, 3000)
			tc.arm(p)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.MultiAppend = tc.multi
			res := run(t, opts)
			if res.Errors.Count() != 0 || res.Errors.ExitCode() != exitcode.OK {
				t.Fatalf("exit %d, errors %v\n%s", res.Errors.ExitCode(), res.Errors.Records(), tail(out.String()))
			}
			if !strings.Contains(out.String(), tc.host+": "+line) {
				t.Fatalf("no waiting line %q\n%s", tc.host+": "+line, tail(out.String()))
			}
			assertExactlyOnce(t, p, &out)
		})
	}
}

// TestThrottleBeyondTheCap: a server asking for a longer wait than
// Options.ThrottleMax allows is a connection failure of that host, with a
// line saying so; the run does not wait.
func TestThrottleBeyondTheCap(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp *imap.Error
		max  time.Duration
		line string
	}{
		{"suggested backoff over the default cap", imapmem.Office365Throttled(299609 * time.Millisecond * 3), 0,
			"Host2: server asks to back off for 898.8 s (Request is throttled), longer than the 10m0s allowed by --throttlemax; giving up"},
		{"not connected over a short cap", imapmem.Office365NotConnected(), time.Second,
			"Host2: server asks to back off for 10.0 s (User is authenticated but not connected), longer than the 1s allowed by --throttlemax; giving up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 20, 1000)
			p.s2.Faults().RefuseCommandThenDrop("APPEND", -1, tc.resp)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.ThrottleMax = tc.max
			start := time.Now()
			res := run(t, opts)
			if el := time.Since(start); el > 8*time.Second {
				t.Fatalf("the run took %v: it waited", el)
			}
			if res.Errors.ExitCode() != exitcode.ConnFailureHost2 || res.Errors.MostFrequent() != report.ClassConnHost2 {
				t.Fatalf("exit %d, errors %v\n%s", res.Errors.ExitCode(), res.Errors.Records(), tail(out.String()))
			}
			if !strings.Contains(out.String(), tc.line) {
				t.Fatalf("no line %q\n%s", tc.line, tail(out.String()))
			}
		})
	}
}

// backoffRecorder is a Progress that records the backoff calls.
type backoffRecorder struct {
	noProgress
	mu    sync.Mutex
	calls []string
}

func (r *backoffRecorder) Backoff(host string, wait time.Duration, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("%s %v %s", host, wait, reason))
}

// TestBackoffProgress: a progress display that implements BackoffProgress
// is told when a wait begins (for its countdown) and when it ends.
func TestBackoffProgress(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 5, 500)
	p.s2.Faults().RefuseCommandThenDrop("APPEND", 1, imapmem.Office365Throttled(200*time.Millisecond))
	var out bytes.Buffer
	opts := p.options(t, &out)
	rec := &backoffRecorder{}
	opts.Progress = rec
	if res := run(t, opts); res.Errors.Count() != 0 {
		t.Fatalf("errors %v", res.Errors.Records())
	}
	want := []string{"Host2 200ms Request is throttled", "Host2 0s "}
	if !slices.Equal(rec.calls, want) {
		t.Fatalf("Backoff calls %q, want %q", rec.calls, want)
	}
}
