package engine

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// seedFlags stores in box the messages <name@box> with flags.
func seedFlags(t *testing.T, u *imapmem.User, box string, flags []imap.Flag, names ...string) {
	t.Helper()
	for i, n := range names {
		raw := fmt.Sprintf("Message-ID: <%s@%s>\r\nSubject: %s\r\nDate: Mon, 1 Feb 2021 10:00:00 +0000\r\n\r\nbody of %s\r\n", n, box, n, n)
		if err := u.Seed(box, imapmem.Message{Raw: []byte(raw), Flags: flags, Date: time.Date(2021, 2, 1, 10, 0, i, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPlanGolden builds plans against seeded in-process servers and
// compares their printed form with testdata/plan_<case>.golden (go test
// -run TestPlanGolden -update rewrites them).
func TestPlanGolden(t *testing.T) {
	seen := []imap.Flag{imap.FlagSeen}
	for _, tc := range []struct {
		name  string
		seed  func(t *testing.T, p *pair)
		tweak func(o *Options)
	}{
		{"initial", func(t *testing.T, p *pair) {
			// Nested folders missing on host2, and a duplicate in INBOX.
			seedFlags(t, p.u1, "INBOX", seen, "a", "b", "a")
			seedFlags(t, p.u1, "Archive/2020", nil, "c", "d")
			seedFlags(t, p.u1, "Archive/2021", []imap.Flag{imap.FlagFlagged, "$Label1"}, "e")
			seedFlags(t, p.u1, "Sent", seen, "f")
			p.u1.Subscribe("INBOX", "Sent")
		}, nil},
		{"rerun", func(t *testing.T, p *pair) {
			// Some messages there already, one with other flags; some
			// missing; a folder on host2 only.
			seedFlags(t, p.u1, "INBOX", seen, "a", "b", "c", "d")
			seedFlags(t, p.u2, "INBOX", seen, "a", "c")
			seedFlags(t, p.u2, "INBOX", nil, "b")
			seedFlags(t, p.u1, "Archive", []imap.Flag{imap.FlagAnswered}, "e", "f")
			seedFlags(t, p.u2, "Archive", []imap.Flag{imap.FlagAnswered}, "e")
			seedFlags(t, p.u2, "Old", nil, "g")
		}, nil},
		{"deletions", func(t *testing.T, p *pair) {
			seedFlags(t, p.u1, "INBOX", seen, "a", "b", "c")
			seedFlags(t, p.u2, "INBOX", seen, "a", "b", "x", "a")
			seedFlags(t, p.u1, "Empty", nil)
			p.u1.CreateMailbox("Empty")
			seedFlags(t, p.u2, "Old/Sub", nil, "y")
		}, func(o *Options) {
			o.Delete1, o.Expunge1 = true, true
			o.Delete2, o.Delete2Duplicates, o.UIDExpunge2, o.Force = true, true, true, true
			o.Delete2Folders, o.Delete1EmptyFolders = true, true
		}},
		{"prefix", func(t *testing.T, p *pair) {
			// Host2 keeps its folders under INBOX. with "." as separator.
			seedFlags(t, p.u1, "INBOX", seen, "a")
			seedFlags(t, p.u1, "Archive/2020", nil, "b")
			seedFlags(t, p.u1, "Lists/go/nuts", nil, "c")
		}, func(o *Options) {
			sep, prefix := ".", "INBOX."
			o.Sep2, o.Prefix2 = &sep, &prefix
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			tc.seed(t, p)
			var progress bytes.Buffer
			opts := p.options(t, &progress)
			opts.Dry, opts.Parallel = true, 2
			if tc.tweak != nil {
				tc.tweak(&opts)
			}
			pl, err := NewPlan(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer pl.Close()
			var got bytes.Buffer
			pl.Print(&got)
			path := filepath.Join("testdata", "plan_"+tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// The dry run's figures agree with the printed plan.
			res := pl.Result()
			lines := func(sub string) int64 { return int64(bytes.Count(got.Bytes(), []byte(sub))) }
			if res.WouldTransfer != lines(" copying to ") || res.DeletedHost1 != lines("on host1 once on host2") || res.DeletedHost2 != lines(`marked \Deleted on host2`) {
				t.Errorf("result: would transfer %d, delete %d on host1 and %d on host2; the plan says otherwise:\n%s", res.WouldTransfer, res.DeletedHost1, res.DeletedHost2, got.String())
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("plan differs from %s:\n--- got\n%s--- want\n%s--- progress\n%s", path, got.String(), want, progress.String())
			}
		})
	}
}

// TestPlanExecute prints a plan, carries it out, and checks that host2
// then holds what the plan listed; a plan made for --dry is refused.
func TestPlanExecute(t *testing.T) {
	p := newPair(t)
	seedFlags(t, p.u1, "INBOX", []imap.Flag{imap.FlagSeen}, "a", "b")
	seedFlags(t, p.u1, "Archive/2020", nil, "c")
	var out bytes.Buffer
	opts := p.options(t, &out)
	pl, err := NewPlan(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var printed bytes.Buffer
	pl.Print(&printed)
	if n := bytes.Count(printed.Bytes(), []byte(" copying to ")); n != 3 {
		t.Fatalf("plan copies %d messages, want 3:\n%s", n, printed.String())
	}
	if boxes, _ := p.u2.Mailboxes(); len(boxes) != 1 {
		t.Fatalf("planning changed host2: %v", boxes)
	}
	res, err := pl.Execute(t.Context())
	if err != nil || res.Transferred != 3 || res.Errors.Count() != 0 {
		t.Fatalf("Execute: %v, transferred %d, errors %v\n%s", err, res.Transferred, res.Errors.Records(), out.String())
	}
	assertExactlyOnce(t, p, &out)
	pl.Close() // a second Close is harmless

	opts.Dry = true
	dry, err := NewPlan(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dry.Execute(t.Context()); err == nil {
		t.Fatal("a --dry plan was executed")
	}
}
