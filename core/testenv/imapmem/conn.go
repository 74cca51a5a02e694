package imapmem

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
)

// faultListener wraps accepted connections in a faultConn (after the TLS
// layer, when the listener is an implicit-TLS one).
type faultListener struct {
	net.Listener
	srv *Server
	tls *tls.Config
}

func (l *faultListener) Accept() (net.Conn, error) {
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		var c net.Conn = raw
		if l.tls != nil {
			c = tls.Server(raw, l.tls)
		}
		if bye, refused := l.srv.faults.admit(); refused {
			go greetBye(c, bye)
			continue
		}
		return newFaultConn(c, raw, l.srv.faults), nil
	}
}

// greetBye sends "* BYE text" as the greeting and closes c.
func greetBye(c net.Conn, text string) {
	if text == "" {
		text = "Refused"
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("* BYE " + text + "\r\n"))
	c.Close()
}

// faultConn sits between the network and imapserver. On the read side it
// splits the client stream into command lines and literals, and hands the
// server at most one line (or one literal chunk) per Read call. Since
// imapserver only asks for more bytes once it is done with what it has, the
// command being delivered is the command being executed, and faults can be
// applied to it before the server sees it. On the write side it counts bytes
// so that the connection can be cut after a budget.
type faultConn struct {
	net.Conn          // what the server reads/writes (TLS conn or raw)
	raw      net.Conn // the TCP connection, closed to "cut" the link
	faults   *Faults
	br       *bufio.Reader
	sess     *session // set by the server when the session starts
	// extraCaps ("MULTIAPPEND ", "X-GM-EXT-1 ") are added to the
	// capability lists the server writes (imapserver only lists the
	// capabilities it implements itself).
	extraCaps string

	// read side, only touched by the server's reading goroutine
	pending    []byte
	litLeft    int64       // literal bytes still to pass through (or discard)
	inCmd      bool        // the next line continues the current command
	discard    bool        // the current command was refused: swallow the rest
	refusal    *imap.Error // answer to send once the refused command is read
	refusalTag string
	refuseDrop bool // cut after answering the refused command
	opaque     bool // after STARTTLS: stream is TLS, pass through untouched

	cmdMu   sync.Mutex
	cmdName string // name of the command being executed

	mu      sync.Mutex // write side
	written int64
	budget  int64 // cut after this many bytes written; -1 = no limit

	closeOnce sync.Once
	closed    chan struct{}
}

func newFaultConn(c, raw net.Conn, f *Faults) *faultConn {
	fc := &faultConn{
		Conn:   c,
		raw:    raw,
		faults: f,
		br:     bufio.NewReader(c),
		budget: -1,
		closed: make(chan struct{}),
	}
	if f.srv.caps.Has(capMultiAppend) {
		fc.extraCaps += "MULTIAPPEND "
	}
	if f.srv.opts.Gmail {
		fc.extraCaps += "X-GM-EXT-1 "
	}
	if n := f.takeConnBudget(); n >= 0 {
		fc.budget = n
	}
	return fc
}

// currentCommand returns the name of the command being executed.
func (c *faultConn) currentCommand() string {
	c.cmdMu.Lock()
	defer c.cmdMu.Unlock()
	return c.cmdName
}

