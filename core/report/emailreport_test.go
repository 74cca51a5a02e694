package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestEmailReportMessage(t *testing.T) {
	date := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	r := EmailReport{
		User1: "alice", Host1: "imap.a.org", User2: "bob", Host2: "imap.b.org",
		To: "bob", Hostname: "box", Date: date,
		Stats: Snapshot{Counters: Counters{}},
	}
	for _, errs := range []*Errors{nil, {}} {
		r.Errors = errs
		m := r.Message()
		head, body, ok := bytes.Cut(m, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("no header/body separator in %q", m)
		}
		want := "From: imapshift <imapshift@box>\r\n" +
			"To: bob\r\n" +
			"Subject: [imapshift] alice on imap.a.org to bob on imap.b.org: 0 errors\r\n" +
			"Date: Wed, 04 Mar 2026 05:06:07 +0000\r\n" +
			"Message-Id: <imapshift-report-" + "1772600767000000000" + "@box>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
		if string(head) != want {
			t.Errorf("header:\n got %q\nwant %q", head, want)
		}
		if !bytes.Contains(body, []byte("Transfer started")) && !bytes.Contains(body, []byte("Messages transferred")) {
			t.Errorf("body has no statistics: %q", body)
		}
		if n := strings.Count(string(m), "\n"); n != strings.Count(string(m), "\r\n") {
			t.Errorf("bare LF in the message: %q", m)
		}
	}
}
