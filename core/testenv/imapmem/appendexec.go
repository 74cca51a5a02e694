package imapmem

// APPEND executed by the fault layer. imapserver takes one message per
// APPEND and reads the literal as it stores it, so neither MULTIAPPEND
// (RFC 3502) nor a decision that depends on a message's bytes (a poison
// message, a BYE between the messages of a MULTIAPPEND) fits in it.
// When the server advertises MULTIAPPEND or such a fault is armed, the
// fault layer reads the whole APPEND command itself, applies the faults,
// and stores the messages through the session's backend, all of them or
// none.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/mailbox"
)

const capMultiAppend = imap.CapMultiAppend

// defaultAppendLimit is imapserver's own limit on an APPEND literal.
const defaultAppendLimit = 100 << 20

// appendedMessage is one message of an APPEND command.
type appendedMessage struct {
	flags []imap.Flag
	date  time.Time
	raw   []byte
}

// execAppend reads the rest of the APPEND command whose first line is
// line, then answers it. A non-nil error ends the connection.
func (c *faultConn) execAppend(line []byte) error {
	text := strings.TrimRight(string(line), "\r\n")
	tag, rest, _ := strings.Cut(text, " ")
	_, rest, _ = strings.Cut(rest, " ") // the command name
	name, spec, err := parseMailboxArg(rest)
	if err != nil {
		return c.badAndCut(tag, err)
	}
	limit := int64(defaultAppendLimit)
	if l := c.sess.srv.opts.AppendLimit; l > 0 {
		limit = int64(l)
	}
	var (
		msgs    []appendedMessage
		refusal *imap.Error
	)
	for {
		if len(msgs) > 0 {
			if text, ok := c.faults.multiBye(len(msgs)); ok {
				return c.answer(tag, &imap.Error{Type: imap.StatusResponseTypeBye, Text: text}, true)
			}
		}
		m, size, sync, err := parseMessageSpec(spec)
		if err != nil {
			return c.badAndCut(tag, err)
		}
		if size > limit {
			tooBig := &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig,
				Text: fmt.Sprintf("Literals are limited to %d bytes for this command", limit)}
			if sync {
				// Refused instead of the continuation request: the client
				// sends nothing more of this command.
				return c.answer(tag, tooBig, false)
			}
			if refusal == nil {
				refusal = tooBig
			}
		}
		if sync {
			if _, err := c.Write([]byte("+ Ready for literal data\r\n")); err != nil {
				return err
			}
		}
		if size > limit {
			if _, err := io.CopyN(io.Discard, c.br, size); err != nil {
				return err
			}
		} else {
			m.raw = make([]byte, size)
			if _, err := io.ReadFull(c.br, m.raw); err != nil {
				return err
			}
			resp, cut, hit := c.faults.poisonFor(m.raw)
			if cut {
				c.cut()
				return net.ErrClosed
			}
			if hit && refusal == nil {
				refusal = resp
			}
		}
		msgs = append(msgs, m)
		next, err := c.br.ReadBytes('\n')
		if err != nil {
			return err
		}
		spec = strings.TrimLeft(strings.TrimRight(string(next), "\r\n"), " ")
		if spec == "" {
			break
		}
	}
	if refusal != nil {
		return c.answer(tag, refusal, false)
	}
	return c.storeAppended(tag, name, msgs)
}

// storeAppended stores msgs in the mailbox and writes the tagged answer.
func (c *faultConn) storeAppended(tag, name string, msgs []appendedMessage) error {
	s := c.sess
	if !s.loggedIn || s.UserSession == nil {
		return c.answer(tag, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Not authenticated"}, false)
	}
	s.user.mu.Lock()
	_, exists := s.user.boxes[name]
	s.user.mu.Unlock()
	if !exists {
		return c.answer(tag, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "No such mailbox"}, false)
	}
	var (
		validity uint32
		uids     imap.UIDSet
	)
	for _, m := range msgs {
		data, err := s.Append(name, &bytesLiteral{Reader: bytes.NewReader(m.raw), n: int64(len(m.raw))},
			&imap.AppendOptions{Flags: m.flags, Time: m.date})
		if err != nil {
			// Only a mailbox deleted meanwhile gets here.
			var ie *imap.Error
			if !errors.As(err, &ie) {
				ie = &imap.Error{Type: imap.StatusResponseTypeNo, Text: err.Error()}
			}
			return c.answer(tag, ie, false)
		}
		validity = data.UIDValidity
		uids.AddNum(data.UID)
	}
	_, err := c.Write([]byte(tag + " OK [APPENDUID " + strconv.FormatUint(uint64(validity), 10) + " " + uids.String() + "] APPEND completed\r\n"))
	return err
}

// badAndCut answers a command the fault layer cannot parse and closes the
// connection: what follows on the stream cannot be interpreted.
func (c *faultConn) badAndCut(tag string, err error) error {
	return c.answer(tag, &imap.Error{Type: imap.StatusResponseTypeBad, Text: err.Error()}, true)
}

type bytesLiteral struct {
	*bytes.Reader
	n int64
}

func (b *bytesLiteral) Size() int64 { return b.n }

// parseMailboxArg reads the mailbox argument (quoted string or atom) at
// the start of s and returns it decoded, with the rest of s after the
// following space.
func parseMailboxArg(s string) (name, rest string, err error) {
	var enc string
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return "", "", errors.New("unterminated mailbox name")
		}
		enc, rest = b.String(), s[i+1:]
	} else {
		enc, rest, _ = strings.Cut(s, " ")
		rest = " " + rest
		if strings.HasPrefix(enc, "{") || enc == "" {
			return "", "", errors.New("the mailbox name must be an atom or a quoted string here")
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return "", "", errors.New("missing message after the mailbox name")
	}
	if strings.EqualFold(enc, "INBOX") {
		return "INBOX", rest[1:], nil
	}
	name, err = mailbox.DecodeUTF7(enc)
	if err != nil {
		return "", "", err
	}
	return normMailbox(name), rest[1:], nil
}

// parseMessageSpec parses `[(flags) ]["date" ][~]{size[+]}`, the part of
// an APPEND that announces one message.
func parseMessageSpec(s string) (m appendedMessage, size int64, sync bool, err error) {
	if strings.HasPrefix(s, "(") {
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return m, 0, false, errors.New("unterminated flag list")
		}
		for _, f := range strings.Fields(s[1:end]) {
			m.flags = append(m.flags, imap.Flag(f))
		}
		s = strings.TrimLeft(s[end+1:], " ")
	}
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return m, 0, false, errors.New("unterminated date")
		}
		d := s[1 : end+1]
		m.date, err = time.Parse("_2-Jan-2006 15:04:05 -0700", d)
		if err != nil {
			if m.date, err = time.Parse("2-Jan-2006 15:04:05 -0700", d); err != nil {
				return m, 0, false, fmt.Errorf("bad date %q", d)
			}
		}
		s = strings.TrimLeft(s[end+2:], " ")
	}
	s = strings.TrimPrefix(s, "~")
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return m, 0, false, fmt.Errorf("expected a literal, got %q", s)
	}
	num := s[1 : len(s)-1]
	sync = !strings.HasSuffix(num, "+")
	size, err = strconv.ParseInt(strings.TrimSuffix(num, "+"), 10, 64)
	if err != nil || size < 0 {
		return m, 0, false, fmt.Errorf("bad literal size %q", num)
	}
	return m, size, sync, nil
}
