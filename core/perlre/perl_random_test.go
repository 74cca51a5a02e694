package perlre

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
)

// randPattern builds a random Perl pattern from constructs imapshift
// supports, and reports whether it can match the empty string and whether
// it ends with $ or \Z. It avoids the shapes of TestKnownDifferences: a
// preferred empty path beside a non-empty one (lazy quantifiers, a
// nullable branch before another), repeated groups that can match empty or
// contain captures, an atom after $ or \Z, and a /m ^ the rest of the
// pattern could follow at the very end.
func randPattern(r *rand.Rand, depth int) (pattern string, nullable, anchored bool) {
	var b strings.Builder
	nullable = true
	n := 1 + r.Intn(3)
	for k := 0; k < n; k++ {
		var atom string
		quantifiable, atomNull, last := true, false, false
		switch x := r.Intn(20); {
		case x < 6:
			atom = string("ab.A \n"[r.Intn(6)])
			switch atom {
			case " ": // a bare blank would vanish under /x
				atom = []string{`\ `, `[ ]`}[r.Intn(2)]
			case ".":
				if r.Intn(2) == 0 {
					atom = `\.`
				}
			case "\n":
				atom = `\n`
			}
		case x < 9:
			atom = []string{`[ab]`, `[^a]`, `[a-c\n]`, `[^\s]`, `[.]`, `[[:alpha:]]`}[r.Intn(6)]
		case x < 12:
			atom = []string{`\s`, `\w`, `\d`, `\W`, `\S`, `\h`, `\v`, `\N`, `\R`}[r.Intn(9)]
		case x < 14:
			atom = []string{`^`, `(?:$)`, `\b`, `\B`, `\A`, `\z`, `\Z`}[r.Intn(7)]
			quantifiable, atomNull = false, true
			last = atom == `(?:$)` || atom == `\Z`
			if atom == `^` { // keep a /m ^ off the end of the string
				atom += []string{"a", `\n`, "[ab]", `\S`}[r.Intn(4)]
				atomNull = false
			}
		case x < 16 && depth > 0:
			sub, null, anch := randPattern(r, depth-1)
			atom, atomNull, last = "("+sub+")", null, anch
			quantifiable = !strings.Contains(sub, "(")
		case x < 18 && depth > 0:
			sub, null, anch := randPattern(r, depth-1)
			atom, atomNull, last = []string{"(?:", "(?i:", "(?s:", "(?m:", "(?x:"}[r.Intn(5)]+sub+")", null, anch
			quantifiable = !strings.Contains(sub, "(")
		case x < 19 && depth > 0:
			a, an, aa := randPattern(r, depth-1)
			for an {
				a, an, aa = randPattern(r, depth-1)
			}
			c, cn, ca := randPattern(r, depth-1)
			atom, atomNull, last = "("+a+"|"+c+")", cn, aa || ca
			quantifiable = !strings.Contains(a+c, "(")
		default:
			atom = "."
		}
		b.WriteString(atom)
		if quantifiable && !atomNull && !last && r.Intn(3) == 0 {
			q := []string{"*", "+", "?", "{1,2}", "{2}", "{0,}"}[r.Intn(6)]
			b.WriteString(q)
			atomNull = q == "*" || q == "?" || q == "{0,}"
		}
		nullable = nullable && atomNull
		if last {
			anchored = true
			break
		}
	}
	if depth > 1 && !nullable && r.Intn(4) == 0 {
		alt, an, aa := randPattern(r, depth-1)
		return b.String() + "|" + alt, an, anchored || aa
	}
	return b.String(), nullable, anchored
}

func randReplacement(r *rand.Rand) string {
	parts := []string{"<", ">", "$&", "$1", "${2}", `\U$1\E`, `\u$&`, `\L$&`, "-", `\n`, "$+", "$`", "$'"}
	var b strings.Builder
	for k := r.Intn(4); k >= 0; k-- {
		b.WriteString(parts[r.Intn(len(parts))])
	}
	return b.String()
}

func randInput(r *rand.Rand) string {
	const alpha = "abA .\n\n_1é"
	n := r.Intn(10)
	var b strings.Builder
	for k := 0; k < n; k++ {
		i := r.Intn(len(alpha))
		if alpha[i] >= 0x80 {
			b.WriteString("é")
			continue
		}
		b.WriteByte(alpha[i])
	}
	return b.String()
}

// TestRandomAgainstPerl compares ApplyBytes with perl on random
// substitutions built from the supported constructs.
func TestRandomAgainstPerl(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed")
	}
	r := rand.New(rand.NewSource(1))
	n := 4000
	if testing.Short() {
		n = 500
	}
	type job struct{ expr, in, ours string }
	var jobs []job
	var in bytes.Buffer
	for len(jobs) < n {
		flags := ""
		for _, f := range "gimsx" {
			if r.Intn(3) == 0 {
				flags += string(f)
			}
		}
		pat, _, _ := randPattern(r, 2)
		expr := "s/" + pat + "/" + randReplacement(r) + "/" + flags
		s, err := ParseSubst(expr)
		if err != nil {
			continue // e.g. "$\v" is the Perl variable $\ followed by "v"
		}
		for k := 0; k < 3; k++ {
			input := randInput(r)
			jobs = append(jobs, job{expr, input, "R " + hex.EncodeToString(s.ApplyBytes([]byte(input)))})
			fmt.Fprintf(&in, "s %s %s\n", hex.EncodeToString([]byte(expr)), hex.EncodeToString([]byte(input)))
		}
	}
	cmd := exec.Command(perl, "-e", perlHarness)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	fails := 0
	for _, j := range jobs {
		if !sc.Scan() {
			t.Fatal("perl output ended early")
		}
		if got := sc.Text(); got != j.ours {
			if fails++; fails <= 30 {
				t.Errorf("%s on %q: perl %s, imapshift %s", j.expr, j.in, decode(got), decode(j.ours))
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d differ", fails, len(jobs))
	}
}
