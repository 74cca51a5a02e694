package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// outcome records how one message of an Appender test ended: the results
// delivered to done, and the error AppendMany returned for it.
type outcome struct {
	mu      sync.Mutex
	results []AppendResult // every result done delivered
	callErr error
}

// outcomes collects the outcomes of n messages.
type outcomes []*outcome

func newOutcomes(n int) outcomes {
	o := make(outcomes, n)
	for i := range o {
		o[i] = &outcome{}
	}
	return o
}

// doneFor returns the done callback of the messages first..first+len-1.
func (o outcomes) doneFor(first, n int) func([]AppendResult) {
	return func(rs []AppendResult) {
		if len(rs) != n {
			panic(fmt.Sprintf("done got %d results for %d messages", len(rs), n))
		}
		for i, r := range rs {
			o[first+i].mu.Lock()
			o[first+i].results = append(o[first+i].results, r)
			o[first+i].mu.Unlock()
		}
	}
}

// one returns the done callback of Append for message i.
func (o outcomes) one(i int) func(AppendResult) {
	f := o.doneFor(i, 1)
	return func(r AppendResult) { f([]AppendResult{r}) }
}

// checkOnce fails unless every message ended exactly once: one result
// from done, or an error from AppendMany, never both, never neither.
func (o outcomes) checkOnce(t *testing.T) {
	t.Helper()
	for i, x := range o {
		x.mu.Lock()
		n, callErr := len(x.results), x.callErr
		x.mu.Unlock()
		if (callErr != nil && n != 0) || (callErr == nil && n != 1) {
			t.Errorf("message %d: %d results and AppendMany error %v", i, n, callErr)
		}
	}
}

func testMessage(i, size int) []byte {
	head := fmt.Sprintf("Message-ID: <m%d@test>\r\nSubject: message %d\r\n\r\n", i, i)
	body := strings.Repeat(fmt.Sprintf("line of message %d\r\n", i), max(1, (size-len(head))/20))
	return []byte(head + body)
}

func dialAppender(t *testing.T, cfg *Config) *Appender {
	t.Helper()
	a, err := DialAppender(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestAppenderBatch pipelines messages of several sizes, with flags and
// dates, with and without LITERAL+ (synchronizing literals above 4 KiB
// then): each lands once, byte for byte, with its flags and internal
// date, and done reports its APPENDUID.
func TestAppenderBatch(t *testing.T) {
	minimal := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{{"LITERAL+", nil}, {"LITERAL- only", minimal}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{Caps: tc.caps})
			u := srv.AddUser("bob", "pw-bob-secret")
			u.CreateMailbox("Archive/2020")
			var tr syncBuffer
			a := dialAppender(t, memConfig(srv, "bob", "pw-bob-secret", &tr))
			if a.Multi() {
				t.Error("Multi without MULTIAPPEND")
			}
			sizes := []int{100, 3000, 5000, 70000, 200, 9000, 1 << 20, 50}
			o := newOutcomes(len(sizes))
			date := time.Date(2020, 7, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))
			for i, size := range sizes {
				raw := testMessage(i, size)
				flags := []string{`\Seen`}
				if i%2 == 1 {
					flags = []string{`\Flagged`, "$Work"}
				}
				o[i].callErr = a.Append("Archive/2020", flags, date.Add(time.Duration(i)*time.Hour), int64(len(raw)), bytes.NewReader(raw), o.one(i))
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			o.checkOnce(t)
			msgs, err := u.Messages("Archive/2020")
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != len(sizes) {
				t.Fatalf("%d messages on the server, want %d", len(msgs), len(sizes))
			}
			for i, m := range msgs {
				r := o[i].results[0]
				if r.Err != nil || r.UID != uint32(m.UID) || r.UIDValidity == 0 {
					t.Errorf("message %d: result %+v, stored UID %d", i, r, m.UID)
				}
				if !bytes.Equal(m.Raw, testMessage(i, sizes[i])) {
					t.Errorf("message %d: bytes differ", i)
				}
				if !m.InternalDate.Equal(date.Add(time.Duration(i) * time.Hour)) {
					t.Errorf("message %d: date %v", i, m.InternalDate)
				}
				if want := i%2 == 0; m.HasFlag(imap.FlagSeen) != want || m.HasFlag(imap.FlagFlagged) == want || m.HasFlag("$Work") == want {
					t.Errorf("message %d: flags %v", i, m.Flags)
				}
			}
			mustNotContain(t, tr.String(), "pw-bob-secret")
			// Without LITERAL+, literals above 4 KiB wait for the go-ahead.
			big := fmt.Sprintf("{%d+}", len(testMessage(3, sizes[3])))
			if tc.caps != nil {
				big = strings.TrimSuffix(big, "+}") + "}"
			}
			if !strings.Contains(tr.String(), "Host2 C: A1 APPEND \"Archive/2020\" (\\Seen) \"01-Jul-2020 12:00:00 +0200\" {83+} <83 bytes>") ||
				!strings.Contains(tr.String(), big+" <") {
				t.Errorf("trace lacks the APPEND lines (%s):\n%s", big, tr.String())
			}
		})
	}
}

