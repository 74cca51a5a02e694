package engine

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

func seedN(t *testing.T, u *imapmem.User, box string, n, size int) {
	t.Helper()
	for i := 0; i < n; i++ {
		body := strings.Repeat(fmt.Sprintf("line %d of message %d\r\n", i, i), size/30+1)
		raw := fmt.Sprintf("Message-ID: <m%d@%s>\r\nSubject: message %d\r\nDate: Mon, 1 Feb 2021 10:00:00 +0000\r\n\r\n%s", i, box, i, body)
		err := u.Seed(box, imapmem.Message{Raw: []byte(raw), Flags: []imap.Flag{imap.FlagSeen}, Date: time.Date(2021, 2, 1, 10, 0, i%60, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// assertExactlyOnce checks that every host1 message is on host2 once.
func assertExactlyOnce(t *testing.T, p *pair, out *bytes.Buffer) {
	t.Helper()
	want, got := snapshot(t, p.u1), snapshot(t, p.u2)
	for box, msgs := range want {
		if !sameOnceEach(msgs, got[box]) {
			t.Fatalf("folder %q: host1 has %d, host2 %d (want each exactly once)\n%v\n%v", box, len(msgs), len(got[box]), msgs[:3], got[box][:3])
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

func TestSurvivesCutsMidFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(p *pair)
		side int
	}{
		{"host1 cut during body FETCH", func(p *pair) { p.s1.Faults().DropResponseAfterBytes("UID FETCH", 20000) }, 1},
		{"host2 cut during APPENDs", func(p *pair) { p.s2.Faults().DropAfterCommands("APPEND", 25) }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 60, 3000)
			seedN(t, p.u1, "Archive", 40, 3000)
			tc.arm(p)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Parallel = 1
			res := run(t, opts)
			if res.Errors.Count() != 0 {
				t.Fatalf("errors: %v\n%s", res.Errors.Records(), tail(out.String()))
			}
			reconnects := res.ReconnectHost1
			if tc.side == 2 {
				reconnects = res.ReconnectHost2
			}
			if reconnects == 0 {
				t.Fatalf("no reconnection counted\n%s", tail(out.String()))
			}
			assertExactlyOnce(t, p, &out)
		})
	}
}

// TestAppendCutsAtManyPoints cuts host2 after 1 to 16 APPENDs: wherever
// the connection breaks while APPENDs are being written, every message
// ends up on host2 exactly once and each APPEND's outcome is counted once,
// even when the read loop completes an APPEND as lost while its writer
// also sees the error.
func TestAppendCutsAtManyPoints(t *testing.T) {
	for cut := 1; cut <= 16; cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 30, 3000)
			p.s2.Faults().DropAfterCommands("APPEND", cut)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Parallel = 1
			res := run(t, opts)
			if res.Errors.Count() != 0 {
				t.Fatalf("errors: %v\n%s", res.Errors.Records(), tail(out.String()))
			}
			assertExactlyOnce(t, p, &out)
		})
	}
}

