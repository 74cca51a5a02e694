package search

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokQuoted
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	off  int    // byte offset of the first character
	val  string // word text or unescaped quoted content
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokQuoted:
		return "quoted string " + quote(t.val)
	default:
		return quote(t.val)
	}
}

type parser struct {
	s     string
	off   int
	depth int
}

func (p *parser) pos(off int) int { return utf8.RuneCountInString(p.s[:off]) + 1 }

func (p *parser) syntax(t token, format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(t.off), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unsupported(t token, key, reason string) error {
	return &UnsupportedError{Key: key, Pos: p.pos(t.off), Reason: reason}
}

// scan reads the token at byte offset off and returns it with the offset
// just after it.
func (p *parser) scan(off int) (token, int, error) {
	s := p.s
	for off < len(s) && (s[off] == ' ' || s[off] == '\t') {
		off++
	}
	if off == len(s) {
		return token{kind: tokEOF, off: off}, off, nil
	}
	start := off
	switch ch := s[off]; {
	case ch == '(':
		return token{kind: tokLParen, off: start}, off + 1, nil
	case ch == ')':
		return token{kind: tokRParen, off: start}, off + 1, nil
	case ch == '"':
		var b strings.Builder
		for off++; off < len(s); off++ {
			switch c := s[off]; c {
			case '"':
				return token{kind: tokQuoted, off: start, val: b.String()}, off + 1, nil
			case '\\':
				if off+1 < len(s) && (s[off+1] == '"' || s[off+1] == '\\') {
					off++
					b.WriteByte(s[off])
					continue
				}
				return token{}, 0, &SyntaxError{Pos: p.pos(off), Msg: `a quoted string may only escape " and \ with a backslash`}
			case 0, '\r', '\n':
				return token{}, 0, &SyntaxError{Pos: p.pos(off), Msg: fmt.Sprintf("control character %q in a quoted string", c)}
			default:
				b.WriteByte(c)
			}
		}
		return token{}, 0, &SyntaxError{Pos: p.pos(start), Msg: "unterminated quoted string"}
	case ch == '{':
		return token{}, 0, &SyntaxError{Pos: p.pos(start), Msg: "literals ({n}) are not supported; use a quoted string"}
	case isCTL(ch):
		return token{}, 0, &SyntaxError{Pos: p.pos(start), Msg: fmt.Sprintf("control character %q", ch)}
	}
	for off < len(s) {
		ch := s[off]
		if ch == ' ' || ch == '\t' || ch == '(' || ch == ')' || ch == '"' || isCTL(ch) {
			break
		}
		off++
	}
	return token{kind: tokWord, off: start, val: s[start:off]}, off, nil
}

func (p *parser) peek() (token, error) {
	t, _, err := p.scan(p.off)
	return t, err
}

func (p *parser) next() (token, error) {
	t, off, err := p.scan(p.off)
	if err == nil {
		p.off = off
	}
	return t, err
}

func isCTL(ch byte) bool { return ch < 0x20 || ch == 0x7f }

// isAtomChar is RFC 3501 ATOM-CHAR: CHAR except atom-specials.
func isAtomChar(ch byte) bool {
	switch ch {
	case '(', ')', '{', ' ', '%', '*', '"', '\\', ']':
		return false
	}
	return ch < 0x80 && !isCTL(ch)
}
