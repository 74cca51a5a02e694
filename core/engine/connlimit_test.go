package engine

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// peakConns samples s's open connections until stop is called and
// returns the highest count seen.
func peakConns(s *imapmem.Server) (stop func() int) {
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if n := int64(s.ActiveConnections()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() int {
		close(done)
		wg.Wait()
		return int(peak.Load())
	}
}

// TestConnectionLimits lets host2 take 3 connections while the run, with
// Parallel 4, would open up to 9: the refusal of the fourth, as Gmail, a
// greeting BYE or Dovecot word it, lowers the bound to 3 with one line
// saying so, and the run goes on with the connections it has. No panic,
// no error, every message exactly once.
func TestConnectionLimits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		greeting bool // refused before login: refused connections are never open
		arm      func(f *imapmem.Faults)
	}{
		{"Gmail at LOGIN", false, func(f *imapmem.Faults) { f.LimitConnections(3, imapmem.GmailTooManyConnections()) }},
		{"BYE greeting", true, func(f *imapmem.Faults) { f.LimitGreetings(3, imapmem.TooManyConnectionsBye) }},
		{"Dovecot wording", false, func(f *imapmem.Faults) {
			f.LimitConnections(3, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
				Text: "Maximum number of connections from user+IP exceeded (mail_max_userip_connections=3)"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			for i := 0; i < 9; i++ {
				seedN(t, p.u1, fmt.Sprintf("F%d", i), 30, 2000)
			}
			seedN(t, p.u1, "INBOX", 30, 2000)
			tc.arm(p.s2.Faults())
			// Slow commands keep every worker busy at once.
			p.s2.Faults().Delay("APPEND", 10*time.Millisecond)
			p.s2.Faults().Delay("SELECT", 100*time.Millisecond)
			p.s2.Faults().Delay("EXAMINE", 100*time.Millisecond)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Parallel = 4
			stop := peakConns(p.s2)
			res := run(t, opts)
			peak := stop()
			if res.Errors.Count() != 0 || res.Errors.ExitCode() != exitcode.OK {
				t.Fatalf("exit %d, errors %v\n%s", res.Errors.ExitCode(), res.Errors.Records(), tail(out.String()))
			}
			// A server counts a closed connection until it notices the
			// close: the first bound may be one more than its limit.
			if want := regexp.MustCompile(`Host2: the server refuses more than [34] connections; going on with [34]\n`); !want.MatchString(out.String()) {
				t.Fatalf("no line %q (%d LOGIN on host2, peak %d)\n%s", want, p.s2.Faults().Count("LOGIN"), peak, hostLines(out.String(), "Host2"))
			}
			if tc.greeting && peak > 3 {
				t.Errorf("%d connections open at once", peak)
			}
			assertExactlyOnce(t, p, &out)
		})
	}
}

// TestMaxConns2 bounds host2's connections with Options.MaxConns2: host2
// takes only 2 connections at once (a third is greeted with BYE), and
// the run never meets that refusal; the copy is complete.
func TestMaxConns2(t *testing.T) {
	p := newPair(t)
	for i := 0; i < 6; i++ {
		seedN(t, p.u1, fmt.Sprintf("F%d", i), 30, 2000)
	}
	p.s2.Faults().LimitGreetings(2, imapmem.TooManyConnectionsBye)
	p.s2.Faults().Delay("APPEND", 10*time.Millisecond)
	p.s2.Faults().Delay("SELECT", 50*time.Millisecond)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 4
	opts.MaxConns2 = 2
	res := run(t, opts)
	if res.Errors.Count() != 0 {
		t.Fatalf("errors %v\n%s", res.Errors.Records(), tail(out.String()))
	}
	if strings.Contains(out.String(), "going on with") {
		t.Fatalf("host2 refused a connection: more than 2 were open\n%s", hostLines(out.String(), "Host2"))
	}
	assertExactlyOnce(t, p, &out)

	// Without the bound, the same run meets the refusal.
	p2 := newPair(t)
	seedN(t, p2.u1, "INBOX", 5, 500)
	p2.s2.Faults().LimitGreetings(1, imapmem.TooManyConnectionsBye)
	p2.s2.Faults().Delay("APPEND", 10*time.Millisecond)
	out.Reset()
	opts = p2.options(t, &out)
	opts.Parallel = 1
	if res := run(t, opts); res.Errors.Count() != 0 || !strings.Contains(out.String(), "going on with") {
		t.Fatalf("errors %v\n%s", res.Errors.Records(), tail(out.String()))
	}
}