// TestAppenderRefusedMidBatch: a message the server refuses in the middle
// of a pipelined batch gets the server's answer as a *StatusError; the
// messages before and after it land.
func TestAppenderRefusedMidBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(f *imapmem.Faults)
		want string
	}{
		{"poison message", func(f *imapmem.Faults) {
			f.PoisonMessage(imapmem.MessageContains("message 4"), imapmem.Office365ServerUnavailable())
		}, "NO Server Unavailable. 15"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{})
			u := srv.AddUser("bob", "pw-bob")
			tc.arm(srv.Faults())
			a := dialAppender(t, memConfig(srv, "bob", "pw-bob", nil))
			o := newOutcomes(10)
			for i := range o {
				raw := testMessage(i, 6000)
				o[i].callErr = a.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), o.one(i))
			}
			a.Close()
			o.checkOnce(t)
			var se *StatusError
			if r := o[4].results[0]; !errors.As(r.Err, &se) || se.Status != "NO" || se.Error() != tc.want {
				t.Errorf("refused message: %+v", r)
			}
			msgs, _ := u.Messages("INBOX")
			if len(msgs) != 9 {
				t.Fatalf("%d messages stored, want 9", len(msgs))
			}
			for i, j := 0, 0; i < 10; i++ {
				if i == 4 {
					continue
				}
				if !bytes.Equal(msgs[j].Raw, testMessage(i, 6000)) || o[i].results[0].UID != uint32(msgs[j].UID) {
					t.Errorf("message %d: stored as #%d with a different body or UID", i, j)
				}
				j++
			}
		})
	}
}

// TestAppenderCutMidBatch cuts the connection when the fifth of ten
// pipelined APPENDs arrives: every message ends exactly once (a result, or
// an error from AppendMany), the ones reported stored are on the server,
// the others report ErrOutcomeUnknown, nothing is stored twice, and Err
// tells the connection is broken.
func TestAppenderCutMidBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(f *imapmem.Faults)
	}{
		{"at a command", func(f *imapmem.Faults) { f.DropAfterCommands("APPEND", 5) }},
		{"in an answer", func(f *imapmem.Faults) { f.DropResponseAfterBytes("APPEND", 10) }},
		{"poison that cuts", func(f *imapmem.Faults) { f.PoisonMessage(imapmem.MessageContains("message 3"), nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{})
			u := srv.AddUser("bob", "pw-bob")
			tc.arm(srv.Faults())
			a := dialAppender(t, memConfig(srv, "bob", "pw-bob", nil))
			o := newOutcomes(10)
			for i := range o {
				raw := testMessage(i, 2000)
				o[i].callErr = a.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), o.one(i))
			}
			a.Close()
			o.checkOnce(t)
			if a.Err() == nil {
				t.Error("Err is nil after the cut")
			}
			msgs, _ := u.Messages("INBOX")
			stored := map[uint32]int{}
			for _, m := range msgs {
				stored[uint32(m.UID)]++
			}
			okCount, unknown := 0, 0
			for i, x := range o {
				if x.callErr != nil {
					continue
				}
				r := x.results[0]
				switch {
				case r.Err == nil:
					okCount++
					if stored[r.UID] != 1 {
						t.Errorf("message %d reported stored as UID %d, not on the server", i, r.UID)
					}
				case errors.Is(r.Err, ErrOutcomeUnknown):
					unknown++
				default:
					t.Errorf("message %d: unexpected error %v", i, r.Err)
				}
			}
			if len(msgs) > 5 || okCount > len(msgs) || unknown == 0 {
				t.Errorf("%d stored, %d reported stored, %d unknown", len(msgs), okCount, unknown)
			}
			for i, m := range msgs {
				if !bytes.Equal(m.Raw, testMessage(i, 2000)) {
					t.Errorf("stored message %d is not message %d", i, i)
				}
			}
		})
	}
}

