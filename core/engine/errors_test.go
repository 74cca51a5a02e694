package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// TestRefusalsGiveImapsyncExitCodes makes one server refuse one kind of
// command and checks the error line, the exit code the run ends with, and
// that the other messages are still copied.
func TestRefusalsGiveImapsyncExitCodes(t *testing.T) {
	no := func(code imap.ResponseCode, text string) *imap.Error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	for _, tc := range []struct {
		name   string
		arm    func(p *pair)
		code   exitcode.Code
		line   string
		copied int64 // of 10 INBOX messages + 5 in Archive
	}{
		{"APPEND over quota", func(p *pair) {
			p.s2.Faults().RefuseCommand("APPEND", 1, no(imap.ResponseCodeOverQuota, "Quota exceeded"))
		}, exitcode.OverQuota, "could not append", 14},
		{"APPEND refused", func(p *pair) { p.s2.Faults().RefuseCommand("APPEND", 2, no("", "Message refused")) }, exitcode.ErrAppend, "could not append", 13},
		// The line printed for this refusal reads like a FETCH, SELECT and
		// CREATE failure; the class given where the APPEND failed decides.
		{"APPEND refused, misleading text", func(p *pair) {
			p.s2.Faults().RefuseCommand("APPEND", 2, no("", "could not be fetched: Could not select: could not create folder"))
		}, exitcode.ErrAppend, "could not be fetched: Could not select", 13},
		// Every body FETCH is refused: a rerun's small plan fetches its
		// bodies ahead in one command (prefetch), whose refusal leaves
		// them to the copy jobs, which fetch and report them as usual.
		{"body FETCH refused", func(p *pair) { p.s1.Faults().RefuseCommand("UID FETCH", -1, no("", "Try later")) }, exitcode.ErrFetch, "could not be fetched", 0},
		{"CREATE refused", func(p *pair) { p.s2.Faults().RefuseCommand("CREATE", -1, no("", "Permission denied")) }, exitcode.ErrCreate, "Could not create folder", 10},
		{"SELECT refused on host1", func(p *pair) { p.s1.Faults().RefuseCommand("EXAMINE", 1, no("", "Permission denied")) }, exitcode.ErrSelect, "Could not select", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 10, 500)
			seedN(t, p.u1, "Archive", 5, 500)
			tc.arm(p)
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Parallel = 1
			res := run(t, opts)
			if got := res.Errors.ExitCode(); got != tc.code {
				t.Fatalf("exit code %d, want %d; errors %v", got, tc.code, res.Errors.Records())
			}
			if !strings.Contains(out.String(), tc.line) {
				t.Fatalf("no %q line:\n%s", tc.line, out.String())
			}
			if tc.copied >= 0 && res.Transferred != tc.copied {
				t.Fatalf("transferred %d, want %d", res.Transferred, tc.copied)
			}
		})
	}
}

func TestErrorsMaxStopsTheRun(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 300, 500)
	p.s2.Faults().RefuseCommand("APPEND", -1, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "no way"})
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 4
	opts.ErrorsMax = 5
	res := run(t, opts)
	// APPENDs already in flight when the 5th error arrives still report
	// theirs, but only as notes: the count stops at exactly 5.
	if n := res.Errors.Count(); n != 5 {
		t.Fatalf("%d errors recorded, want exactly 5:\n%s", n, out.String())
	}
	if n := len(res.Errors.Records()); n != 5 {
		t.Fatalf("%d error records, want 5", n)
	}
	if !strings.Contains(out.String(), "Maximum number of errors 5 reached") {
		t.Fatalf("no errorsmax line:\n%s", out.String())
	}
}

func TestClassOf(t *testing.T) {
	no := func(code imap.ResponseCode, text string) error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	for _, tc := range []struct {
		base report.Class
		err  error
		want report.Class
	}{
		{report.ClassAppend, no("", "Message refused"), report.ClassAppend},
		{report.ClassAppend, no(imap.ResponseCodeOverQuota, "Quota exceeded"), report.ClassOverQuota},
		{report.ClassAppend, &conn.StatusError{Status: "NO", Code: "OVERQUOTA", Text: "[OVERQUOTA] Quota exceeded (mailbox for user is full)"}, report.ClassOverQuota},
		{report.ClassAppend, no(imap.ResponseCodeTooBig, "too big"), report.ClassAppendSize},
		{report.ClassAppend, &conn.StatusError{Status: "BAD", Text: "maximum message size exceeded"}, report.ClassAppendSize},
		{report.ClassAppend, no("", "Message rejected: Virus found"), report.ClassAppendVirus},
		{report.ClassCreate, no("", "Quota limit will be exceeded"), report.ClassOverQuota},
		{report.ClassCreate, no("", "Virus"), report.ClassCreate},
		{report.ClassFetch, no(imap.ResponseCodeOverQuota, "x"), report.ClassFetch},
		{report.ClassSelect, errors.New("could not append"), report.ClassSelect},
		{report.ClassFetch, &conn.Error{Stage: conn.StageAuth, Side: 1, Err: errors.New("NO")}, report.ClassAuthUser1},
		{report.ClassAppend, &conn.Error{Stage: conn.StageConnect, Side: 2, Err: errors.New("refused")}, report.ClassAppend},
		{report.ClassUnclassified, nil, report.ClassUnclassified},
	} {
		if got := classOf(tc.base, tc.err); got != tc.want {
			t.Errorf("classOf(%s, %v) = %s, want %s", tc.base, tc.err, got, tc.want)
		}
	}
}
