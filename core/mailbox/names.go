package mailbox

import (
	"slices"
	"strings"
)

// Inbox is the one mailbox name RFC 3501 makes case-insensitive.
const Inbox = "INBOX"

// IsInbox reports whether name is INBOX in any ASCII case ("Inbox", "inbox").
func IsInbox(name string) bool {
	return len(name) == len(Inbox) && asciiEqualFold(name, Inbox)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Compare orders two UTF-8 mailbox names the way imapsync sorts folder lists:
// by the bytes of their modified UTF-7 forms. This differs from plain UTF-8
// byte order for non-ASCII names and names with '&' ("&" is 0x26, so
// "Données" = "Donn&AOk-es" sorts before "Donna").
func Compare(a, b string) int {
	return strings.Compare(EncodeUTF7(a), EncodeUTF7(b))
}

// Sort sorts names in place in imapsync's folder order (see Compare).
func Sort(names []string) {
	if len(names) < 2 {
		return
	}
	type keyed struct{ key, name string }
	ks := make([]keyed, len(names))
	for i, n := range names {
		ks[i] = keyed{EncodeUTF7(n), n}
	}
	slices.SortStableFunc(ks, func(x, y keyed) int { return strings.Compare(x.key, y.key) })
	for i := range ks {
		names[i] = ks[i].name
	}
}

// Parents returns every ancestor of name for separator sep, outermost first,
// as imapsync's folder creation computes them: the parent is the name up to
// its last sep with edge blanks (spaces) trimmed, repeated until the parent
// is empty. Parents("a/b/c", "/") is ["a", "a/b"]; Parents("x / y/z", "/") is
// ["x", "x / y"]. An empty sep or a name without sep gives nil. The result
// may include INBOX (for "INBOX.Sub"); callers skip parents that exist.
func Parents(name, sep string) []string {
	if sep == "" {
		return nil
	}
	var out []string
	cur := name
	for {
		i := strings.LastIndex(cur, sep)
		if i < 0 {
			break
		}
		p := strings.Trim(cur[:i], " ")
		if p == "" {
			break
		}
		out = append(out, p)
		cur = p
	}
	slices.Reverse(out)
	return out
}

// SanitizeSubfolder cleans a --subfolder1/--subfolder2 value as imapsync
// does: only the characters [-_a-zA-Z0-9./ ] are kept, then edge blanks are
// removed. "" means no subfolder (given "", blanks only, or nothing valid).
// Note that this strips '[' and ']'.
func SanitizeSubfolder(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '/', c == ' ':
			b.WriteByte(c)
		}
	}
	return strings.Trim(b.String(), " ")
}