// TestAppenderTimeout: an APPEND left unanswered longer than the
// inactivity timeout completes with ErrOutcomeUnknown.
func TestAppenderTimeout(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("bob", "pw-bob")
	cfg := memConfig(srv, "bob", "pw-bob", nil)
	cfg.Timeout = 300 * time.Millisecond
	a := dialAppender(t, cfg)
	time.Sleep(2 * cfg.Timeout) // idle with nothing pending: no timeout
	srv.Faults().Delay("APPEND", 5*time.Second)
	got := make(chan AppendResult, 1)
	start := time.Now()
	raw := testMessage(1, 100)
	if err := a.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), func(r AppendResult) { got <- r }); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if !errors.Is(r.Err, ErrOutcomeUnknown) {
			t.Errorf("result %+v", r)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("timed out after %v", d)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("no result within 4 s")
	}
}

func multiCaps() imap.CapSet {
	c := imapmem.DefaultCaps()
	c[imap.CapMultiAppend] = struct{}{}
	return c
}

// TestAppenderMulti sends MULTIAPPEND batches: one APPEND command per
// batch, one result per message in order; a refused batch gives every
// message the server's answer and stores nothing; a BYE between the
// messages of a batch leaves every message of the batch unknown and
// nothing stored.
func TestAppenderMulti(t *testing.T) {
	for _, tc := range []struct {
		name       string
		arm        func(f *imapmem.Faults)
		wantStored int
		wantErr    string // "" ok, "unknown", else the StatusError text
	}{
		{"ordinary", func(*imapmem.Faults) {}, 6, ""},
		{"refused", func(f *imapmem.Faults) {
			f.PoisonMessage(imapmem.MessageContains("message 2"), imapmem.Office365CommandArgumentError())
		}, 0, "BAD Command Argument Error. 11"},
		{"BYE in the middle", func(f *imapmem.Faults) { f.ByeInMultiAppend(2, "Server shutting down") }, 0, "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{Caps: multiCaps()})
			u := srv.AddUser("bob", "pw-bob")
			tc.arm(srv.Faults())
			var tr syncBuffer
			a := dialAppender(t, memConfig(srv, "bob", "pw-bob", &tr))
			if !a.Multi() {
				t.Fatal("Multi is false with MULTIAPPEND advertised")
			}
			var msgs []Message
			for i, size := range []int{100, 5000, 300, 70000, 10, 2000} {
				raw := testMessage(i, size)
				msgs = append(msgs, Message{Flags: []string{`\Answered`}, Date: time.Date(2018, 1, 1+i, 0, 0, 0, 0, time.UTC), Size: int64(len(raw)), Body: bytes.NewReader(raw)})
			}
			o := newOutcomes(len(msgs))
			err := a.AppendMany("INBOX", msgs, o.doneFor(0, len(msgs)))
			for _, x := range o {
				x.callErr = err
			}
			a.Close()
			o.checkOnce(t)
			stored, _ := u.Messages("INBOX")
			if len(stored) != tc.wantStored {
				t.Fatalf("%d stored, want %d", len(stored), tc.wantStored)
			}
			if n := strings.Count(tr.String(), "C: A"); n != 1 {
				t.Errorf("%d APPEND commands in the trace", n)
			}
			for i, x := range o {
				if err != nil {
					break
				}
				r := x.results[0]
				switch tc.wantErr {
				case "":
					if r.Err != nil || r.UID != uint32(stored[i].UID) || !bytes.Equal(stored[i].Raw, testMessage(i, []int{100, 5000, 300, 70000, 10, 2000}[i])) ||
						!stored[i].HasFlag(imap.FlagAnswered) || !stored[i].InternalDate.Equal(time.Date(2018, 1, 1+i, 0, 0, 0, 0, time.UTC)) {
						t.Errorf("message %d: %+v", i, r)
					}
				case "unknown":
					if !errors.Is(r.Err, ErrOutcomeUnknown) {
						t.Errorf("message %d: %v", i, r.Err)
					}
				default:
					if r.Err == nil || r.Err.Error() != tc.wantErr {
						t.Errorf("message %d: %v", i, r.Err)
					}
				}
			}
		})
	}
}

// TestAppenderCloseWaits: Close returns only once every pending APPEND
// has completed.
func TestAppenderCloseWaits(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser("bob", "pw-bob")
	srv.Faults().Delay("APPEND", 20*time.Millisecond)
	a := dialAppender(t, memConfig(srv, "bob", "pw-bob", nil))
	o := newOutcomes(20)
	for i := range o {
		raw := testMessage(i, 500)
		o[i].callErr = a.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), o.one(i))
	}
	a.Close()
	o.checkOnce(t)
	if msgs, _ := u.Messages("INBOX"); len(msgs) != 20 {
		t.Errorf("%d stored", len(msgs))
	}
}
