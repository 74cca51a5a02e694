package imapmem

import "testing"

func TestParseCommandName(t *testing.T) {
	for line, want := range map[string]string{
		"A1 LOGIN alice secret\r\n":        "LOGIN",
		"a2 uid fetch 1:* (FLAGS)\r\n":     "UID FETCH",
		"T3 APPEND INBOX {310+}\r\n":       "APPEND",
		"T4 NOOP\r\n":                      "NOOP",
		"T5 UID\r\n":                       "",
		"DONE\r\n":                         "",
		"AGFsaWNlAGFsaWNlAHNlY3JldA==\r\n": "",
		"* BAD\r\n":                        "",
	} {
		got, ok := parseCommandName([]byte(line))
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", line, got, ok, want)
		}
	}
}

func TestTrailingLiteral(t *testing.T) {
	for _, tc := range []struct {
		line    string
		size    int64
		nonSync bool
		ok      bool
	}{
		{"A APPEND INBOX {12}\r\n", 12, false, true},
		{"A APPEND INBOX (\\Seen) {4096+}\r\n", 4096, true, true},
		{"A APPEND INBOX ~{7}\r\n", 7, false, true},
		{"A LOGIN {5+}\n", 5, true, true},
		{"A APPEND INBOX {12}", 0, false, false},
		{"A NOOP\r\n", 0, false, false},
		{"A SEARCH SUBJECT {x}\r\n", 0, false, false},
	} {
		size, nonSync, ok := trailingLiteral([]byte(tc.line))
		if size != tc.size || nonSync != tc.nonSync || ok != tc.ok {
			t.Errorf("%q: got %d %v %v", tc.line, size, nonSync, ok)
		}
	}
}
