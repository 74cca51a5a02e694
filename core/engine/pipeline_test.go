package engine

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// armOnFolder is a message skipper that skips nothing: the first time it
// sees a message of folder, it runs arm (once).
type armOnFolder struct {
	folder string
	once   sync.Once
	arm    func()
}

// HeaderOnly makes it a plan-time hook, run as the analysis decides.
func (a *armOnFolder) HeaderOnly() bool { return true }

func (a *armOnFolder) Skip(m *hooks.Message) (string, error) {
	if m.Folder == a.folder {
		a.once.Do(a.arm)
	}
	return "", nil
}

// TestPipelinedAnalysis: with the state, the analysis sends each folder's
// metadata FETCH right behind its SELECT. A connection cut in the middle
// of that FETCH, on either side, is retried; a refused SELECT fails its
// folder only, even when the connection still has the previous folder
// selected (the FETCH behind the refused SELECT then answers with that
// folder's messages, which must be dropped). Every host1 message ends on
// host2 exactly once, with its bytes, flags and date, and a rerun copies
// what the failed folder held.
func TestPipelinedAnalysis(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(p *pair, opts *Options)
		fail string // the folder that fails ("": none)
	}{
		{"host1 cut during the header FETCH", func(p *pair, _ *Options) { p.s1.Faults().DropResponseAfterBytes("FETCH", 1500) }, ""},
		{"host2 cut during the header FETCH", func(p *pair, _ *Options) { p.s2.Faults().DropResponseAfterBytes("FETCH", 1500) }, ""},
		{"host1 SELECT refused, the previous folder still selected", func(p *pair, opts *Options) {
			// With one worker, B is analysed right after A on the same
			// connection; the EXAMINE of B is refused while A's messages
			// are being decided.
			opts.Parallel = 1
			opts.Hooks = &hooks.Chain{Skips: []hooks.Named[hooks.MessageSkipper]{{Name: "arm", Hook: &armOnFolder{folder: "A", arm: func() {
				p.s1.Faults().RefuseCommand("EXAMINE", 1, nil)
			}}}}}
		}, "B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "A", 30, 400)
			seedN(t, p.u1, "B", 25, 400)
			seedN(t, p.u1, "INBOX", 40, 400)
			// Host2's INBOX has a part of host1's: its analysis reads it.
			h1, _ := p.u1.Messages("INBOX")
			for _, m := range h1[:15] {
				if err := p.u2.Seed("INBOX", imapmem.Message{Raw: m.Raw, Flags: m.Flags, Date: m.InternalDate}); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.State = openState(t, t.TempDir())
			var trace lockedWriter
			opts.Host1.Trace = &trace
			tc.arm(p, &opts)
			res := run(t, opts)
			wantCopied := int64(30 + 25 + 25)
			if tc.fail != "" {
				wantCopied -= 25
				if res.Errors.Count() != 1 || !strings.Contains(out.String(), "Host1: folder "+tc.fail+": Could not select") {
					t.Fatalf("errors %v, want one: %s could not be selected\n%s\n%s", res.Errors.Records(), tc.fail, tail(out.String()), tail(trace.String()))
				}
			} else if res.Errors.Count() != 0 {
				t.Fatalf("errors: %v\n%s", res.Errors.Records(), tail(out.String()))
			}
			if res.Transferred != wantCopied {
				t.Fatalf("transferred %d, want %d\n%s", res.Transferred, wantCopied, tail(out.String()))
			}
			if tc.fail == "" && res.ReconnectHost1+res.ReconnectHost2 == 0 {
				t.Fatalf("no reconnection counted\n%s", tail(out.String()))
			}
			if tc.fail != "" {
				// Nothing of the folder selected before went to the
				// failed one, and a rerun completes it.
				if got := snapshot(t, p.u2)[tc.fail]; len(got) != 0 {
					t.Fatalf("host2 %s holds %d messages after its analysis failed", tc.fail, len(got))
				}
				out.Reset()
				opts.Hooks = nil
				if res := run(t, opts); res.Errors.Count() != 0 || res.Transferred != 25 {
					t.Fatalf("rerun: transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), tail(out.String()))
				}
			}
			assertExactlyOnce(t, p, &out)
			if opts.Parallel == 1 {
				// One host1 connection: its trace shows A's FETCH sent
				// behind A's EXAMINE before the EXAMINE's completion
				// (untagged answers may be traced between the two).
				lines := strings.Split(trace.String(), "\n")
				i := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, ` EXAMINE "A"`) })
				if i < 0 {
					t.Fatalf("no EXAMINE of A in host1's trace")
				}
				tag := strings.Fields(lines[i][strings.Index(lines[i], " C: ")+4:])[0]
				done := i + slices.IndexFunc(lines[i:], func(l string) bool { return strings.Contains(l, " S: "+tag+" ") })
				if done < i || !slices.ContainsFunc(lines[i+1:done], func(l string) bool {
					return strings.Contains(l, " C: ") && strings.Contains(l, " FETCH 1:* ")
				}) {
					t.Fatalf("A's FETCH is not sent before its EXAMINE completes: %q", lines[i:min(i+8, len(lines))])
				}
			}
		})
	}
}

