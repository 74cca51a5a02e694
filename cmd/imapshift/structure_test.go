package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestStructureSkipNeverFetchesTheBody syncs with scripts/skip_by_attachment_type.lua:
// the metadata FETCH asks for BODYSTRUCTURE, the message with an .exe
// attachment and the one with 21 MB of attachments are skipped without
// any BODY[] fetch of theirs, and the others are copied byte for byte.
func TestStructureSkipNeverFetchesTheBody(t *testing.T) {
	p := newPair(t, "sara", "sam", 0)
	date := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	mk := func(id, name, ctype string, size int) []byte {
		att := strings.Repeat(strings.Repeat("A", 76)+"\r\n", size/78+1)
		return []byte(fmt.Sprintf("Message-ID: <%s@x>\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"+
			"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n%s--b--\r\n", id, id, ctype, name, name, att))
	}
	msgs := map[string][]byte{
		"exe":   mk("exe", "Setup.EXE", "application/octet-stream", 2000),
		"big":   mk("big", "film.mp4", "video/mp4", 21<<20),
		"pdf":   mk("pdf", "report.pdf", "application/pdf", 3000),
		"plain": []byte("Message-ID: <plain@x>\r\nSubject: plain\r\n\r\nno parts\r\n"),
	}
	for _, id := range []string{"exe", "big", "pdf", "plain"} {
		if err := p.u1.Seed("INBOX", imapmem.Message{Raw: msgs[id], Date: date}); err != nil {
			t.Fatal(err)
		}
	}
	f := p.src.Faults()
	f.ResetCounts()
	r := runArgs(t, nil, append(p.args(), "--nolog", "--tmpdir", t.TempDir(), "--script", "../../scripts/skip_by_attachment_type.lua")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{
		"msg INBOX/1 {", "} skipped by ../../scripts/skip_by_attachment_type.lua (attachment Setup.EXE is an executable (.exe))",
		"msg INBOX/2 {", "skipped by ../../scripts/skip_by_attachment_type.lua (21.0 MB of attachments (limit 20.0 MB))",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, r.stdout)
		}
	}
	structure, bodies := 0, []string{}
	for _, l := range f.CommandsMatching("FETCH") {
		if strings.Contains(l, "BODYSTRUCTURE") {
			structure++
		}
		if strings.Contains(l, "BODY[]") || strings.Contains(l, "BODY.PEEK[]") {
			bodies = append(bodies, l)
		}
	}
	if structure != 1 {
		t.Errorf("%d metadata FETCH with BODYSTRUCTURE, want 1: %q", structure, f.CommandsMatching("FETCH"))
	}
	for _, l := range bodies {
		if !strings.Contains(l, " 3:4 ") && !strings.Contains(l, " 3,4 ") && !strings.Contains(l, " 3 ") && !strings.Contains(l, " 4 ") {
			t.Errorf("a body fetch of a skipped message: %q", l)
		}
	}
	if len(bodies) == 0 {
		t.Error("no body fetch at all: the kept messages were not copied?")
	}
	got, err := p.u2.Messages("INBOX")
	if err != nil || len(got) != 2 {
		t.Fatalf("host2 has %d messages, want 2 (%v)", len(got), err)
	}
	for _, m := range got {
		if s := string(m.Raw); s != string(msgs["pdf"]) && s != string(msgs["plain"]) {
			t.Errorf("host2 message is not a host1 one byte for byte:\n%.200s", s)
		}
	}
}
