package conn

import "testing"

func TestParseLSUB(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`LSUB () "/" "INBOX/Sent Items"`, "INBOX/Sent Items", true},
		{`LSUB (\HasNoChildren) "." INBOX.Drafts`, "INBOX.Drafts", true},
		{`LSUB (\Noselect) NIL "Archive"`, "Archive", true},
		{`lsub () "\\" "a\\b"`, `a\b`, true},
		{`LSUB () "/" "say \"hi\""`, `say "hi"`, true},
		{`LSUB () "/" "Donn&AOk-es"`, "Donn&AOk-es", true},
		{`LSUB () "/" "Caf\xe9"`, "Caf\xe9", true}, // a literal, as raw.line quotes it
		{`LIST () "/" "INBOX"`, "", false},
		{`LSUB () "/"`, "", false},
		{`LSUB () "/" "unterminated`, "", false},
		{`LSUB "/" "INBOX"`, "", false},
	} {
		got, ok := parseLSUB(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseLSUB(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
