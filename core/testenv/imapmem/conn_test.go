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

func TestWithMultiAppend(t *testing.T) {
	for in, want := range map[string]string{
		"* CAPABILITY IMAP4rev1 UIDPLUS\r\na1 OK done\r\n":      "* CAPABILITY MULTIAPPEND IMAP4rev1 UIDPLUS\r\na1 OK done\r\n",
		"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n":      "* OK [CAPABILITY MULTIAPPEND IMAP4rev1 AUTH=PLAIN] ready\r\n",
		"a1 OK [CAPABILITY IMAP4rev2 MOVE] Logged in\r\n":       "a1 OK [CAPABILITY MULTIAPPEND IMAP4rev2 MOVE] Logged in\r\n",
		"* 1 FETCH (BODY[] {26}\r\n* CAPABILITY IMAP4rev1\r\n)": "* 1 FETCH (BODY[] {26}\r\n* CAPABILITY IMAP4rev1\r\n)",
		"CAPABILITY IMAP4rev1 in the middle of a literal":       "CAPABILITY IMAP4rev1 in the middle of a literal",
	} {
		if got := string(withCaps([]byte(in), "MULTIAPPEND ")); got != want {
			t.Errorf("withCaps(%q) = %q", in, got)
		}
	}
}
