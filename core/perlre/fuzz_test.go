package perlre

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func substSeeds() []string {
	seeds := []string{
		Gmail1DropPrefix, Gmail2TrimBlanks, Gmail2TrimSlashBlanks, Gmail2Quotes,
		OfficeWrapLines, Domino2InboxChildren, Exchange2DropFlagged, DisarmReadReceipts,
		`s/(?<=foo)bar/x/`, `s/a/b/e`, `tr/a-z//cd`, `s{a}{b}g`, `s/(a)|b/\u\L$1\E$+{x}/gimsx`,
		`s/\x{263A}\N{U+41}\Q.*\E\R\h\v/$&$1${2}\1/`, `y/a-c/A-C/s`, `s'a'$b'`, `s/a{1500,2000}?/x/`,
	}
	for _, table := range [][]substCase{presetCases, manualCases, folderNameCases, semanticsCases} {
		for _, c := range table {
			seeds = append(seeds, c.expr)
		}
	}
	return seeds
}

// FuzzParseSubst: no expression may panic the parser, and Apply and
// ApplyBytes must not panic on any input. For ASCII expressions, inputs
// and results, text and byte semantics must agree.
func FuzzParseSubst(f *testing.F) {
	for _, e := range substSeeds() {
		f.Add(e, "INBOX.Sent \\Seen $Spam\r\naé\n")
	}
	f.Fuzz(func(t *testing.T, expr, in string) {
		s, err := ParseSubst(expr)
		if err != nil {
			if s != nil {
				t.Fatal("non-nil Subst with an error")
			}
			if !strings.Contains(err.Error(), expr) {
				t.Fatalf("error does not quote the expression: %v", err)
			}
			return
		}
		out := s.Apply(in)
		outB := string(s.ApplyBytes([]byte(in)))
		if isASCII(expr) && isASCII(in) && isASCII(out) && isASCII(outB) && out != outB {
			t.Fatalf("%s on %q: text %q, bytes %q", expr, in, out, outB)
		}
	})
}

// FuzzParseMatch: ParseMatch and ParseBare never panic, nor does matching.
func FuzzParseMatch(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.expr, c.in)
	}
	for _, e := range []string{`m{.*}ism`, `/^Junk$|^INBOX.Junk$/`, `\[Gmail\]$`, `(?i)spam`, `m/[\x80-\xff]/`, `m/(?<=a)/`, `/a/e`, ``} {
		f.Add(e, "[Gmail]/Spam\r\n\xe9")
	}
	f.Fuzz(func(t *testing.T, expr, in string) {
		for _, parse := range []func(string) (*Match, error){ParseMatch, ParseBare} {
			m, err := parse(expr)
			if err != nil {
				if m != nil {
					t.Fatal("non-nil Match with an error")
				}
				_ = err.Error()
				continue
			}
			a, b := m.MatchString(in), m.Match([]byte(in))
			if isASCII(expr) && isASCII(in) && a != b {
				t.Fatalf("%s on %q: text %v, bytes %v", expr, in, a, b)
			}
			if m.Regexp() == nil {
				t.Fatal("nil Regexp")
			}
		}
	})
}