func (c *faultConn) Read(p []byte) (int, error) {
	for {
		// Once cut, the connection stays cut: imapserver may read again
		// after an error, and bytes the client had already sent are still
		// in br.
		select {
		case <-c.closed:
			return 0, net.ErrClosed
		default:
		}
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.litLeft > 0 {
			if c.discard {
				buf := make([]byte, min(c.litLeft, 32*1024))
				n, err := c.br.Read(buf)
				c.litLeft -= int64(n)
				if err != nil {
					return 0, err
				}
				continue
			}
			n, err := c.br.Read(p[:min(int64(len(p)), c.litLeft)])
			c.litLeft -= int64(n)
			return n, err
		}
		if c.opaque {
			return c.br.Read(p)
		}

		line, err := c.br.ReadBytes('\n')
		if len(line) == 0 {
			return 0, err
		}
		litSize, nonSync, hasLit := trailingLiteral(line)

		if c.discard {
			// Rest of a refused command: swallow it, then answer.
			if hasLit {
				if !nonSync {
					if _, werr := c.Write([]byte("+ Ready for literal data\r\n")); werr != nil {
						return 0, werr
					}
				}
				c.litLeft = litSize
			} else {
				c.discard = false
				c.inCmd = false
				if werr := c.answer(c.refusalTag, c.refusal, c.refuseDrop); werr != nil {
					return 0, werr
				}
			}
			if err != nil {
				return 0, err
			}
			continue
		}

		if !c.inCmd {
			if name, ok := parseCommandName(line); ok {
				c.cmdMu.Lock()
				c.cmdName = name
				c.cmdMu.Unlock()
				act := c.faults.onCommand(name, line)
				if c.sess != nil {
					if r := c.sess.expiredAnswer(name); r != nil {
						act.refuse, act.refuseDrop = r, false
					}
				}
				if act.drop {
					c.cut()
					return 0, net.ErrClosed
				}
				if act.delay > 0 {
					t := time.NewTimer(act.delay)
					select {
					case <-t.C:
					case <-c.closed:
						t.Stop()
						return 0, net.ErrClosed
					}
				}
				if act.cutAfter >= 0 {
					c.mu.Lock()
					c.budget = c.written + act.cutAfter
					c.mu.Unlock()
				}
				if act.refuse != nil {
					tag, _, _ := strings.Cut(string(line), " ")
					if !hasLit || act.refuse.Type == imap.StatusResponseTypeBye {
						if werr := c.answer(tag, act.refuse, act.refuseDrop); werr != nil {
							return 0, werr
						}
						continue
					}
					// Read the whole command first (accepting synchronizing
					// literals as a real server would), then answer.
					if !nonSync {
						if _, werr := c.Write([]byte("+ Ready for literal data\r\n")); werr != nil {
							return 0, werr
						}
					}
					c.refusal, c.refusalTag, c.refuseDrop = act.refuse, tag, act.refuseDrop
					c.discard = true
					c.inCmd = true
					c.litLeft = litSize
					continue
				}
				if name == "APPEND" && c.sess != nil && c.faults.interceptsAppend() {
					if err := c.execAppend(line); err != nil {
						return 0, err
					}
					continue
				}
				if c.sess != nil && c.sess.user != nil && c.sess.user.gmail != nil && isGmailCommand(name, line) {
					if err := c.execGmail(line); err != nil {
						return 0, err
					}
					continue
				}
				if name == "STARTTLS" {
					// Whatever follows is a TLS stream: no more parsing.
					// (If STARTTLS fails the connection stays opaque.)
					c.opaque = true
				}
			}
		}
		c.inCmd = hasLit
		if hasLit {
			c.litLeft = litSize
		}
		// A read error with a partial line: deliver the bytes now, the
		// error comes back on the next call.
		c.pending = line
	}
}

// answer sends the tagged answer to a refused command (or an untagged BYE
// followed by a cut), and cuts the connection after it when drop is set.
func (c *faultConn) answer(tag string, resp *imap.Error, drop bool) error {
	text := strings.NewReplacer("\r", " ", "\n", " ").Replace(resp.Text)
	if text == "" {
		text = "Refused"
	}
	var b strings.Builder
	if resp.Type == imap.StatusResponseTypeBye {
		b.WriteString("* BYE ")
	} else {
		typ := resp.Type
		if typ == "" {
			typ = imap.StatusResponseTypeNo
		}
		b.WriteString(tag + " " + string(typ) + " ")
	}
	if resp.Code != "" {
		b.WriteString("[" + string(resp.Code) + "] ")
	}
	b.WriteString(text + "\r\n")
	if _, err := c.Write([]byte(b.String())); err != nil {
		return err
	}
	if resp.Type == imap.StatusResponseTypeBye || drop {
		c.cut()
		return net.ErrClosed
	}
	return nil
}

