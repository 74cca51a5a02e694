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
				// right behind A's EXAMINE, before any answer.
				lines := strings.Split(trace.String(), "\n")
				i := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, ` EXAMINE "A"`) })
				if i < 0 || i+1 == len(lines) || !strings.Contains(lines[i+1], " C: ") || !strings.Contains(lines[i+1], " FETCH 1:* ") {
					t.Fatalf("A's FETCH does not follow its EXAMINE at once (%d): %q", i, lines[max(i, 0):min(i+3, len(lines))])
				}
			}
		})
	}
}
