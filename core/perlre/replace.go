package perlre

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type pieceKind uint8

const (
	pLit   pieceKind = iota // literal text
	pGroup                  // $n, ${n}, \n, $&, $+{name}
	pPre                    // $`
	pPost                   // $'
	pLast                   // $+
	pCase                   // \U \L \F \Q \E \u \l
)

type piece struct {
	kind pieceKind
	lit  string // pLit, text semantics (UTF-8)
	litB string // pLit, byte semantics (raw bytes)
	n    int    // pGroup
	op   byte   // pCase
}

// template is a parsed s/// replacement (Perl double-quoted string).
type template struct {
	pieces  []piece
	hasCase bool
}

type tmplParser struct {
	expr   string
	r      string
	names  map[string]int
	t      template
	bufT   strings.Builder
	bufB   strings.Builder
	inLits bool
}

func (p *tmplParser) flush() {
	if p.inLits {
		p.t.pieces = append(p.t.pieces, piece{kind: pLit, lit: p.bufT.String(), litB: p.bufB.String()})
		p.bufT.Reset()
		p.bufB.Reset()
		p.inLits = false
	}
}

func (p *tmplParser) add(pc piece) {
	p.flush()
	if pc.kind == pCase {
		p.t.hasCase = true
	}
	p.t.pieces = append(p.t.pieces, pc)
}

// raw appends source bytes as they are.
func (p *tmplParser) raw(s string) {
	p.bufT.WriteString(s)
	p.bufB.WriteString(s)
	p.inLits = true
}

// code appends the character with code point cp (from an escape): UTF-8 in
// text semantics, one byte (if < 256) in byte semantics.
func (p *tmplParser) code(cp rune) {
	p.bufT.WriteRune(cp)
	if cp < 256 {
		p.bufB.WriteByte(byte(cp))
	} else {
		p.bufB.WriteRune(cp)
	}
	p.inLits = true
}

// parseReplacement parses the replacement part of s///. With interp false
// (a ' delimiter) it is taken literally.
func parseReplacement(expr, r string, interp bool, names map[string]int) (*template, error) {
	p := &tmplParser{expr: expr, r: r, names: names}
	if !interp {
		p.raw(r)
		p.flush()
		return &p.t, nil
	}
	for i := 0; i < len(r); {
		c := r[i]
		var err error
		switch c {
		case '\\':
			i, err = p.escape(i)
		case '$':
			i, err = p.variable(i)
		default:
			j := i + 1
			for j < len(r) && r[j] != '\\' && r[j] != '$' {
				j++
			}
			p.raw(r[i:j]) // "@name" is kept literally (Perl would interpolate an array)
			i = j
		}
		if err != nil {
			return nil, err
		}
	}
	p.flush()
	return &p.t, nil
}