// TestLargeMessageStaysUnderBudget copies a 20 MB message between two
// Dovecot instances (out of process, so the heap measured is the engine's)
// with a 4 MiB body budget, sampling the heap while it runs.
func TestLargeMessageStaysUnderBudget(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	big := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ!\r\n", 20<<20/68)
	raw := []byte("Message-ID: <big@x>\r\nSubject: big\r\n\r\n" + big)
	if err := d1.Seed("user1", "INBOX", []dovecot.Message{{Raw: raw, Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}); err != nil {
		t.Fatal(err)
	}
	cfg := func(side int, d *dovecot.Server) *conn.Config {
		return &conn.Config{Side: side, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1", Timeout: 30 * time.Second}
	}
	var out bytes.Buffer
	opts := Options{Host1: cfg(1, d1), Host2: cfg(2, d2), Selection: selAll(), SyncInternalDates: true, ResyncFlags: true,
		Parallel: 4, BodyBudget: 4 << 20, TmpDir: t.TempDir(), ErrorsMax: 50, Out: &out}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var hi uint64
		for {
			select {
			case <-stop:
				peak <- hi
				return
			case <-time.After(time.Millisecond):
				runtime.ReadMemStats(&m)
				hi = max(hi, m.HeapAlloc)
			}
		}
	}()
	res := run(t, opts)
	close(stop)
	hi := <-peak
	if res.Transferred != 1 || res.Errors.Count() != 0 {
		t.Fatalf("transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), out.String())
	}
	growth := int64(hi) - int64(base.HeapAlloc)
	limit := opts.BodyBudget + 16<<20
	t.Logf("heap growth during the copy: %.1f MiB (message %.1f MiB, budget %.1f MiB)", float64(growth)/(1<<20), float64(len(raw))/(1<<20), float64(opts.BodyBudget)/(1<<20))
	if growth > limit {
		t.Fatalf("heap grew by %d bytes, more than budget + 16 MiB = %d", growth, limit)
	}
	// Byte-exact on host2 (Dovecot serves what it stored).
	c := dovecotMessages(t, d2, "user1", "secret1", "INBOX")
	if len(c) != 1 || !bytes.Equal(c[0].BodySection[0].Bytes, raw) {
		t.Fatalf("the 20 MB message is not byte-identical on host2 (%d messages)", len(c))
	}
}

// dovecotMessages fetches every message of a Dovecot folder (bytes,
// flags, internal date).
func dovecotMessages(t *testing.T, d *dovecot.Server, user, pass, folder string) []*imapclient.FetchMessageBuffer {
	t.Helper()
	c, err := conn.Dial(context.Background(), &conn.Config{Side: 2, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// copyClock records when each copy completed and how many bytes.
type copyClock struct {
	mu    sync.Mutex
	times []time.Time
	bytes []int64
}

func (c *copyClock) Start(int, int64)               {}
func (c *copyClock) FolderStart(string, int, int64) {}
func (c *copyClock) FolderDone(string)              {}
func (c *copyClock) Copied(_ string, n int64) {
	c.mu.Lock()
	c.times = append(c.times, time.Now())
	c.bytes = append(c.bytes, n)
	c.mu.Unlock()
}

// TestRateLimitsHoldAcrossWorkers checks the global message and byte
// rates over parallel workers, measured between the first and the last
// copy, loosely (within 30 %).
func TestRateLimitsHoldAcrossWorkers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
		n      int
	}{
		{"messages", Limits{MessagesPerSecond: 40}, 60},
		{"bytes", Limits{BytesPerSecond: 100_000}, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", tc.n/2, 3000)
			seedN(t, p.u1, "Other", tc.n/2, 3000)
			var out bytes.Buffer
			opts := p.options(t, &out)
			clock := &copyClock{}
			opts.Parallel, opts.Limits, opts.Progress = 4, tc.limits, clock
			res := run(t, opts)
			if res.Transferred != int64(tc.n) {
				t.Fatalf("transferred %d", res.Transferred)
			}
			span := clock.times[len(clock.times)-1].Sub(clock.times[0]).Seconds()
			var got, want float64
			if tc.limits.MessagesPerSecond > 0 {
				got, want = float64(tc.n-1)/span, tc.limits.MessagesPerSecond
			} else {
				var total int64
				for _, b := range clock.bytes[1:] {
					total += b
				}
				got, want = float64(total)/span, tc.limits.BytesPerSecond
			}
			if ratio := got / want; ratio < 0.7 || ratio > 1.3 {
				t.Fatalf("rate %.1f for a limit of %.1f (ratio %.2f)", got, want, ratio)
			}
		})
	}
}

func TestExitWhenOver(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 50, 3000)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel, opts.Limits.ExitWhenOver = 1, 20_000
	res := run(t, opts)
	if got := res.Errors.ExitCode(); got != exitcode.TransferExceeded {
		t.Fatalf("exit code %d, errors %v", got, res.Errors.Records())
	}
	if res.Transferred >= 50 || res.BytesTransferred < 20_000 {
		t.Fatalf("transferred %d messages, %d bytes", res.Transferred, res.BytesTransferred)
	}
}

// TestAppenderConnectionRefused lets host2 take one connection per user:
// the Appender the worker opens to copy is refused. The run must not
// panic: the bound on host2 falls to the one connection, which the worker
// gives up for its Appender, and every message is copied once.
func TestAppenderConnectionRefused(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 3, 500)
	p.s2.Faults().LimitConnections(1, nil)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 1
	opts.ReconnectRetry2 = 1
	res := run(t, opts)
	if res.Transferred != 3 || res.Errors.Count() != 0 {
		t.Fatalf("transferred %d, exit %d, errors %v\n%s", res.Transferred, res.Errors.ExitCode(), res.Errors.Records(), out.String())
	}
	if !strings.Contains(out.String(), "Host2: the server refuses more than 1 connection; going on with 1") {
		t.Fatalf("no line about the connection limit:\n%s", out.String())
	}
	assertExactlyOnce(t, p, &out)
}
