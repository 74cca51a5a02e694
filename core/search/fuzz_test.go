package search

import (
	"errors"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/exitcode"
)

// FuzzParse checks that Parse never panics, that every error is a short one-line
// *SyntaxError or *UnsupportedError with exit code 64 and a position inside
// the input, and that accepted input gives non-nil criteria.
func FuzzParse(f *testing.F) {
	for _, tc := range okCases {
		f.Add(tc.in)
	}
	for _, tc := range errCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err == nil {
			if c == nil {
				t.Fatalf("Parse(%q): nil criteria and nil error", s)
			}
			return
		}
		if c != nil {
			t.Fatalf("Parse(%q): criteria with error %v", s, err)
		}
		if exitcode.Of(err) != exitcode.Usage {
			t.Fatalf("Parse(%q): exit code %v", s, exitcode.Of(err))
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") || len(msg) > 500 {
			t.Fatalf("Parse(%q): message not one short line: %q", s, msg)
		}
		var (
			se  *SyntaxError
			ue  *UnsupportedError
			pos int
		)
		switch {
		case errors.As(err, &se):
			pos = se.Pos
		case errors.As(err, &ue):
			pos = ue.Pos
		default:
			t.Fatalf("Parse(%q): untyped error %v", s, err)
		}
		if pos < 1 || pos > len([]rune(s))+1 {
			t.Fatalf("Parse(%q): position %d out of range (%v)", s, pos, err)
		}
	})
}