func (p *tmplParser) escape(i int) (int, error) {
	r := p.r
	if i+1 >= len(r) {
		p.raw(`\`)
		return i + 1, nil
	}
	c := r[i+1]
	i += 2
	switch c {
	case 'n':
		p.code('\n')
	case 'r':
		p.code('\r')
	case 't':
		p.code('\t')
	case 'f':
		p.code('\f')
	case 'e':
		p.code(0x1b)
	case 'a':
		p.code(0x07)
	case 'b':
		p.code(0x08)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if i >= len(r) || !isDigit(r[i]) {
			p.add(piece{kind: pGroup, n: int(c - '0')}) // \1 is $1 in a replacement
			return i, nil
		}
		if c >= '8' {
			p.raw(string(c))
			return i, nil
		}
		fallthrough
	case '0':
		v, k := rune(0), i-1
		for n := 0; n < 3 && k < len(r) && r[k] >= '0' && r[k] <= '7'; n++ {
			v = v*8 + rune(r[k]-'0')
			k++
		}
		p.code(v)
		return k, nil
	case 'x', 'o', 'c', 'N':
		t := &translator{expr: p.expr, src: r, pos: i}
		v, err := t.charEscape(c)
		if err != nil {
			return 0, err
		}
		p.code(v)
		return t.pos, nil
	case 'L', 'U', 'F':
		// Perl swaps "\L\u" into "\u\L" (so "\L\u$1" capitalises).
		if i+1 < len(r) && r[i] == '\\' && (r[i+1] == 'u' || r[i+1] == 'l') {
			p.add(piece{kind: pCase, op: r[i+1]})
			p.add(piece{kind: pCase, op: c})
			return i + 2, nil
		}
		p.add(piece{kind: pCase, op: c})
	case 'u', 'l', 'Q', 'E':
		p.add(piece{kind: pCase, op: c})
	default:
		_, w := utf8.DecodeRuneInString(r[i-1:])
		p.raw(r[i-1 : i-1+w]) // \\ \$ \@ \/ and unknown escapes: the character
		return i - 1 + w, nil
	}
	return i, nil
}

func (p *tmplParser) variable(i int) (int, error) {
	r := p.r
	if i+1 >= len(r) {
		return 0, syntaxErr(p.expr, `final "$" should be \$ or $name`)
	}
	c := r[i+1]
	switch {
	case isDigit(c):
		j := i + 1
		for j < len(r) && isDigit(r[j]) {
			j++
		}
		if c == '0' && j == i+2 {
			return 0, unsupported(p.expr, "Perl variable interpolation", "$0")
		}
		p.add(piece{kind: pGroup, n: atoiCap(r[i+1 : j])})
		return j, nil
	case c == '{':
		end := strings.IndexByte(r[i:], '}')
		if end < 0 {
			return 0, syntaxErr(p.expr, `missing "}" after "${"`)
		}
		inner := r[i+2 : i+end]
		if inner != "" && strings.Trim(inner, "0123456789") == "" {
			p.add(piece{kind: pGroup, n: atoiCap(inner)})
			return i + end + 1, nil
		}
		return 0, unsupported(p.expr, "Perl variable interpolation", r[i:i+end+1])
	case c == '&':
		p.add(piece{kind: pGroup, n: 0})
	case c == '`':
		p.add(piece{kind: pPre})
	case c == '\'':
		p.add(piece{kind: pPost})
	case c == '+':
		if i+2 < len(r) && r[i+2] == '{' {
			end := strings.IndexByte(r[i:], '}')
			if end < 0 {
				return 0, syntaxErr(p.expr, `missing "}" after "$+{"`)
			}
			name := r[i+3 : i+end]
			if n, ok := p.names[name]; ok {
				p.add(piece{kind: pGroup, n: n})
			}
			return i + end + 1, nil
		}
		p.add(piece{kind: pLast})
	default:
		return 0, unsupported(p.expr, "Perl variable interpolation", varName(r[i:]))
	}
	return i + 2, nil
}

func atoiCap(s string) int {
	if len(s) > 6 {
		return 1 << 30
	}
	n, _ := strconv.Atoi(s)
	return n
}

// expand writes the replacement for match m (Perl-numbered offsets into in).
func (t *template) expand(b *strings.Builder, in string, m []int, bytes bool) {
	text := func(pc *piece) string {
		switch pc.kind {
		case pLit:
			if bytes {
				return pc.litB
			}
			return pc.lit
		case pGroup:
			if 2*pc.n+1 < len(m) && m[2*pc.n] >= 0 {
				return in[m[2*pc.n]:m[2*pc.n+1]]
			}
		case pPre:
			return in[:m[0]]
		case pPost:
			return in[m[1]:]
		case pLast:
			for n := len(m)/2 - 1; n > 0; n-- {
				if m[2*n] >= 0 {
					return in[m[2*n]:m[2*n+1]]
				}
			}
		}
		return ""
	}
	if !t.hasCase {
		for k := range t.pieces {
			b.WriteString(text(&t.pieces[k]))
		}
		return
	}
	// Case modifiers stack up to \E, which closes the innermost one; a new
	// \U, \L or \F first closes modifiers from the innermost one until no
	// \U, \L or \F is open (Perl's rule: "\L$1\u$2\U$3" uppercases $3). \u and \l are ucfirst and lcfirst of the text
	// in their scope: they change its first character, wherever it comes
	// from (s/(x)?b/\u$1c/ writes "C").
	var stack []caseMod
	for k := range t.pieces {
		pc := &t.pieces[k]
		if pc.kind == pCase {
			switch pc.op {
			case 'E':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
				continue
			case 'U', 'L', 'F':
				for hasCaseMod(stack) {
					stack = stack[:len(stack)-1]
				}
			}
			stack = append(stack, caseMod{op: pc.op})
			continue
		}
		s := text(pc)
		for i := len(stack) - 1; i >= 0; i-- {
			switch m := &stack[i]; m.op {
			case 'u', 'l':
				if !m.done && s != "" {
					s, m.done = firstOp(m.op, s, bytes), true
				}
			default:
				s = caseOp(m.op, s, bytes)
			}
		}
		b.WriteString(s)
	}
}

// caseMod is an open case modifier of a replacement.
type caseMod struct {
	op   byte // U L F Q u l
	done bool // u, l: the first character was seen
}

func hasCaseMod(stack []caseMod) bool {
	for _, m := range stack {
		if m.op == 'U' || m.op == 'L' || m.op == 'F' {
			return true
		}
	}
	return false
}

// mapText applies f to every character, keeping invalid UTF-8 bytes as is
// (text semantics), or to every ASCII byte (byte semantics: Perl's uc/lc
// on a byte string only change ASCII letters).
func mapText(s string, bytes bool, f func(rune) rune) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf || bytes {
			if c < utf8.RuneSelf {
				c = byte(f(rune(c)))
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteByte(c)
		} else {
			b.WriteRune(f(r))
		}
		i += w
	}
	return b.String()
}

func caseOp(op byte, s string, bytes bool) string {
	switch op {
	case 'U':
		return mapText(s, bytes, unicode.ToUpper)
	case 'L', 'F':
		return mapText(s, bytes, unicode.ToLower)
	}
	return quotemeta(s, bytes)
}

// firstOp is ucfirst (\u, titlecase) or lcfirst (\l).
func firstOp(op byte, s string, bytes bool) string {
	if s == "" {
		return s
	}
	w := 1
	if !bytes && s[0] >= utf8.RuneSelf {
		_, w = utf8.DecodeRuneInString(s)
	}
	f := unicode.ToLower
	if op == 'u' {
		f = unicode.ToTitle
	}
	return mapText(s[:w], bytes, f) + s[w:]
}

// quotemeta backslashes every character that is not a word character:
// every byte in byte semantics, ASCII ones in text semantics.
func quotemeta(s string, bytes bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isWordByte(c) && (bytes || c < utf8.RuneSelf) {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
