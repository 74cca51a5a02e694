package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// injector is a Progress that, when a folder's copies are done, stores
// on host2 behind the run's back a second copy of one of its messages.
type injector struct {
	noProgress
	once sync.Once
	do   func()
}

func (in *injector) FolderDone(string) { in.once.Do(in.do) }

// foreignAppend is an injector that, once the first folder is done,
// appends raw to host2's INBOX on a session of its own, as another
// client would during the run.
func foreignAppend(t *testing.T, host2 *conn.Config, raw []byte) *injector {
	return &injector{do: func() {
		c, err := conn.Dial(context.Background(), host2)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Error(err)
		}
	}}
}

// TestFinalReportMeasuresHost2: a duplicate stored on host2 during the run
// shows in the final figures, which read host2 again, and makes the run
// fail with ERR_DUPLICATES_HOST2 (exit 111); --delete2duplicates makes it
// a plain report line.
func TestFinalReportMeasuresHost2(t *testing.T) {
	for _, tc := range []struct {
		name    string
		delete2 bool
		code    exitcode.Code
	}{
		{"without --delete2duplicates", false, exitcode.WithErrors},
		{"with --delete2duplicates", true, exitcode.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 10, 300)
			h1, _ := p.u1.Messages("INBOX")
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Parallel = 2
			opts.Delete2Duplicates = tc.delete2
			opts.Progress = &injector{do: func() {
				if err := p.u2.Seed("INBOX", imapmem.Message{Raw: h1[3].Raw}); err != nil {
					t.Error(err)
				}
			}}
			res := run(t, opts)
			if got := res.Errors.ExitCode(); got != tc.code {
				t.Fatalf("exit code %d, want %d; errors %v\n%s", got, tc.code, res.Errors.Records(), out.String())
			}
			if !tc.delete2 && res.Errors.MostFrequent() != report.ClassDuplicates {
				t.Fatalf("most frequent class %s", res.Errors.MostFrequent())
			}
			if res.Transferred != 10 || res.DupHost2End != 1 || res.DupHost2New != 1 {
				t.Fatalf("transferred %d, duplicates at end %d, created %d\n%s", res.Transferred, res.DupHost2End, res.DupHost2New, out.String())
			}
			if d := res.FinalDiff; d == nil || d.Messages != 1 || d.Bytes != int64(len(h1[3].Raw)) {
				t.Fatalf("final difference %+v, want 1 message of %d bytes", d, len(h1[3].Raw))
			}
			text := out.String()
			for _, want := range []string{
				"Host2: folder [INBOX] holds 1 duplicate message(s) at the end of the run, 1 created by this run: UIDs 11",
				"Host2 Nb messages:                   11 messages",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("no %q in:\n%s", want, text)
				}
			}
			var stats bytes.Buffer
			report.WriteStatistics(&stats, res.Snapshot, report.StatsOptions{})
			for _, want := range []string{
				"Final difference host2 - host1          : 1 messages",
				"The sync left 1 duplicate messages on host2 (1 created by this run)",
			} {
				if !strings.Contains(stats.String(), want) {
					t.Errorf("no %q in the statistics:\n%s", want, stats.String())
				}
			}
		})
	}
}

// TestFinalReportRerun: on a rerun, a duplicate present before the run is
// reported but is not the run's fault; a copy of a message that was there
// before, stored during the run, is.
func TestFinalReportRerun(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 10, 300)
	seedN(t, p.u2, "INBOX", 5, 300) // the first five, already there
	h1, _ := p.u1.Messages("INBOX")
	p.u2.Seed("INBOX", imapmem.Message{Raw: h1[0].Raw}) // UID 6: an old duplicate
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 2
	opts.Progress = &injector{do: func() {
		if err := p.u2.Seed("INBOX", imapmem.Message{Raw: h1[2].Raw}); err != nil {
			t.Error(err)
		}
	}}
	p.s2.Faults().ResetCounts()
	res := run(t, opts)
	if res.Transferred != 5 || res.DupHost2 != 1 || res.DupHost2End != 2 || res.DupHost2New != 1 {
		t.Fatalf("transferred %d, duplicates at start %d, at end %d, created %d\n%s", res.Transferred, res.DupHost2, res.DupHost2End, res.DupHost2New, out.String())
	}
	if got := res.Errors.ExitCode(); got != exitcode.WithErrors {
		t.Fatalf("exit code %d, want 111", got)
	}
	if d := res.FinalDiff; d == nil || d.Messages != 2 {
		t.Fatalf("final difference %+v, want 2 messages", d)
	}
	if want := "Host2: folder [INBOX] holds 2 duplicate message(s) at the end of the run, 1 created by this run: UIDs 6,12"; !strings.Contains(out.String(), want) {
		t.Fatalf("no %q in:\n%s", want, out.String())
	}
	// The second reading fetched the headers of the new messages only.
	fetches := p.s2.Faults().CommandsMatching("FETCH")
	if n := len(fetches); n != 2 || !strings.Contains(fetches[1], "7:*") {
		t.Fatalf("host2 FETCH commands %q, want the analysis's and one of UIDs 7:*", fetches)
	}
}

