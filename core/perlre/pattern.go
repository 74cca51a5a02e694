package perlre

import (
	"fmt"
	"strconv"
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

// group handles "(" and every "(?..." / "(*..." construct.
func (t *translator) group() error {
	rest := t.src[t.pos:]
	// push opens a group; capture adds a Go (and Perl) capture group.
	push := func(open string, n int, capture bool) {
		t.stack = append(t.stack, frame{outer: t.fl, start: t.out.Len(), groups: t.goGroups})
		if capture {
			t.goGroups++
			t.tr.userGo = append(t.tr.userGo, t.goGroups)
		}
		t.out.WriteString(open)
		t.pos += n
		t.lastAtom = -1 // "( ?)" under /x: nothing to repeat yet
	}
	if strings.HasPrefix(rest, "(*") {
		if strings.HasPrefix(rest, "(*{") {
			return &UnsupportedError{Expr: t.expr, Feature: "embedded Perl code", Construct: "(*{", Code: true}
		}
		end := strings.IndexAny(rest, ":)")
		name := rest
		if end > 0 {
			name = rest[:end+1]
		}
		lname := strings.ToLower(name)
		for _, p := range []string{"(*pla:", "(*nla:", "(*positive_lookahead:", "(*negative_lookahead:"} {
			if lname == p {
				return t.unsupported("look-ahead", name)
			}
		}
		for _, p := range []string{"(*plb:", "(*nlb:", "(*positive_lookbehind:", "(*negative_lookbehind:"} {
			if lname == p {
				return t.unsupported("look-behind", name)
			}
		}
		if lname == "(*atomic:" {
			return t.unsupported("atomic group", name)
		}
		return t.unsupported("backtracking control verb", name)
	}
	if !strings.HasPrefix(rest, "(?") {
		push("(", 1, true)
		return nil
	}
	r := rest[2:]
	switch {
	case r == "":
		return t.syntax(`"(?" at the end of the pattern`)
	case r[0] == '#':
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return t.syntax(`unterminated "(?#" comment`)
		}
		t.pos += end + 1
		return nil
	case r[0] == ':':
		push("(?:", 3, false)
		return nil
	case r[0] == '=' || r[0] == '!':
		return t.unsupported("look-ahead", rest[:3])
	case strings.HasPrefix(r, "<=") || strings.HasPrefix(r, "<!"):
		return t.unsupported("look-behind", rest[:4])
	case r[0] == '>':
		return t.unsupported("atomic group", "(?>")
	case r[0] == '|':
		return t.unsupported("branch reset group", "(?|")
	case r[0] == '{':
		return &UnsupportedError{Expr: t.expr, Feature: "embedded Perl code", Construct: "(?{", Code: true}
	case strings.HasPrefix(r, "?{"):
		return &UnsupportedError{Expr: t.expr, Feature: "embedded Perl code", Construct: "(??{", Code: true}
	case r[0] == '(':
		return t.unsupported("conditional group", "(?(")
	case strings.HasPrefix(r, "P="):
		return t.unsupported("back-reference", closeAt(rest, ')'))
	case strings.HasPrefix(r, "P>") || r[0] == '&' || r[0] == 'R' || isDigit(r[0]) ||
		(r[0] == '+' || r[0] == '-') && len(r) > 1 && isDigit(r[1]):
		return t.unsupported("recursion", closeAt(rest, ')'))
	case r[0] == '<' || r[0] == '\'' || strings.HasPrefix(r, "P<"):
		open, close := 3, byte('>')
		if r[0] == '\'' {
			close = '\''
		} else if r[0] == 'P' {
			open = 4
		}
		end := strings.IndexByte(rest[open:], close)
		if end < 0 {
			return t.syntax(`unterminated group name in "` + rest[:open] + `"`)
		}
		name := rest[open : open+end]
		if !validName(name) {
			return t.syntax(`invalid group name "` + name + `"`)
		}
		if _, dup := t.tr.names[name]; dup {
			return t.unsupported("a repeated group name", name)
		}
		push("(?P<"+name+">", open+end+1, true)
		if t.tr.names == nil {
			t.tr.names = map[string]int{}
		}
		t.tr.names[name] = len(t.tr.userGo) - 1
		return nil
	}
	return t.flagGroup(rest)
}

func closeAt(s string, c byte) string {
	if i := strings.IndexByte(s, c); i >= 0 {
		return s[:i+1]
	}
	return s
}

