package perlre

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// TestKnownDifferences pins imapshift's results where RE2 cannot follow
// Perl (Perl's result in the comment). They need a preferred empty match
// beside a non-empty one, a capture in a repeated group whose last
// iteration is empty, or a $ / /m ^ with more pattern after it at the end
// of the string; none appears in imapsync's documented recipes.
func TestKnownDifferences(t *testing.T) {
	runSubst(t, []substCase{
		// After an empty match Perl retries the same position for a
		// non-empty one; RE2 cannot ask for that, the search moves on.
		{"lazy optional", `s/x??/-/g`, "x", "-x-"},                 // Perl: "---"
		{"empty first branch", `s/^|a/-/g`, "ab", "-ab"},           // Perl: "--b"
		{"lazy star", `s/\d*?/-/g`, "12", "-1-2-"},                 // Perl: "-----"
		{"empty last iteration", `s/(a|b?)+/<$1>/`, "ab", "<b>"},   // Perl: "<>"
		{"nullable repeated group", `s/(a*)+/<$1>/`, "aa", "<aa>"}, // Perl: "<>"
		// \Z (and $) is translated as consuming the final "\n".
		{"atom after Z", `s/\Z./X/s`, "a\n", "a\n"}, // Perl: "aX"
		// RE2 takes the path with ^ after the final "\n", which is dropped.
		{"m caret at the end", `s/a(\n^)?/X/m`, "a\n", "a\n"}, // Perl: "X\n"
	})
}

// TestFastPath compares the linear run matcher with Go's regexp on random
// repeats of one class (Go's iteration equals Perl's for patterns that
// cannot match the empty string).
func TestFastPath(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	classes := []string{".", "a", "[ab]", "[^a]", `\s`, "(?i:a)", "(?s:.)", "é", "[^é]"}
	for k := 0; k < 3000; k++ {
		cls := classes[r.Intn(len(classes))]
		min := 1 + r.Intn(4)
		max := min + r.Intn(4)
		q := []string{"{" + itoa(min) + "}", "{" + itoa(min) + "," + itoa(max) + "}", "{" + itoa(min) + ",}", "+"}[r.Intn(4)]
		if r.Intn(4) == 0 {
			q += "?"
		}
		pat := cls + q
		if r.Intn(2) == 0 {
			pat = "(" + pat + ")"
		}
		expr := "s/" + pat + "/<$&>/"
		global := r.Intn(2) == 0
		if global {
			expr += "g"
		}
		s, err := ParseSubst(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if s.prog.fast == nil {
			t.Fatalf("%s: no fast path", expr)
		}
		re := regexp.MustCompile(pat)
		var in strings.Builder
		for n := r.Intn(14); n > 0; n-- {
			in.WriteString([]string{"a", "b", "A", " ", "\n", "é", "\xff"}[r.Intn(7)])
		}
		want := re.ReplaceAllString(in.String(), "<$0>")
		if !global {
			want = in.String()
			if loc := re.FindStringIndex(want); loc != nil {
				want = want[:loc[0]] + "<" + want[loc[0]:loc[1]] + ">" + want[loc[1]:]
			}
		}
		if got := s.Apply(in.String()); got != want {
			t.Errorf("%s on %q: got %q, want %q", expr, in.String(), got, want)
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }
