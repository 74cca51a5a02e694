package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestFlagsFor2(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perm, in []imap.Flag
		want     string
		note     string
	}{
		{"recent dropped, case fixed, sorted", nil, []imap.Flag{`\Recent`, `\SEEN`, "NonJunk", `\deleted`}, `NonJunk \Deleted \Seen`, ""},
		{"wildcard allows keywords", []imap.Flag{`\Seen`, `\*`}, []imap.Flag{`\Seen`, "$Label1"}, `$Label1 \Seen`, ""},
		{"restrictive PERMANENTFLAGS", []imap.Flag{`\Seen`, `\Junk`}, []imap.Flag{`\Seen`, `\Blabla`}, `\Seen`, "not in PERMANENTFLAGS"},
		{"invalid keyword dropped", nil, []imap.Flag{`\Seen`, "bad(kw", "ok_kw"}, `\Seen ok_kw`, "not a valid IMAP flag"},
		{"duplicates collapse", nil, []imap.Flag{`\Seen`, `\seen`}, `\Seen`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			e := &engine{out: &out, noted: map[string]bool{}}
			got := e.flagsFor2(&folderPlan{h2: "INBOX", permanentFlags: tc.perm}, tc.in)
			if joinFlags(got) != tc.want {
				t.Fatalf("got %q, want %q", joinFlags(got), tc.want)
			}
			if tc.note != "" && !strings.Contains(out.String(), tc.note) {
				t.Fatalf("no note %q in %q", tc.note, out.String())
			}
		})
	}
}

func TestHeaderDate(t *testing.T) {
	for in, want := range map[string]string{
		"Subject: x\r\nDate: Tue, 24 Aug 2010 16:00:00 +0200 (CEST)\r\n\r\n": "2010-08-24T16:00:00+02:00",
		"Date: Wed Jan  2 08:40:57 2008\r\n\r\n":                             "2008-01-02T08:40:57Z",
		"Subject: no date\r\n\r\n":                                           "0001-01-01T00:00:00Z",
		"Date: Tue, 24 Aug 2010\r\n 16:00:00 +0200\r\n\r\n":                  "2010-08-24T16:00:00+02:00", // folded
		"DATE : Tue, 24 Aug 2010 16:00:00 +0200\r\n\r\n":                     "2010-08-24T16:00:00+02:00",
	} {
		if got := headerDate([]byte(in)).Format(time.RFC3339); got != want {
			t.Errorf("headerDate(%q) = %s, want %s", in, got, want)
		}
	}
}
