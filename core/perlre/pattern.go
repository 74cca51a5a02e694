package perlre

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxRepeat is the largest {n,m} count accepted (Perl's historical limit).
const maxRepeat = 65535

// goMaxRepeat is the largest count Go's regexp accepts in one {n,m};
// larger counts are split into consecutive chunks.
const goMaxRepeat = 1000

// Character sets for Perl escapes RE2 lacks (bodies of a bracketed class).
const (
	vertSpace  = `\n\x{0B}\f\r\x{85}\x{2028}\x{2029}`
	horizText  = `\t \x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}`
	horizBytes = `\t \x{A0}`
)

// frame is an open group.
type frame struct {
	outer  regexFlags // flags to restore at ")"
	start  int        // output offset of "("
	groups int        // Go capture groups emitted before it
}

// translation is the result of translating one Perl pattern.
type translation struct {
	pattern  string         // RE2 syntax
	userGo   []int          // Perl group n → Go group index (userGo[0] = 0)
	names    map[string]int // named group → Perl group number
	dollars  []int          // Go groups that capture the "\n" a Perl $ stands before
	carets   []int          // Go groups marking where a /m ^ matched
	goGroups int            // capture groups in pattern
}

type translator struct {
	expr   string
	src    string
	pos    int
	out    strings.Builder
	bytes  bool // Perl byte semantics: every raw byte of src is one character
	interp bool // Perl interpolation rules: "$name" is a variable
	fl     regexFlags
	stack  []frame
	total  int // Perl capture groups in the whole pattern (for \10 vs octal)

	afterQuant     bool // the last token was a quantifier ("a+{2}" is an error)
	lastAtom       int  // output offset of the last quantifiable atom, -1 if none
	lastAtomGroups int  // Go groups emitted before that atom
	goGroups       int
	tr             translation
}

// translate turns a Perl pattern into RE2 syntax. bytes selects Perl byte
// semantics for raw non-ASCII text in the pattern; interp applies Perl's
// interpolation rules (false for bare patterns and the ' delimiter).
func translate(expr, src string, fl regexFlags, bytes, interp bool) (translation, error) {
	t := &translator{expr: expr, src: src, bytes: bytes, interp: interp, fl: fl, lastAtom: -1}
	t.tr.userGo = []int{0}
	t.total = countGroups(src)
	if fl.i {
		t.out.WriteString("(?i)")
	}
	if err := t.run(); err != nil {
		return translation{}, err
	}
	t.tr.pattern = t.out.String()
	t.tr.goGroups = t.goGroups
	return t.tr, nil
}

func (t *translator) unsupported(feature, construct string) error {
	return unsupported(t.expr, feature, construct)
}

func (t *translator) syntax(msg string) error { return syntaxErr(t.expr, msg) }

// atom starts a quantifiable atom at the current output offset.
func (t *translator) atom(s string) {
	t.lastAtom = t.out.Len()
	t.lastAtomGroups = t.goGroups
	t.out.WriteString(s)
}

// hidden emits a Go-only capture group (an atom) and returns its index.
func (t *translator) hidden(s string) int {
	t.atom(s)
	t.goGroups++
	return t.goGroups
}

func (t *translator) run() error {
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		if t.fl.x {
			if isSpace(c) {
				t.pos++
				continue
			}
			if c == '#' {
				for t.pos < len(t.src) && t.src[t.pos] != '\n' {
					t.pos++
				}
				continue
			}
		}
		var err error
		quant := false
		switch c {
		case '\\':
			err = t.escape()
		case '[':
			err = t.class()
		case '(':
			err = t.group()
		case ')':
			if len(t.stack) == 0 {
				return t.syntax(`unmatched ")" in the pattern`)
			}
			f := t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.out.WriteByte(')')
			t.fl = f.outer
			t.lastAtom, t.lastAtomGroups = f.start, f.groups
			t.pos++
		case '|':
			t.out.WriteByte('|')
			t.lastAtom = -1
			t.pos++
		case '.':
			if t.fl.s {
				t.atom(`(?s:.)`)
			} else {
				t.atom(`.`)
			}
			t.pos++
		case '^':
			t.pos++
			if t.fl.m {
				// Perl's /m ^ does not match after a final "\n"; the marker
				// group lets the matcher reject that case.
				t.tr.carets = append(t.tr.carets, t.hidden(`(?:(?m:^)())`))
			} else {
				t.atom(`^`)
			}
		case '$':
			err = t.dollar()
		case '*', '+', '?':
			err = t.quantifier()
			quant = true
		case '{':
			if t.lastAtom >= 0 && isQuantifier(t.src[t.pos:]) {
				err = t.quantifier()
				quant = true
			} else if t.afterQuant && isQuantifier(t.src[t.pos:]) {
				err = t.syntax(`nested quantifiers`)
			} else {
				t.atom(`\{`)
				t.pos++
			}
		default:
			r, w := t.char(t.pos)
			t.pos += w
			t.atom(litRune(r))
		}
		if err != nil {
			return err
		}
		t.afterQuant = quant
	}
	if len(t.stack) > 0 {
		return t.syntax(`missing ")" in the pattern`)
	}
	return nil
}

// char decodes the character at i: one byte in byte mode, one UTF-8
// sequence otherwise (an invalid byte is U+FFFD, as Go's matcher sees it).
func (t *translator) char(i int) (rune, int) {
	c := t.src[i]
	if c < utf8.RuneSelf || t.bytes {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(t.src[i:])
}

// litRune is r as an RE2 literal (ASCII only output).
func litRune(r rune) string {
	switch {
	case r < 0x20 || r >= 0x7f:
		return fmt.Sprintf(`\x{%X}`, r)
	case strings.ContainsRune(`\.+*?()|[]{}^$`, r):
		return `\` + string(r)
	}
	return string(r)
}

// dollar handles "$": an anchor, or (in interpolating contexts) a Perl
// variable, which is refused.
func (t *translator) dollar() error {
	// Perl's lexer: "$" before ( ) | a blank or the end is not a variable.
	if t.interp && t.pos+1 < len(t.src) && !strings.ContainsRune("()| \r\n\t", rune(t.src[t.pos+1])) {
		return t.unsupported("Perl variable interpolation", varName(t.src[t.pos:]))
	}
	t.pos++
	t.endAnchor()
	return nil
}

// endAnchor emits Perl's $: with /m, before any "\n" or at the end;
// without, at the end or before a final "\n", which RE2 must consume: a
// hidden group captures it so that the match can be cut back (\Z uses
// the same group whatever /m says).
func (t *translator) endAnchor() {
	if t.fl.m {
		t.atom(`(?m:$)`)
		return
	}
	t.tr.dollars = append(t.tr.dollars, t.hidden(`(?:\z|(\n)\z)`))
}

// varName extracts a Perl variable name starting at "$" for messages.
func varName(s string) string {
	if len(s) < 2 {
		return s
	}
	if s[1] == '{' {
		if i := strings.IndexByte(s, '}'); i > 0 {
			return s[:i+1]
		}
		return s[:2]
	}
	i := 1
	for i < len(s) && (isWordByte(s[i]) || s[i] == ':') {
		i++
	}
	if i == 1 {
		_, w := utf8.DecodeRuneInString(s[1:])
		i += w
	}
	return s[:i]
}
