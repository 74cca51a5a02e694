package perlre

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

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