// withCaps adds extra (capabilities, each followed by a space) to a capability list on the first line
// of p: an untagged CAPABILITY response, or a [CAPABILITY ...] response
// code (greeting, LOGIN, AUTHENTICATE). imapserver writes each response
// in one piece and always lists IMAP4rev2 or IMAP4rev1 first. Only the
// first line is looked at, so message data (which comes after a FETCH
// line) is left alone.
func withCaps(p []byte, extra string) []byte {
	line := p
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		line = p[:i]
	}
	const caps = "CAPABILITY "
	at := -1
	if i := bytes.Index(line, []byte("["+caps+"IMAP4rev")); i >= 0 {
		at = i + 1 + len(caps)
	} else if bytes.HasPrefix(line, []byte("* "+caps+"IMAP4rev")) {
		at = 2 + len(caps)
	}
	if at < 0 {
		return p
	}
	out := make([]byte, 0, len(p)+len(extra))
	out = append(out, p[:at]...)
	out = append(out, extra...)
	return append(out, p[at:]...)
}

// Write passes p to the client, counting bytes against the budget (which
// counts bytes on the wire). It returns len(p) when everything was
// written, whatever the rewriting of capability lists added.
func (c *faultConn) Write(p []byte) (int, error) {
	orig := len(p)
	if c.extraCaps != "" {
		p = withCaps(p, c.extraCaps)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.budget >= 0 && c.written+int64(len(p)) > c.budget {
		n := 0
		if left := c.budget - c.written; left > 0 {
			n, _ = c.Conn.Write(p[:left])
			c.written += int64(n)
		}
		c.cut()
		return min(n, orig), net.ErrClosed
	}
	n, err := c.Conn.Write(p)
	c.written += int64(n)
	if err == nil {
		n = orig
	}
	return min(n, orig), err
}

// cut closes the TCP connection without a BYE (and without a TLS
// close_notify).
func (c *faultConn) cut() {
	c.closeOnce.Do(c.release)
	c.raw.Close()
}

// release marks the connection closed, once.
func (c *faultConn) release() {
	close(c.closed)
	c.faults.released()
}

func (c *faultConn) Close() error {
	c.closeOnce.Do(c.release)
	err := c.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// parseCommandName extracts the command name from the first line of a
// client command: "tag NAME ..." or "tag UID NAME ...". Lines that cannot
// be commands (IDLE's DONE, SASL responses) are rejected.
func parseCommandName(line []byte) (string, bool) {
	s := strings.TrimRight(string(line), "\r\n")
	tag, rest, ok := strings.Cut(s, " ")
	if !ok || tag == "" || !isAtom(tag) {
		return "", false
	}
	name, rest, _ := strings.Cut(rest, " ")
	if name == "" || !isAtom(name) {
		return "", false
	}
	name = strings.ToUpper(name)
	if name == "UID" {
		sub, _, _ := strings.Cut(rest, " ")
		if sub == "" || !isAtom(sub) {
			return "", false
		}
		name += " " + strings.ToUpper(sub)
	}
	return name, true
}

func isAtom(s string) bool {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch <= ' ' || ch >= 0x7f:
			return false
		case strings.IndexByte(`(){%*"\]`, ch) >= 0:
			return false
		}
	}
	return true
}

// trailingLiteral reports whether a line ends with a literal announcement
// ("{123}", "{123+}" or "~{123}") and returns its size; nonSync is true
// for the LITERAL+/LITERAL- form the client sends without waiting.
func trailingLiteral(line []byte) (size int64, nonSync, ok bool) {
	s := bytes.TrimSuffix(line, []byte("\n"))
	if len(s) == len(line) {
		return 0, false, false // no line end: not a complete line
	}
	s = bytes.TrimSuffix(s, []byte("\r"))
	if !bytes.HasSuffix(s, []byte("}")) {
		return 0, false, false
	}
	i := bytes.LastIndexByte(s, '{')
	if i < 0 {
		return 0, false, false
	}
	num := string(s[i+1 : len(s)-1])
	if strings.HasSuffix(num, "+") {
		nonSync = true
		num = num[:len(num)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, false, false
	}
	return n, nonSync, true
}
