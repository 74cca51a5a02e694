package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestScenarioWords checks the shell-like splitting of run and message lines.
func TestScenarioWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`--folder 'Sent Items' --x`, []string{"--folder", "Sent Items", "--x"}},
		{`a1 \Seen $Label1`, []string{"a1", `\Seen`, "$Label1"}},
		{`'s/\$Label1 ?//g'`, []string{`s/\$Label1 ?//g`}},
		{`"replace=\r\nA=>\r\nB" x=y`, []string{"replace=\r\nA=>\r\nB", "x=y"}},
		{`header="X-Note: a b"`, []string{"header=X-Note: a b"}},
	} {
		got, err := splitArgs(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitArgs(`'open`); err == nil {
		t.Error("an unclosed quote is accepted")
	}
}

// TestScenarioMessages checks the generated messages: exact sizes, CRLF
// line ends, options.
func TestScenarioMessages(t *testing.T) {
	for _, n := range []int{500, 1000, 1501, 3000} {
		m, err := parseMessage("s size="+strconv.Itoa(n), "x:1", false)
		if err != nil || len(m.raw) != n {
			t.Errorf("size=%d: %d bytes, %v", n, len(m.raw), err)
		}
	}
	m, err := parseMessage(`m2 \Seen header="X-Note: secret" body="Hi\nthere" messageid=no`, "x:1", false)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(m.raw)
	if strings.Contains(raw, "Message-ID") || !strings.Contains(raw, "\r\nX-Note: secret\r\n\r\nHi\r\nthere\r\n") || !slices.Equal(m.flags, []string{`\Seen`}) {
		t.Errorf("message %q, flags %q", raw, m.flags)
	}
	if _, err := parseMessage("s size=10", "x:1", false); err == nil {
		t.Error("size=10, below the headers, is accepted")
	}
	if _, err := parseMessage("s bogus=1", "x:1", false); err == nil {
		t.Error("an unknown option is accepted")
	}
}

// TestScenarioOrderPattern checks the "*" of order lines.
func TestScenarioOrderPattern(t *testing.T) {
	names := []string{"Work", "Sent Items", "A", "B", "INBOX"}
	for _, tc := range []struct {
		pat  string
		want bool
	}{
		{"Work, Sent Items, *, INBOX", true},
		{"Work, *", true},
		{"*, A, *", true},
		{"Sent Items, *", false},
		{"Work, Sent Items, INBOX", false},
	} {
		if got := scGlobMatch(strings.Split(tc.pat, ", "), names); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.pat, got, tc.want)
		}
	}
}
