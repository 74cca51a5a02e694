package search

import "testing"

func TestGmailRaw(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`X-GM-RAW "older_than:2y has:attachment"`, "older_than:2y has:attachment", true},
		{`x-gm-raw has:attachment`, "has:attachment", true},
		{`X-GM-RAW "subject:\"a b\""`, `subject:"a b"`, true},
		{`X-GM-RAW "a" SEEN`, "", false},
		{`SEEN`, "", false},
		{`X-GM-RAW`, "", false},
		{`X-GM-RAW ""`, "", false},
	} {
		got, ok := GmailRaw(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("GmailRaw(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
