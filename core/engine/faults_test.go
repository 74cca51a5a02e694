package engine

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testserver"
)

func seedN(t *testing.T, u *testserver.User, box string, n, size int) {
	t.Helper()
	for i := 0; i < n; i++ {
		body := strings.Repeat(fmt.Sprintf("line %d of message %d\r\n", i, i), size/30+1)
		raw := fmt.Sprintf("Message-ID: <m%d@%s>\r\nSubject: message %d\r\nDate: Mon, 1 Feb 2021 10:00:00 +0000\r\n\r\n%s", i, box, i, body)
		err := u.Seed(box, testserver.Message{Raw: []byte(raw), Flags: []imap.Flag{imap.FlagSeen}, Date: time.Date(2021, 2, 1, 10, 0, i%60, 0, time.UTC)})
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
				t.Fatalf("errors: %v\n%s", res.Errors.Messages(), tail(out.String()))
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

func TestLargeMessageStaysUnderBudget(t *testing.T) {
	p := newPair(t)
	big := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ!\r\n", 20<<20/68)
	raw := []byte("Message-ID: <big@x>\r\nSubject: big\r\n\r\n" + big)
	if err := p.u1.Seed("INBOX", testserver.Message{Raw: raw, Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	// The in-process servers hold the message in this process too: measure
	// the heap growth caused by the copy, sampling while it runs.
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
			case <-time.After(2 * time.Millisecond):
				runtime.ReadMemStats(&m)
				hi = max(hi, m.HeapAlloc)
			}
		}
	}()
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.BodyBudget = 4 << 20
	res := run(t, opts)
	close(stop)
	hi := <-peak
	if res.Transferred != 1 {
		t.Fatalf("transferred %d\n%s", res.Transferred, out.String())
	}
	msgs, _ := p.u2.Messages("INBOX")
	if len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, raw) {
		t.Fatal("the 20 MB message is not byte-identical on host2")
	}
	// The servers store the 20 MB message (and the receiving one builds its
	// copy); the engine itself may add the budget plus a small constant.
	growth := int64(hi) - int64(base.HeapAlloc)
	limit := int64(len(raw))*3 + opts.BodyBudget + 8<<20
	t.Logf("heap growth during the copy: %.1f MiB (message %.1f MiB, budget %.1f MiB)", float64(growth)/(1<<20), float64(len(raw))/(1<<20), float64(opts.BodyBudget)/(1<<20))
	if growth > limit {
		t.Fatalf("heap grew by %d bytes, more than %d", growth, limit)
	}
}
