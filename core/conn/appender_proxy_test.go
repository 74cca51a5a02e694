package conn

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/faultproxy"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestAppenderThroughFaultyLink sends a pipelined batch through a proxy
// that cuts, resets or stalls the link toward the server in the middle of
// a literal. A stall shorter than the timeout changes nothing; after a cut
// or a reset every APPEND ends exactly once, those reported stored are on
// the server exactly once and whole, and no partial message is stored.
func TestAppenderThroughFaultyLink(t *testing.T) {
	const n, size = 12, 20000
	for _, tc := range []struct {
		name     string
		fault    faultproxy.Fault
		wantAll  bool
		minDelay time.Duration
	}{
		{"stall in a literal", faultproxy.Fault{Kind: faultproxy.Stall, After: 3*size + size/2, Stall: 700 * time.Millisecond}, true, 600 * time.Millisecond},
		{"cut in a literal", faultproxy.Fault{Kind: faultproxy.Cut, After: 5*size + size/3}, false, 0},
		{"reset in a literal", faultproxy.Fault{Kind: faultproxy.Reset, After: 7*size + 17}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{})
			u := srv.AddUser("bob", "pw-bob")
			p, err := faultproxy.Start(srv.Addr(), faultproxy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetDefault(faultproxy.Faults{ToTarget: []faultproxy.Fault{tc.fault}})
			cfg := memConfig(srv, "bob", "pw-bob", nil)
			cfg.Host, cfg.Port = p.Host(), p.Port()
			cfg.Timeout = 5 * time.Second
			a := dialAppender(t, cfg)
			o := newOutcomes(n)
			start := time.Now()
			for i := range o {
				raw := testMessage(i, size)
				o[i].callErr = a.Append("INBOX", []string{`\Seen`}, time.Time{}, int64(len(raw)), bytes.NewReader(raw), o.one(i))
			}
			a.Close()
			if d := time.Since(start); d < tc.minDelay {
				t.Errorf("done in %v, want at least %v", d, tc.minDelay)
			}
			o.checkOnce(t)
			msgs, _ := u.Messages("INBOX")
			byUID := map[uint32][]byte{}
			for _, m := range msgs {
				byUID[uint32(m.UID)] = m.Raw
			}
			stored := 0
			for i, x := range o {
				if x.callErr != nil {
					continue
				}
				r := x.results[0]
				switch {
				case r.Err == nil:
					stored++
					if !bytes.Equal(byUID[r.UID], testMessage(i, size)) {
						t.Errorf("message %d reported as UID %d, which holds something else", i, r.UID)
					}
				case !errors.Is(r.Err, ErrOutcomeUnknown):
					t.Errorf("message %d: %v", i, r.Err)
				}
			}
			for j, m := range msgs {
				if !bytes.Equal(m.Raw, testMessage(j, size)) {
					t.Errorf("stored message %d is partial or out of order (%d bytes)", j, len(m.Raw))
				}
			}
			if tc.wantAll && (stored != n || len(msgs) != n) {
				t.Errorf("%d reported stored, %d on the server, want %d", stored, len(msgs), n)
			}
			if !tc.wantAll && (len(msgs) >= n || stored > len(msgs)) {
				t.Errorf("%d reported stored, %d on the server after a break at byte %s", stored, len(msgs), strconv.FormatInt(tc.fault.After, 10))
			}
		})
	}
}

// TestAppenderThrottled meets Exchange Online's throttling, which
// refuses an APPEND and drops the connection. Alone or at the head of a
// pipelined batch, the APPEND gets the server's answer word for word,
// as a *ThrottleError from which IsThrottle reads the backoff: a failed
// write shuts only the write side, and the answer already on its way is
// still read. Every APPEND ends exactly once and nothing is stored.
func TestAppenderThrottled(t *testing.T) {
	const text = "Request is throttled. Suggested Backoff Time: 299609 milliseconds"
	for _, n := range []int{1, 6, 40} {
		srv := imapmem.StartT(t, imapmem.Options{})
		u := srv.AddUser("bob", "pw-bob")
		srv.Faults().RefuseCommandThenDrop("APPEND", 1, imapmem.Office365Throttled(299609*time.Millisecond))
		a := dialAppender(t, memConfig(srv, "bob", "pw-bob", nil))
		o := newOutcomes(n)
		for i := range o {
			raw := testMessage(i, 20000)
			o[i].callErr = a.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), o.one(i))
		}
		a.Close()
		o.checkOnce(t)
		var se *StatusError
		r := o[0].results[0]
		if !errors.As(r.Err, &se) || se.Status != "NO" || se.Code != "" || se.Text != text {
			t.Errorf("%d APPENDs: the throttled one ended with %v", n, r.Err)
		}
		if d, ok := IsThrottle(r.Err); !ok || d != 299609*time.Millisecond {
			t.Errorf("%d APPENDs: IsThrottle = %v, %v", n, d, ok)
		}
		if _, ok := IsThrottle(a.Err()); !ok {
			t.Errorf("%d APPENDs: Err() = %v, want the throttling answer", n, a.Err())
		}
		for i := 1; i < n; i++ {
			if o[i].callErr == nil && !errors.Is(o[i].results[0].Err, ErrOutcomeUnknown) {
				t.Errorf("message %d: %+v", i, o[i].results[0])
			}
		}
		if msgs, _ := u.Messages("INBOX"); len(msgs) != 0 {
			t.Errorf("%d APPENDs: %d messages stored", n, len(msgs))
		}
	}
}

// TestAppenderKeepsAnswersAfterFailedWrite pipelines large APPENDs to a
// server that answers the first ones and then cuts the connection while
// later ones are still being written: the write fails, yet every message
// the server stored is reported stored with its UID, because the answers
// already sent are still read after the failed write.
func TestAppenderKeepsAnswersAfterFailedWrite(t *testing.T) {
	for _, k := range []int{2, 4, 6} {
		srv := imapmem.StartT(t, imapmem.Options{})
		u := srv.AddUser("bob", "pw-bob")
		srv.Faults().DropAfterCommands("APPEND", k)
		a := dialAppender(t, memConfig(srv, "bob", "pw-bob", nil))
		o := newOutcomes(30)
		for i := range o {
			raw := testMessage(i, 200_000)
			o[i].callErr = a.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), o.one(i))
		}
		a.Close()
		o.checkOnce(t)
		msgs, _ := u.Messages("INBOX")
		if len(msgs) != k-1 {
			t.Fatalf("cut at APPEND %d: %d stored", k, len(msgs))
		}
		for i := range msgs {
			if o[i].callErr != nil || o[i].results[0].Err != nil || o[i].results[0].UID != uint32(msgs[i].UID) {
				t.Errorf("cut at APPEND %d: message %d is stored as UID %d but reported %+v (call error %v)", k, i, msgs[i].UID, o[i].results, o[i].callErr)
			}
		}
	}
}