// TestFinalReportMeasuresDovecot: on Dovecot, a message stored again on
// host2 by another client while the run copies is counted in the final
// report as a duplicate the run created; a rerun with
// --delete2duplicates removes it and exits 0.
func TestFinalReportMeasuresDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	var msgs []dovecot.Message
	for i := range 40 {
		msgs = append(msgs, dovecot.Message{Raw: fmt.Appendf(nil, "Message-ID: <d%d@x>\r\nSubject: %d\r\n\r\n%s\r\n", i, i, strings.Repeat("body ", 50))})
	}
	if err := d1.Seed("user1", "INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	if err := d2.Seed("user2", "INBOX", msgs[:10]); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := dovecotOptions(t, d1, d2, "user2", "secret2", &out)
	opts.Selection.Folders = []string{"INBOX"}
	opts.FolderSizes, opts.FolderSizesAtEnd = true, true
	opts.Progress = foreignAppend(t, opts.Host2, msgs[3].Raw) // there before the run
	res := run(t, opts)
	if res.Transferred != 30 || res.DupHost2End != 1 || res.DupHost2New != 1 || res.Errors.ExitCode() != exitcode.WithErrors {
		t.Fatalf("transferred %d, duplicates at end %d, created %d, exit %d\n%s", res.Transferred, res.DupHost2End, res.DupHost2New, res.Errors.ExitCode(), out.String())
	}
	if d := res.FinalDiff; d == nil || d.Messages != 1 || d.Bytes != int64(len(msgs[3].Raw)) {
		t.Fatalf("final difference %+v, want 1 message of %d bytes", d, len(msgs[3].Raw))
	}
	if !strings.Contains(out.String(), "Host2 Nb messages:                   41 messages") {
		t.Fatalf("the sizes table does not count 41 messages on host2:\n%s", out.String())
	}

	out.Reset()
	opts.Progress = nil
	opts.Delete2Duplicates, opts.UIDExpunge2 = true, true
	res = run(t, opts)
	if res.Errors.ExitCode() != exitcode.OK || res.DeletedHost2 != 1 || res.DupHost2End != 0 || res.FinalDiff == nil || res.FinalDiff.Messages != 0 {
		t.Fatalf("rerun: exit %d, deleted %d, duplicates at end %d, final %+v\n%s", res.Errors.ExitCode(), res.DeletedHost2, res.DupHost2End, res.FinalDiff, out.String())
	}
}