func validName(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

// flagGroup handles (?imsx-imsx), (?^imsx) and their (?flags:...) forms.
func (t *translator) flagGroup(rest string) error {
	fl := t.fl
	i := 2
	neg, caret := false, false
	if i < len(rest) && rest[i] == '^' {
		caret = true
		fl = regexFlags{}
		i++
	}
	xs := 0
	for ; i < len(rest); i++ {
		c := rest[i]
		switch c {
		case ')', ':':
			if xs > 0 {
				fl.x = !neg
				fl.xx = !neg && xs > 1
			}
			open := ""
			if fl.i != t.fl.i {
				if fl.i {
					open = "i"
				} else {
					open = "-i"
				}
			}
			if c == ')' {
				if open != "" {
					t.out.WriteString("(?" + open + ")")
				}
			} else {
				t.stack = append(t.stack, frame{outer: t.fl, start: t.out.Len(), groups: t.goGroups})
				t.out.WriteString("(?" + open + ":")
			}
			t.fl = fl
			t.pos += i + 1
			t.lastAtom = -1
			return nil
		case '-':
			if neg || caret {
				return t.syntax(`misplaced "-" in "` + closeAt(rest, ')') + `"`)
			}
			neg = true
		case 'i':
			fl.i = !neg
		case 'm':
			fl.m = !neg
		case 's':
			fl.s = !neg
		case 'x':
			xs++
		case 'n', 'p', 'a', 'd', 'l', 'u', 'o':
			return t.unsupported("the regex modifier", "(?"+string(c))
		default:
			return t.syntax(`unknown group syntax "` + closeAt(rest, ')') + `"`)
		}
	}
	return t.syntax(`unterminated group "` + rest + `"`)
}

// countGroups counts Perl capture groups (numbered and named), roughly.
func countGroups(src string) int {
	n, inClass := 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(src) && src[i+1] == '^' {
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' {
				i++
			}
		case c == '(':
			r := src[i+1:]
			switch {
			case strings.HasPrefix(r, "?<=") || strings.HasPrefix(r, "?<!"):
			case strings.HasPrefix(r, "?<") || strings.HasPrefix(r, "?'") || strings.HasPrefix(r, "?P<"):
				n++
			case strings.HasPrefix(r, "?") || strings.HasPrefix(r, "*"):
			default:
				n++
			}
		}
	}
	return n
}

