package search

import "strings"

// GmailRaw recognises a search made of one X-GM-RAW key (Gmail's own
// search syntax, `X-GM-RAW "older_than:2y has:attachment"`) and returns
// its query. go-imap cannot send the key, so the engine sends it on a raw
// session; mixed with other keys it is refused by Parse.
func GmailRaw(s string) (string, bool) {
	s = strings.TrimSpace(s)
	const key = "X-GM-RAW"
	if len(s) <= len(key) || !strings.EqualFold(s[:len(key)], key) || s[len(key)] != ' ' {
		return "", false
	}
	rest := strings.TrimSpace(s[len(key):])
	if !strings.HasPrefix(rest, `"`) {
		if rest == "" || strings.ContainsAny(rest, " ()\"") {
			return "", false
		}
		return rest, true
	}
	var b strings.Builder
	for i := 1; i < len(rest); i++ {
		switch c := rest[i]; c {
		case '\\':
			if i+1 < len(rest) {
				i++
				b.WriteByte(rest[i])
			}
		case '"':
			if strings.TrimSpace(rest[i+1:]) != "" {
				return "", false
			}
			return b.String(), b.Len() > 0
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