// TestFinalReportProvenByStatus: on Dovecot with the state, a host2
// folder whose STATUS after the copies proves what it holds (every copy
// answered with APPENDUID, UIDNEXT and MESSAGES as expected) is not read
// again, and the report is the one reading it would give: the old
// duplicate counted, none created, the sizes from STATUS=SIZE. A message
// stored by another client during the run breaks the proof: the folder is
// read again and the duplicate is the run's error (exit 111). Both times
// host2 holds every host1 message once, bytes, flags and dates.
func TestFinalReportProvenByStatus(t *testing.T) {
	for _, foreign := range []bool{false, true} {
		t.Run(fmt.Sprintf("foreign APPEND %v", foreign), func(t *testing.T) {
			d1 := dovecot.StartT(t, dovecot.Options{})
			d2 := dovecot.StartT(t, dovecot.Options{})
			msg := func(i int) dovecot.Message {
				return dovecot.Message{Raw: fmt.Appendf(nil, "Message-ID: <p%d@x>\r\nSubject: %d\r\n\r\n%s\r\n", i, i, strings.Repeat("body ", 20+i)),
					Flags: []string{`\Seen`, `\Flagged`, "$Label1"}[:1+i%3], Date: time.Date(2020, 3, 1+i%28, 0, i%60, 0, 0, time.UTC)}
			}
			var inbox, sub []dovecot.Message
			for i := range 40 {
				inbox = append(inbox, msg(i))
			}
			for i := 40; i < 70; i++ {
				sub = append(sub, msg(i))
			}
			if err := d1.SeedMany("user1", []dovecot.Folder{{Name: "INBOX", Msgs: inbox}, {Name: "Sub", Msgs: sub}}); err != nil {
				t.Fatal(err)
			}
			// Host2 has the first ten, and an old second copy of the first.
			if err := d2.Seed("user2", "INBOX", append(slices.Clone(inbox[:10]), inbox[0])); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			var trace lockedWriter
			opts := dovecotOptions(t, d1, d2, "user2", "secret2", &out)
			opts.State = openState(t, t.TempDir())
			opts.FolderSizes, opts.FolderSizesAtEnd = true, true
			opts.Host2.Trace = &trace
			if foreign {
				h2 := &conn.Config{Side: 2, Host: d2.Host, Port: d2.Port, Mode: conn.TLSNone, User: "user2", Password: "secret2"}
				opts.Progress = foreignAppend(t, h2, inbox[3].Raw) // there before the run
			}
			res := run(t, opts)
			wantCode, wantNew := exitcode.OK, int64(0)
			if foreign {
				wantCode, wantNew = exitcode.WithErrors, 1
			}
			if res.Transferred != 60 || res.DupHost2End != 1+wantNew || res.DupHost2New != wantNew || res.Errors.ExitCode() != wantCode {
				t.Fatalf("transferred %d, duplicates at end %d, created %d, exit %d\n%s", res.Transferred, res.DupHost2End, res.DupHost2New, res.Errors.ExitCode(), out.String())
			}
			if d := res.FinalDiff; d == nil || d.Messages != 1+wantNew {
				t.Fatalf("final difference %+v, want %d message(s)", d, 1+wantNew)
			}
			// Read again: SELECTed on host2 after the copies. Sub is never
			// selected on host2 otherwise, INBOX once by the analysis.
			tr := trace.String()
			inboxSelects := strings.Count(tr, " SELECT INBOX\n")
			subSelects := strings.Count(tr, ` SELECT Sub`+"\n")
			if !foreign && (inboxSelects != 1 || subSelects != 0) {
				t.Fatalf("host2 SELECT INBOX %d times and Sub %d times: a folder the STATUS proves was read again\n%s", inboxSelects, subSelects, tr)
			}
			if foreign && inboxSelects != 2 {
				t.Fatalf("host2 SELECT INBOX %d times: the folder that got a foreign message was not read again", inboxSelects)
			}
			// Exactly once, byte for byte, with flags and dates.
			if got, want := dovecotContents(t, d2, "user2", "secret2", "Sub"), dovecotContents(t, d1, "user1", "secret1", "Sub"); got != want {
				t.Fatalf("host2 Sub differs from host1:\n%s\nwant\n%s", got, want)
			}
			got := strings.Split(dovecotContents(t, d2, "user2", "secret2", "INBOX"), "\n")
			want := strings.Split(dovecotContents(t, d1, "user1", "secret1", "INBOX"), "\n")
			extra := slices.Clone(got)
			for _, w := range want {
				i := slices.Index(extra, w)
				if i < 0 {
					t.Fatalf("host2 INBOX lacks %q", w)
				}
				extra = slices.Delete(extra, i, i+1)
			}
			if len(extra) != int(1+wantNew) {
				t.Fatalf("host2 INBOX has %d messages beyond host1's, want %d: %q", len(extra), 1+wantNew, extra)
			}
			// The sizes table counts host2 as it is.
			if !strings.Contains(out.String(), fmt.Sprintf("Host2 Nb messages:                   %d messages", 71+wantNew)) {
				t.Fatalf("the sizes table does not count %d messages on host2:\n%s", 71+wantNew, out.String())
			}
		})
	}
}