// escape handles a backslash outside a character class.
func (t *translator) escape() error {
	if t.pos+1 >= len(t.src) {
		return t.syntax("trailing backslash in the pattern")
	}
	c := t.src[t.pos+1]
	esc := t.src[t.pos : t.pos+2]
	t.pos += 2
	switch c {
	case 'Q':
		end := strings.Index(t.src[t.pos:], `\E`)
		inner := t.src[t.pos:]
		if end >= 0 {
			inner = inner[:end]
			t.pos += end + 2
		} else {
			t.pos = len(t.src)
		}
		for i := 0; i < len(inner); {
			r, w := rune(inner[i]), 1
			if r >= utf8.RuneSelf && !t.bytes {
				r, w = utf8.DecodeRuneInString(inner[i:])
			}
			t.atom(litRune(r))
			i += w
		}
	case 'E':
	case 'A', 'z', 'B':
		t.atom(esc)
	case 'b':
		if t.pos < len(t.src) && t.src[t.pos] == '{' {
			return t.unsupported("Unicode boundary", closeAt(t.src[t.pos-2:], '}'))
		}
		t.atom(esc)
	case 'Z':
		// \Z ignores /m: end of string or before a final "\n".
		t.tr.dollars = append(t.tr.dollars, t.hidden(`(?:\z|(\n)\z)`))
	case 'G':
		return t.unsupported("the \\G anchor", esc)
	case 'K':
		return t.unsupported("keep-left \\K", esc)
	case 'X':
		return t.unsupported("grapheme cluster", esc)
	case 'C':
		return t.unsupported("single byte \\C", esc)
	case 'd', 'D', 'w', 'W':
		t.atom(esc)
	case 's':
		t.atom(`[[:space:]]`)
	case 'S':
		t.atom(`[[:^space:]]`)
	case 'h':
		t.atom("[" + t.horiz() + "]")
	case 'H':
		t.atom("[^" + t.horiz() + "]")
	case 'v':
		t.atom("[" + vertSpace + "]")
	case 'V':
		t.atom("[^" + vertSpace + "]")
	case 'R':
		t.atom(`(?:\r\n|[` + vertSpace + `])`)
	case 'N':
		if t.pos < len(t.src) && t.src[t.pos] == '{' && !isQuantifier(t.src[t.pos:]) {
			r, err := t.namedChar()
			if err != nil {
				return err
			}
			t.atom(litRune(r))
			return nil
		}
		t.atom(`[^\n]`)
	case 'p', 'P':
		arg := ""
		if t.pos < len(t.src) && t.src[t.pos] == '{' {
			end := strings.IndexByte(t.src[t.pos:], '}')
			if end < 0 {
				return t.syntax(`unterminated "` + esc + `{"`)
			}
			arg = t.src[t.pos : t.pos+end+1]
		} else if t.pos < len(t.src) {
			arg = t.src[t.pos : t.pos+1]
		}
		t.pos += len(arg)
		t.atom(esc + arg)
	case 'g':
		return t.unsupported("back-reference", backrefText(t.src[t.pos-2:]))
	case 'k':
		return t.unsupported("back-reference", backrefText(t.src[t.pos-2:]))
	case 'l', 'u', 'L', 'U', 'F':
		return t.unsupported("case modification in a pattern", esc)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		j := t.pos
		for j < len(t.src) && isDigit(t.src[j]) {
			j++
		}
		digits := t.src[t.pos-1 : j]
		n, _ := strconv.Atoi(digits)
		if len(digits) == 1 || n <= t.total {
			return t.unsupported("back-reference", `\`+digits)
		}
		if c == '8' || c == '9' {
			return t.syntax(`reference to nonexistent group "\` + digits + `"`)
		}
		t.pos--
		t.atom(litRune(t.octal(3)))
	default:
		r, err := t.charEscape(c)
		if err != nil {
			return err
		}
		t.atom(litRune(r))
	}
	return nil
}

func backrefText(s string) string {
	if len(s) > 2 && strings.ContainsRune("{<'", rune(s[2])) {
		return closeAt(s, map[byte]byte{'{': '}', '<': '>', '\'': '\''}[s[2]])
	}
	i := 2
	if i < len(s) && s[i] == '-' {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}

func (t *translator) horiz() string {
	if t.bytes {
		return horizBytes
	}
	return horizText
}

// octal reads up to max octal digits at t.pos.
func (t *translator) octal(max int) rune {
	v := rune(0)
	for k := 0; k < max && t.pos < len(t.src) && t.src[t.pos] >= '0' && t.src[t.pos] <= '7'; k++ {
		v = v*8 + rune(t.src[t.pos]-'0')
		t.pos++
	}
	return v
}

// charEscape handles escapes that stand for one character (shared by
// patterns and classes); t.pos is after the escaped character c.
func (t *translator) charEscape(c byte) (rune, error) {
	switch c {
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'f':
		return '\f', nil
	case 'e':
		return 0x1b, nil
	case 'a':
		return 0x07, nil
	case '0':
		t.pos--
		return t.octal(3), nil
	case 'o':
		if t.pos >= len(t.src) || t.src[t.pos] != '{' {
			return 0, t.syntax(`missing braces on \o{}`)
		}
		end := strings.IndexByte(t.src[t.pos:], '}')
		if end < 0 {
			return 0, t.syntax(`missing right brace on \o{}`)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(t.src[t.pos+1:t.pos+end]), 8, 21)
		if err != nil || v > utf8.MaxRune {
			return 0, t.syntax(`invalid \o{} escape`)
		}
		t.pos += end + 1
		return rune(v), nil
	case 'x':
		return t.hex()
	case 'c':
		if t.pos >= len(t.src) {
			return 0, t.syntax(`missing control character after \c`)
		}
		x := t.src[t.pos]
		t.pos++
		if x >= 'a' && x <= 'z' {
			x -= 'a' - 'A'
		}
		return rune(x ^ 64), nil
	case 'N':
		return t.namedChar()
	}
	r, w := t.char(t.pos - 1)
	t.pos += w - 1
	return r, nil // unrecognized escapes stand for the character itself
}

func (t *translator) hex() (rune, error) {
	s := t.src[t.pos:]
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0, t.syntax(`missing right brace on \x{}`)
		}
		h := strings.TrimSpace(strings.ReplaceAll(s[1:end], "_", ""))
		t.pos += end + 1
		if h == "" {
			return 0, nil
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil || v > utf8.MaxRune {
			return 0, t.syntax(`invalid \x{} escape`)
		}
		return rune(v), nil
	}
	v, k := rune(0), 0
	for k < 2 && k < len(s) && isHex(s[k]) {
		v = v*16 + rune(hexVal(s[k]))
		k++
	}
	t.pos += k
	return v, nil
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// namedChar reads {U+hex} after \N; named characters are refused.
func (t *translator) namedChar() (rune, error) {
	s := t.src[t.pos:]
	end := strings.IndexByte(s, '}')
	if !strings.HasPrefix(s, "{") || end < 0 {
		return 0, t.syntax(`missing braces on \N{}`)
	}
	name := s[1:end]
	if !strings.HasPrefix(name, "U+") {
		return 0, t.unsupported("named character", `\N`+s[:end+1])
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(name[2:], "_", ""), 16, 32)
	if err != nil || v > utf8.MaxRune {
		return 0, t.syntax(`invalid \N{U+...} escape`)
	}
	t.pos += end + 1
	return rune(v), nil
}

// class translates a bracketed character class.
func (t *translator) class() error {
	t.pos++
	var b strings.Builder
	b.WriteByte('[')
	if t.pos < len(t.src) && t.src[t.pos] == '^' {
		b.WriteByte('^')
		t.pos++
	}
	first := true
	prevSingle := false // the previous item is one character (a range may start)
	inRange := false    // a "-" range operator was just written
	for {
		if t.pos >= len(t.src) {
			return t.syntax(`unmatched "[" in the pattern`)
		}
		c := t.src[t.pos]
		if c == ']' && !first {
			t.pos++
			break
		}
		first = false
		if t.fl.xx && (c == ' ' || c == '\t') {
			t.pos++
			continue
		}
		single := true
		switch {
		case c == '[' && t.pos+1 < len(t.src) && strings.ContainsRune(":=.", rune(t.src[t.pos+1])):
			kind := t.src[t.pos+1]
			end := strings.Index(t.src[t.pos+2:], string(kind)+"]")
			if end < 0 {
				b.WriteString(`\[`)
				t.pos++
				break
			}
			body := t.src[t.pos : t.pos+2+end+2]
			if kind != ':' {
				return t.unsupported("POSIX collating element", body)
			}
			b.WriteString(body)
			t.pos += len(body)
			single = false
		case c == '-' && prevSingle && !inRange && t.singleAt(t.pos+1):
			b.WriteByte('-')
			t.pos++
			inRange = true
			prevSingle = false
			continue
		case c == '\\':
			item, one, err := t.classEscape()
			if err != nil {
				return err
			}
			b.WriteString(item)
			single = one
		default:
			r, w := t.char(t.pos)
			t.pos += w
			b.WriteString(classLit(r))
		}
		if inRange {
			inRange = false
			single = false // [a-c-e]: the second "-" is literal
		}
		prevSingle = single
	}
	b.WriteByte(']')
	t.atom(b.String())
	return nil
}

// singleAt reports whether the class item at i is one character, so that
// a "-" before it is a range operator (Perl treats "[a-\d]" as literal).
func (t *translator) singleAt(i int) bool {
	if i >= len(t.src) || t.src[i] == ']' {
		return false
	}
	if i+1 < len(t.src) {
		switch {
		case t.src[i] == '\\' && strings.IndexByte("dDwWsShHvVpPNRXCQE", t.src[i+1]) >= 0:
			return false
		case t.src[i] == '[' && strings.IndexByte(":=.", t.src[i+1]) >= 0:
			return false
		}
	}
	return true
}

func classLit(r rune) string {
	switch {
	case r < 0x20 || r >= 0x7f:
		return fmt.Sprintf(`\x{%X}`, r)
	case strings.ContainsRune(`\[]^-&~:`, r):
		return `\` + string(r)
	}
	return string(r)
}

// classEscape handles a backslash inside a class; one reports whether the
// item is a single character (usable as a range end).
func (t *translator) classEscape() (string, bool, error) {
	if t.pos+1 >= len(t.src) {
		return "", false, t.syntax(`unmatched "[" in the pattern`)
	}
	c := t.src[t.pos+1]
	esc := t.src[t.pos : t.pos+2]
	t.pos += 2
	switch c {
	case 'd', 'D', 'w', 'W':
		return esc, false, nil
	case 's':
		return `[:space:]`, false, nil
	case 'S':
		return `[:^space:]`, false, nil
	case 'h':
		return t.horiz(), false, nil
	case 'v':
		return vertSpace, false, nil
	case 'H', 'V', 'N', 'R', 'X', 'C', 'G', 'K', 'A', 'z', 'Z', 'B':
		return "", false, t.unsupported("this escape inside a character class", esc)
	case 'p', 'P':
		arg := ""
		if t.pos < len(t.src) && t.src[t.pos] == '{' {
			end := strings.IndexByte(t.src[t.pos:], '}')
			if end < 0 {
				return "", false, t.syntax(`unterminated "` + esc + `{"`)
			}
			arg = t.src[t.pos : t.pos+end+1]
		} else if t.pos < len(t.src) {
			arg = t.src[t.pos : t.pos+1]
		}
		t.pos += len(arg)
		return esc + arg, false, nil
	case 'Q', 'E':
		return "", false, nil
	case 'b':
		return classLit(0x08), true, nil
	case '1', '2', '3', '4', '5', '6', '7':
		t.pos--
		return classLit(t.octal(3)), true, nil
	case 'l', 'u', 'L', 'U', 'F':
		return "", false, t.unsupported("case modification in a pattern", esc)
	}
	r, err := t.charEscape(c)
	if err != nil {
		return "", false, err
	}
	return classLit(r), true, nil
}
