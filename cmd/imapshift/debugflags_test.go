package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestDebugFlags: --debugflags prints, for each message, its host1 flags
// and the flags meant for host2 (system flags in canonical case), and on
// a rerun what host2 holds; the flags really arrive on host2.
func TestDebugFlags(t *testing.T) {
	p := newPair(t, "dora", "dirk", 0)
	date := time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)
	raw := "From: a@example.org\r\nSubject: flagged\r\nMessage-ID: <f1@example.org>\r\n\r\nbody\r\n"
	if err := p.u1.Seed("INBOX", imapmem.Message{Raw: []byte(raw), Flags: []imap.Flag{`\Flagged`, "$Label1"}, Date: date}); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, nil, append(p.args(), "--nolog", "--debugflags")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The in-memory server stores keywords in lower case; the lists are
	// printed sorted.
	want := `Debug flags: msg INBOX/1 flags ($label1 \Flagged) for host2 ($label1 \Flagged)` + "\n"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, r.stdout)
	}
	got, err := p.u2.Messages("INBOX")
	if err != nil || len(got) != 1 || !slices.Contains(got[0].Flags, imap.FlagFlagged) || !slices.Contains(got[0].Flags, "$label1") {
		t.Fatalf("host2 INBOX: %+v %v", got, err)
	}
	r = runArgs(t, nil, append(p.args(), "--nolog", "--debugflags")...)
	want = `Debug flags: msg INBOX/1 flags ($label1 \Flagged) for host2 ($label1 \Flagged), host2 msg INBOX/1 has ($label1 \Flagged)` + "\n"
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("rerun: exit %d, output lacks %q:\n%s", r.code, want, r.stdout)
	}
	if r = runArgs(t, nil, append(p.args(), "--nolog")...); strings.Contains(r.stdout, "Debug flags:") {
		t.Errorf("debug lines without --debugflags:\n%s", r.stdout)
	}
}

// TestDebugContent: --debugcontent prints each transferred message's
// bytes between marker lines, exactly as they are appended.
func TestDebugContent(t *testing.T) {
	p := newPair(t, "cora", "carl", 0)
	raw := "From: a@example.org\r\nSubject: shown\r\nMessage-ID: <c1@example.org>\r\n\r\nthe body\r\n"
	if err := p.u1.Seed("INBOX", imapmem.Message{Raw: []byte(raw), Date: time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, nil, append(p.args(), "--nolog", "--debugcontent")...)
	want := fmt.Sprintf("Debug content: msg INBOX/1 {%d} begins\n%s\nDebug content: msg INBOX/1 ends\n", len(raw), raw)
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d, output lacks %q:\n%s", r.code, want, r.stdout)
	}
	got, err := p.u2.Messages("INBOX")
	if err != nil || len(got) != 1 || string(got[0].Raw) != raw {
		t.Fatalf("host2 INBOX: %+v %v", got, err)
	}
}