// TestHostRefusesEveryConnection: a host2 that refuses even the first
// connection for having too many is a connection failure of host2.
func TestHostRefusesEveryConnection(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 3, 500)
	p.s2.Faults().RefuseGreetings(100, imapmem.TooManyConnectionsBye)
	var out bytes.Buffer
	_, err := NewPlan(t.Context(), p.options(t, &out))
	if code, _ := exitcode.Find(err); code != exitcode.ConnFailureHost2 {
		t.Fatalf("err %v (exit %d), want a connection failure of host2", err, code)
	}
}

// TestDovecotConnectionLimit runs against Dovecot with
// mail_max_userip_connections = 3 for imap and Parallel 4: host2 refuses
// the fourth login, the run goes on with 3 connections, and host2 ends
// with every message once. (320 messages: a plan of at most
// smallPlanMsgs is copied by main alone, with 2 connections to host2.)
func TestDovecotConnectionLimit(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{ExtraConfig: "protocol imap {\n  mail_max_userip_connections = 3\n}\n"})
	var folders []dovecot.Folder
	for f := 0; f < 8; f++ {
		var msgs []dovecot.Message
		for i := 0; i < 40; i++ {
			msgs = append(msgs, dovecot.Message{Raw: []byte(fmt.Sprintf("Message-ID: <f%dm%d@x>\r\nSubject: %d\r\n\r\n%s\r\n", f, i, i, strings.Repeat("body ", 200))),
				Flags: []string{`\Seen`}, Date: time.Date(2019, 1, 1, 0, i%60, 0, 0, time.UTC)})
		}
		name := "INBOX"
		if f > 0 {
			name = fmt.Sprintf("F%d", f)
		}
		folders = append(folders, dovecot.Folder{Name: name, Msgs: msgs})
	}
	if err := d1.SeedMany("user1", folders); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := dovecotOptions(t, d1, d2, "user2", "secret2", &out)
	opts.Parallel = 4
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 320 {
		t.Fatalf("transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), tail(out.String()))
	}
	if want := regexp.MustCompile(`Host2: the server refuses more than [34] connections; going on with [34]\n`); !want.MatchString(out.String()) {
		t.Fatalf("no line %q\n%s", want, hostLines(out.String(), "Host2"))
	}
	for _, f := range folders {
		if got, want := dovecotContents(t, d2, "user2", "secret2", f.Name), dovecotContents(t, d1, "user1", "secret1", f.Name); got != want {
			t.Fatalf("host2 %s differs from host1", f.Name)
		}
	}
}

// hostLines returns the lines of out about host (but its folder lines),
// for a failure message.
func hostLines(out, host string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, host+": ") || strings.Contains(l, " "+host+" ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// TestMaxConnsBothSides bounds both hosts to one connection with
// Parallel 3: the workers take turns, and the copy completes.
func TestMaxConnsBothSides(t *testing.T) {
	p := newPair(t)
	for i := 0; i < 5; i++ {
		seedN(t, p.u1, fmt.Sprintf("F%d", i), 20, 2000)
	}
	p.s1.Faults().LimitGreetings(1, imapmem.TooManyConnectionsBye)
	p.s2.Faults().LimitGreetings(1, imapmem.TooManyConnectionsBye)
	p.s2.Faults().Delay("APPEND", 5*time.Millisecond)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 3
	opts.MaxConns1, opts.MaxConns2 = 1, 1
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, opts)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("Run: %v (%v)\n%s", err, ctx.Err(), tail(out.String()))
	}
	if res.Errors.Count() != 0 || strings.Contains(out.String(), "going on with") {
		t.Fatalf("errors %v\n%s", res.Errors.Records(), tail(out.String()))
	}
	assertExactlyOnce(t, p, &out)
}