// armOnCopy is a message rewriter that changes nothing: the first time a
// message of folder is copied, it runs arm (once).
type armOnCopy struct {
	folder string
	once   sync.Once
	arm    func()
}

func (a *armOnCopy) Rewrite(m *hooks.Message) error {
	if m.Folder == a.folder {
		a.once.Do(a.arm)
	}
	return nil
}

// TestPipelinedBodyFetches: a worker keeps two body FETCHes in flight,
// the first sent right behind the folder's SELECT. A connection cut while
// both are in flight still copies every host1 message exactly once, with
// its own bytes, flags and date. A refused SELECT while the previous
// folder is still selected (the FETCHes behind it then answer with that
// folder's messages of the same UIDs, which must be dropped) fails the
// batch sent with it, as a refused SELECT did before pipelining; the
// batch behind it is fetched on its own, and a rerun copies the rest.
func TestPipelinedBodyFetches(t *testing.T) {
	for _, tc := range []struct {
		name   string
		arm    func(p *pair, opts *Options)
		failed int64 // messages that could not be fetched
	}{
		{"cut as the second FETCH arrives", func(p *pair, _ *Options) { p.s1.Faults().DropAfterCommands("UID FETCH", 2) }, 0},
		{"cut within the answers", func(p *pair, _ *Options) { p.s1.Faults().DropResponseAfterBytes("UID FETCH", 150000) }, 0},
		{"SELECT refused, the previous folder still selected", func(p *pair, opts *Options) {
			opts.Hooks = &hooks.Chain{Rewrites: []hooks.Named[hooks.MessageRewriter]{{Name: "arm", Hook: &armOnCopy{folder: "A", arm: func() {
				p.s1.Faults().RefuseCommand("EXAMINE", 1, nil)
			}}}}}
		}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			// Same UIDs in A and B, different messages.
			seedN(t, p.u1, "A", 150, 2000)
			seedN(t, p.u1, "B", 150, 3000)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Parallel = 1
			opts.ErrorsMax = 0
			// Batches of at most 64 messages: three FETCHes per folder.
			opts.BodyBudget = 1 << 20
			var trace lockedWriter
			opts.Host1.Trace = &trace
			tc.arm(p, &opts)
			res := run(t, opts)
			if res.Errors.Count() != int(tc.failed) || res.Transferred != 300-tc.failed {
				t.Fatalf("transferred %d, %d errors, want %d and %d: %v\n%s", res.Transferred, res.Errors.Count(), 300-tc.failed, tc.failed, res.Errors.Records(), tail(out.String()))
			}
			if tc.failed > 0 {
				// What was copied of B is B's own: nothing of A's.
				b1, b2 := snapshot(t, p.u1)["B"], snapshot(t, p.u2)["B"]
				for _, m := range b2 {
					if !slices.Contains(b1, m) {
						t.Fatalf("host2 B holds a message host1 B does not: %s", m)
					}
				}
				if len(b2) != 150-int(tc.failed) {
					t.Fatalf("host2 B holds %d messages, want %d", len(b2), 150-tc.failed)
				}
				out.Reset()
				opts.Hooks = nil
				if res := run(t, opts); res.Errors.Count() != 0 || res.Transferred != tc.failed {
					t.Fatalf("rerun: transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), tail(out.String()))
				}
			}
			assertExactlyOnce(t, p, &out)
			// Two FETCHes were in flight: a UID FETCH sent before the
			// previous one's answer.
			inFlight := 0
			for _, l := range strings.Split(trace.String(), "\n") {
				switch {
				case strings.Contains(l, " C: ") && strings.Contains(l, " UID FETCH ") && strings.Contains(l, "BODY.PEEK[]"):
					inFlight++
					if inFlight == 2 {
						return
					}
				case strings.Contains(l, " S: ") && strings.Contains(l, " OK UID FETCH"):
					inFlight = 0
				}
			}
			t.Fatalf("never two body FETCHes in flight:\n%s", tail(trace.String()))
		})
	}
}

// TestStatusAfterRefusedUnselect: the host2 STATUS read for the state
// after the copies follows an UNSELECT in the same round trip; when the
// UNSELECT is refused, those STATUS answers (which may come from the
// selected folder's view) are not used, and the run still saves a state
// the next run can trust: it copies nothing and leaves host2 as it is.
func TestStatusAfterRefusedUnselect(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 30, 500)
	seedN(t, p.u1, "Sub", 20, 500)
	h1, _ := p.u1.Messages("INBOX")
	for _, m := range h1[:10] {
		if err := p.u2.Seed("INBOX", imapmem.Message{Raw: m.Raw, Flags: m.Flags, Date: m.InternalDate}); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 1 // main analyses INBOX on host2 and keeps it selected
	opts.State = openState(t, t.TempDir())
	p.s2.Faults().RefuseCommand("UNSELECT", 1, nil)
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 40 {
		t.Fatalf("transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), tail(out.String()))
	}
	if p.s2.Faults().Count("UNSELECT") == 0 {
		t.Fatal("no UNSELECT was sent: the refusal was not met")
	}
	assertExactlyOnce(t, p, &out)
	out.Reset()
	if res := run(t, opts); res.Errors.Count() != 0 || res.Transferred != 0 {
		t.Fatalf("rerun: transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), tail(out.String()))
	}
	assertExactlyOnce(t, p, &out)
}
