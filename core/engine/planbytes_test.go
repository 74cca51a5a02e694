package engine

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// planBytesLimit bounds the memory a plan holds per message after the
// analysis: what a folder of a million messages costs before its copy.
const planBytesLimit = 200

// TestPlanBytesPerMessage measures the heap a Plan holds per message, for
// a first sync (every message to copy into a folder to create) and for a
// rerun (every message already on host2). The servers are Dovecot, out of
// process, so the heap is the engine's alone. Fixed costs (connections,
// buffers) cancel out: the figure is the growth between a folder of n and
// one of 2n messages, divided by n.
func TestPlanBytesPerMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 18,000 messages")
	}
	const n = 3000
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	// user1 holds n messages and user3 2n; on host2, user2 and user4 hold
	// the same (the rerun) and user1/user3 nothing (the first sync).
	for _, a := range []struct {
		user string
		n    int
	}{{"user1", n}, {"user3", 2 * n}} {
		msgs := planCorpus(a.n)
		if err := d1.Seed(a.user, "INBOX", msgs); err != nil {
			t.Fatal(err)
		}
		if err := d2.Seed(map[string]string{"user1": "user2", "user3": "user4"}[a.user], "INBOX", msgs); err != nil {
			t.Fatal(err)
		}
	}
	held := func(user1, user2 string) int64 {
		cfg := func(side int, d *dovecot.Server, user string) *conn.Config {
			return &conn.Config{Side: side, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: user, Password: dovecot.Users[user], Timeout: 30 * time.Second}
		}
		opts := Options{Host1: cfg(1, d1, user1), Host2: cfg(2, d2, user2), Selection: selAll(),
			SyncInternalDates: true, ResyncFlags: true, Parallel: 1, BodyBudget: 1 << 20, TmpDir: t.TempDir(), ErrorsMax: 50}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := NewPlan(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if total, _ := p.e.plan.totals(); total == 0 && user2 == "user1" {
			t.Fatalf("the plan copies nothing from %s", user1)
		}
		p.Close()
		return int64(after.HeapAlloc) - int64(before.HeapAlloc)
	}
	for _, c := range []struct {
		name                       string
		small1, small2, big1, big2 string
	}{
		{"first sync", "user1", "user1", "user3", "user3"},
		{"rerun", "user1", "user2", "user3", "user4"},
	} {
		small := held(c.small1, c.small2)
		big := held(c.big1, c.big2)
		per := float64(big-small) / n
		t.Logf("%s: plan holds %.0f bytes per message (%d bytes for %d messages, %d for %d)", c.name, per, small, n, big, 2*n)
		if per > planBytesLimit {
			t.Errorf("%s: %.0f bytes per message, over %d", c.name, per, planBytesLimit)
		}
	}
}

// planCorpus is n small messages with the bench's headers (Message-ID,
// Received) and flags.
func planCorpus(n int) []dovecot.Message {
	msgs := make([]dovecot.Message, n)
	date := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	for i := range msgs {
		d := date.Add(time.Duration(i) * time.Minute)
		msgs[i] = dovecot.Message{
			Raw: []byte(fmt.Sprintf("Received: from mx%d.example.org by mail.example.org; %s\r\nMessage-ID: <plan-%d@example.org>\r\nDate: %s\r\nSubject: message %d\r\n\r\nbody %d\r\n",
				i%7, d.Format(time.RFC1123Z), i, d.Format(time.RFC1123Z), i, i)),
			Flags: [][]string{nil, {`\Seen`}, {`\Seen`, `\Answered`}, {"$Label1"}}[i%4],
			Date:  d,
		}
	}
	return msgs
}
