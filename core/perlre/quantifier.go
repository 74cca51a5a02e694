package perlre

import (
	"fmt"
	"strings"
)

// isQuantifier reports whether s starts with {n}, {n,} or {n,m}.
func isQuantifier(s string) bool {
	_, _, n := parseBraces(s)
	return n > 0
}

// parseBraces parses {n}, {n,} or {n,m} at the start of s; n is the length
// consumed (0 if s does not start with a quantifier). max is -1 for {n,}.
// Counts above maxRepeat are returned as maxRepeat+1.
func parseBraces(s string) (min, max, n int) {
	if len(s) < 3 || s[0] != '{' {
		return 0, 0, 0
	}
	num := func(i int) (int, int) {
		v, j := 0, i
		for j < len(s) && isDigit(s[j]) {
			if v <= maxRepeat {
				v = v*10 + int(s[j]-'0')
			}
			j++
		}
		return v, j
	}
	min, i := num(1)
	if i == 1 {
		return 0, 0, 0
	}
	if i < len(s) && s[i] == '}' {
		return min, min, i + 1
	}
	if i >= len(s) || s[i] != ',' {
		return 0, 0, 0
	}
	max, j := num(i + 1)
	if j == i+1 {
		max = -1
	}
	if j >= len(s) || s[j] != '}' {
		return 0, 0, 0
	}
	return min, max, j + 1
}

func (t *translator) quantifier() error {
	start := t.pos
	var min, max int
	switch t.src[t.pos] {
	case '*':
		min, max = 0, -1
		t.pos++
	case '+':
		min, max = 1, -1
		t.pos++
	case '?':
		min, max = 0, 1
		t.pos++
	default:
		var n int
		min, max, n = parseBraces(t.src[t.pos:])
		t.pos += n
	}
	lazy := false
	if t.pos < len(t.src) {
		switch t.src[t.pos] {
		case '?':
			lazy = true
			t.pos++
		case '+':
			return t.unsupported("possessive quantifier", t.src[start:t.pos+1])
		}
	}
	if t.lastAtom < 0 {
		return t.syntax(`quantifier "` + t.src[start:t.pos] + `" follows nothing`)
	}
	if min > maxRepeat || max > maxRepeat {
		return t.syntax(fmt.Sprintf("repeat count above %d", maxRepeat))
	}
	if max >= 0 && max < min {
		return t.syntax(`can't do {n,m} with n > m`)
	}
	lz := ""
	if lazy {
		lz = "?"
	}
	if min <= goMaxRepeat && max <= goMaxRepeat {
		switch {
		case min == 0 && max == -1:
			t.out.WriteString("*" + lz)
		case min == 1 && max == -1:
			t.out.WriteString("+" + lz)
		case min == 0 && max == 1:
			t.out.WriteString("?" + lz)
		case max == -1:
			fmt.Fprintf(&t.out, "{%d,}%s", min, lz)
		case min == max:
			fmt.Fprintf(&t.out, "{%d}%s", min, lz)
		default:
			fmt.Fprintf(&t.out, "{%d,%d}%s", min, max, lz)
		}
		t.lastAtom = -1
		return nil
	}
	// Go refuses counts above 1000, even nested: write consecutive chunks.
	if t.goGroups != t.lastAtomGroups {
		return t.unsupported("a repeat count above 1000 on a capturing group", t.src[start:t.pos])
	}
	s := t.out.String()
	atom := "(?:" + s[t.lastAtom:] + ")"
	var b strings.Builder
	b.WriteString(s[:t.lastAtom])
	for n := min; n > 0; {
		k := n
		if k > goMaxRepeat {
			k = goMaxRepeat
		}
		fmt.Fprintf(&b, "%s{%d}", atom, k)
		n -= k
	}
	if max < 0 {
		b.WriteString(atom + "*" + lz)
	}
	for n := max - min; max >= 0 && n > 0; {
		k := n
		if k > goMaxRepeat {
			k = goMaxRepeat
		}
		fmt.Fprintf(&b, "%s{0,%d}%s", atom, k, lz)
		n -= k
	}
	t.out.Reset()
	t.out.WriteString(b.String())
	t.lastAtom = -1
	return nil
}
