package conn

// LSUB for servers without LIST-EXTENDED. go-imap's client can only ask
// for subscriptions with LIST (SUBSCRIBED), an extension, and closes the
// connection on an LSUB response; so Subscriptions asks on a short raw
// session of its own.

import (
	"context"
	"fmt"
	"strings"

	"github.com/imapshift/imapshift/core/mailbox"
)

// Subscriptions logs in on a connection of its own, sends LSUB "" "*"
// and returns the subscribed names (decoded from modified UTF-7), in the
// server's order.
func Subscriptions(ctx context.Context, cfg *Config) ([]string, error) {
	s, err := openAndLogin(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	untagged, _, err := s.raw.command(`LSUB "" "*"`)
	if err != nil {
		return nil, fmt.Errorf("LSUB: %w", err)
	}
	s.raw.command("LOGOUT")
	var names []string
	for _, u := range untagged {
		name, ok := parseLSUB(u)
		if !ok {
			continue
		}
		if dec, err := mailbox.DecodeUTF7(name); err == nil {
			name = dec
		}
		names = append(names, name)
	}
	return names, nil
}

// parseLSUB returns the mailbox of an untagged response
// `LSUB (attrs) delim mailbox`; the mailbox and the delimiter are quoted
// strings or atoms (a literal arrives quoted, see raw.line).
func parseLSUB(u string) (string, bool) {
	verb, rest, ok := strings.Cut(u, " ")
	if !ok || !strings.EqualFold(verb, "LSUB") || !strings.HasPrefix(rest, "(") {
		return "", false
	}
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return "", false
	}
	rest = strings.TrimPrefix(rest[end+1:], " ")
	if _, rest, ok = nextString(rest); !ok { // the delimiter, or NIL
		return "", false
	}
	name, rest, ok := nextString(strings.TrimPrefix(rest, " "))
	if !ok || rest != "" {
		return "", false
	}
	return name, true
}

// nextString reads a quoted string (with \\ and \" escapes) or an atom
// from the start of s and returns it and what follows.
func nextString(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		atom, rest, _ := strings.Cut(s, " ")
		return atom, rest, atom != ""
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
