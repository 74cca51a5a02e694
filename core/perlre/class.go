package perlre

import (
	"fmt"
	"strings"
)

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
