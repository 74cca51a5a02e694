package perlre

import (
	"strings"
)

// quoted is a Perl quote-like operator split into its parts.
type quoted struct {
	op     string   // "s", "m" or "tr" (y is tr)
	parts  []string // pattern [, replacement]; delimiter escapes resolved
	delims []byte   // opening delimiter of each part
	flags  string
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func closing(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return open
}

// validDelim reports whether c can open a quote-like part. Perl also
// accepts word characters after whitespace (s xaxbx); imapshift does not.
func validDelim(c byte, afterSpace bool) bool {
	if c >= 0x80 || isWordByte(c) || isSpace(c) {
		return false
	}
	return !(afterSpace && c == '#')
}

// splitOp recognises the operator at the start of s ("s", "m", "tr", "y"
// or a bare "/") and returns it with the index of the opening delimiter.
// ok is false when s does not start with a quote-like operator.
func splitOp(s string) (op string, at int, ok bool) {
	if s == "" {
		return "", 0, false
	}
	if s[0] == '/' {
		return "m", 0, true
	}
	var n int
	switch {
	case strings.HasPrefix(s, "tr"):
		op, n = "tr", 2
	case s[0] == 'y':
		op, n = "tr", 1
	case s[0] == 's':
		op, n = "s", 1
	case s[0] == 'm':
		op, n = "m", 1
	default:
		return "", 0, false
	}
	i := n
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || !validDelim(s[i], i > n) {
		return "", 0, false
	}
	return op, i, true
}

// readPart reads one delimited part starting at the opening delimiter
// s[i]. It returns the body and the index after the closing delimiter.
//
// A backslash before the delimiter (open or close) is dropped, except in
// patterns with paired delimiters (m{a\}b} keeps "a\}b": the regex engine
// must tell an escaped bracket from a structural one). "\\" is kept as is;
// with "\" as delimiter there is no escaping at all. Paired delimiters nest.
func readPart(expr, s string, i int, pattern bool) (string, int, error) {
	open := s[i]
	close := closing(open)
	paired := open != close
	keep := paired && pattern
	var b strings.Builder
	depth := 0
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		if c == '\\' && open != '\\' && j+1 < len(s) {
			n := s[j+1]
			if (n == open || n == close) && !keep {
				b.WriteByte(n)
			} else {
				b.WriteByte(c)
				b.WriteByte(n)
			}
			j++
			continue
		}
		switch {
		case paired && c == open:
			depth++
		case c == close && depth > 0:
			depth--
		case c == close:
			return b.String(), j + 1, nil
		}
		b.WriteByte(c)
	}
	return "", 0, syntaxErr(expr, "missing closing delimiter "+quoteByte(close))
}

func quoteByte(c byte) string { return `"` + string(rune(c)) + `"` }

// skipGap skips whitespace and #-comments between the two bracketed parts
// of s{}{} or tr{}{}.
func skipGap(s string, i int) int {
	for i < len(s) {
		switch {
		case isSpace(s[i]):
			i++
		case s[i] == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// parseQuoteLike splits a Perl m//, s/// or tr/// expression. Leading and
// trailing whitespace and one trailing ";" are ignored, as by Perl's eval.
func parseQuoteLike(expr string) (quoted, error) {
	s := strings.TrimSpace(expr)
	s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	op, i, ok := splitOp(s)
	if !ok {
		return quoted{}, syntaxErr(expr, "not a Perl s///, tr/// or m// expression")
	}
	q := quoted{op: op}
	nparts := 1
	if op != "m" {
		nparts = 2
	}
	for p := 0; p < nparts; p++ {
		if p == 1 && closing(q.delims[0]) != q.delims[0] {
			i = skipGap(s, i)
			if i >= len(s) || !validDelim(s[i], false) {
				return quoted{}, syntaxErr(expr, "missing replacement part")
			}
		} else if p == 1 {
			i-- // the closing delimiter of the pattern opens the replacement
		}
		body, next, err := readPart(expr, s, i, p == 0 && op != "tr")
		if err != nil {
			return quoted{}, err
		}
		q.parts = append(q.parts, body)
		q.delims = append(q.delims, s[i])
		i = next
	}
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	q.flags = s[i:j]
	if rest := strings.TrimSpace(s[j:]); rest != "" {
		return quoted{}, syntaxErr(expr, "unexpected text after the expression: "+rest)
	}
	return q, nil
}

// regexFlags are the modifiers that matter to a pattern.
type regexFlags struct {
	i, m, s, x, xx bool
}

// parseRegexFlags validates the modifiers of m// (subst false) or s///.
func parseRegexFlags(expr, flags string, subst bool) (rf regexFlags, global bool, err error) {
	xs := 0
	for k := 0; k < len(flags); k++ {
		c := flags[k]
		switch c {
		case 'i':
			rf.i = true
		case 'm':
			rf.m = true
		case 's':
			rf.s = true
		case 'x':
			xs++
		case 'g':
			global = true
		case 'o':
			// compile once: meaningless here
		case 'c':
			if subst {
				return rf, false, syntaxErr(expr, `the /c modifier is meaningless in s///`)
			}
		case 'e':
			if !subst {
				return rf, false, syntaxErr(expr, `unknown modifier "/e" for m//`)
			}
			return rf, false, &UnsupportedError{Expr: expr, Feature: "Perl code evaluation (/e)", Code: true}
		case 'r':
			if !subst {
				return rf, false, syntaxErr(expr, `unknown modifier "/r" for m//`)
			}
			return rf, false, unsupported(expr, "the non-destructive substitution modifier", "/r")
		case 'n', 'p', 'a', 'd', 'l', 'u':
			return rf, false, unsupported(expr, "the regex modifier", "/"+string(c))
		default:
			return rf, false, syntaxErr(expr, `unknown modifier "/`+string(c)+`"`)
		}
	}
	if xs > 2 {
		return rf, false, syntaxErr(expr, `the modifier "/x" may appear at most twice`)
	}
	rf.x = xs > 0
	rf.xx = xs > 1
	return rf, global, nil
}
