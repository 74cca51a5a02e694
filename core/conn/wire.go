package conn

import (
	"bufio"
	"fmt"
	"github.com/imapshift/imapshift/core/mailbox"
	"io"
	"strconv"
	"strings"
)

// raw speaks just enough IMAP for the pre-authentication phase: greeting,
// CAPABILITY, STARTTLS, ID and the authentication commands. Responses in
// this phase carry no literals except in ID, which is read leniently.
type raw struct {
	r     *bufio.Reader
	w     io.Writer
	trace *tracer
	tag   int
	caps  []string
}

// line reads one response line without its CRLF.
func (c *raw) line() (string, error) {
	s, err := c.r.ReadString('\n')
	if err != nil {
		if s != "" {
			c.trace.server(s)
		}
		return "", err
	}
	s = strings.TrimRight(s, "\r\n")
	c.trace.server(s)
	// Skip over literals (only seen in ID answers in this phase).
	for {
		n, ok := trailingLiteral(s)
		if !ok || n > 1<<20 {
			break
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return "", err
		}
		rest, err := c.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		rest = strings.TrimRight(rest, "\r\n")
		c.trace.server(fmt.Sprintf("{%d bytes}%s", n, rest))
		s = s[:strings.LastIndexByte(s, '{')] + strconv.Quote(string(buf)) + rest
	}
	return s, nil
}

// trailingLiteral reports whether line ends with {n} and returns n.
func trailingLiteral(line string) (int64, bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	num := strings.TrimSuffix(line[i+1:len(line)-1], "+")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// send writes one command line. shown is what the trace records instead of
// line when line carries a secret.
func (c *raw) send(line, shown string) error {
	if shown == "" {
		shown = line
	}
	c.trace.client(shown)
	_, err := io.WriteString(c.w, line+"\r\n")
	return err
}

func (c *raw) nextTag() string {
	c.tag++
	return "P" + strconv.Itoa(c.tag)
}

// statusError is a tagged NO or BAD (or an untagged BYE).
type statusError struct {
	Status string
	Text   string
}

func (e *statusError) Error() string { return e.Status + " " + e.Text }

// await reads lines until the tagged response for tag. onContinue is
// called for each continuation request and returns the line to send (and
// what to show in the trace); nil means send an empty line.
func (c *raw) await(tag string, onContinue func(text string) (string, string, error)) (untagged []string, text string, err error) {
	for {
		l, err := c.line()
		if err != nil {
			return untagged, "", err
		}
		switch {
		case strings.HasPrefix(l, "+"):
			resp, shown := "", ""
			if onContinue != nil {
				resp, shown, err = onContinue(strings.TrimSpace(strings.TrimPrefix(l, "+")))
				if err != nil {
					return untagged, "", err
				}
			}
			if err := c.send(resp, shown); err != nil {
				return untagged, "", err
			}
		case strings.HasPrefix(l, "* "):
			rest := l[2:]
			if strings.HasPrefix(strings.ToUpper(rest), "BYE") {
				return untagged, "", &statusError{"BYE", strings.TrimSpace(rest[3:])}
			}
			if caps, ok := capabilityData(rest); ok {
				c.caps = caps
			}
			untagged = append(untagged, rest)
		case strings.HasPrefix(l, tag+" "):
			rest := l[len(tag)+1:]
			status, text, _ := strings.Cut(rest, " ")
			status = strings.ToUpper(status)
			if caps, ok := respCodeCaps(text); ok {
				c.caps = caps
			}
			if status != "OK" {
				return untagged, text, &statusError{status, text}
			}
			return untagged, text, nil
		}
	}
}

// command sends a simple command and waits for its completion.
func (c *raw) command(cmd string) ([]string, string, error) {
	tag := c.nextTag()
	if err := c.send(tag+" "+cmd, ""); err != nil {
		return nil, "", err
	}
	return c.await(tag, nil)
}

func (c *raw) hasCap(name string) bool {
	for _, cp := range c.caps {
		if strings.EqualFold(cp, name) {
			return true
		}
	}
	return false
}

// capabilityData parses the data of an untagged "CAPABILITY ..." response.
func capabilityData(rest string) ([]string, bool) {
	if len(rest) < 10 || !strings.EqualFold(rest[:10], "CAPABILITY") {
		return nil, false
	}
	return strings.Fields(rest[10:]), true
}

// respCodeCaps extracts the list from a "[CAPABILITY ...]" response code.
func respCodeCaps(text string) ([]string, bool) {
	if !strings.HasPrefix(text, "[") {
		return nil, false
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return nil, false
	}
	return capabilityData(text[1:end])
}

// quote renders s as an IMAP quoted string, or reports that it needs a
// literal (CR, LF, NUL or 8-bit bytes).
func quote(s string) (string, bool) {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == 0 || ch == '\r' || ch == '\n' || ch >= 0x80:
			return "", false
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(ch)
	}
	b.WriteByte('"')
	return b.String(), true
}

// arg is one argument of a command sent by sendCommand.
type arg struct {
	value  string
	secret bool // masked in the trace
	atom   bool // sent as is
}

// sendCommand sends "tag verb args..." using quoted strings where possible
// and literals (synchronising, or LITERAL+ when offered) otherwise.
func (c *raw) sendCommand(tag, verb string, args ...arg) error {
	line := tag + " " + verb
	shown := line
	for _, a := range args {
		if a.atom {
			line += " " + a.value
			shown += " " + a.value
			continue
		}
		if q, ok := quote(a.value); ok {
			line += " " + q
			if a.secret {
				shown += " MASKED"
			} else {
				shown += " " + q
			}
			continue
		}
		plus := c.hasCap("LITERAL+")
		lit := fmt.Sprintf("{%d}", len(a.value))
		if plus {
			lit = fmt.Sprintf("{%d+}", len(a.value))
		}
		if err := c.send(line+" "+lit, shown+" "+lit); err != nil {
			return err
		}
		if !plus {
			if err := c.waitContinue(tag); err != nil {
				return err
			}
		}
		line = a.value
		shown = a.value
		if a.secret {
			shown = "MASKED"
		}
	}
	return c.send(line, shown)
}

// waitContinue reads until a continuation request; a tagged completion for
// tag instead is returned as an error.
func (c *raw) waitContinue(tag string) error {
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "+") {
			return nil
		}
		if strings.HasPrefix(l, tag+" ") {
			status, text, _ := strings.Cut(l[len(tag)+1:], " ")
			return &statusError{strings.ToUpper(status), text}
		}
	}
}

// quoteMailbox encodes a UTF-8 mailbox name to modified UTF-7 and quotes
// it; names that cannot be quoted are refused.
func quoteMailbox(name string) (string, error) {
	enc := name
	if !strings.EqualFold(name, "INBOX") {
		enc = mailbox.EncodeUTF7(name)
	}
	q, ok := quote(enc)
	if !ok {
		return "", fmt.Errorf("mailbox name %q cannot be sent", name)
	}
	return q, nil
}
