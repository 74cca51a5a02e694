package perlre

import (
	"strings"
)

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
