package conn

// LSUB for servers without LIST-EXTENDED. go-imap's client can only ask
// for subscriptions with LIST (SUBSCRIBED), an extension, and closes the
// connection on an LSUB response; so Subscriptions asks on a short raw
// session of its own.

import (
	"context"
	"fmt"
	"strconv"
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

// nextString reads a quoted string or an atom from the start of s and
// returns it and what follows. A quoted string is unquoted as Go does,
// which covers IMAP's \\ and \" escapes and the Go quoting raw.line
// gives a literal (\xNN for bytes that are not UTF-8).
func nextString(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		atom, rest, _ := strings.Cut(s, " ")
		return atom, rest, atom != ""
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			return v, s[i+1:], err == nil
		}
	}
	return "", "", false
}
