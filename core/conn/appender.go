package conn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imapshift/imapshift/core/dates"
)

// Appender is a logged-in connection dedicated to pipelined APPEND. It
// speaks the protocol itself rather than through go-imap: with LITERAL+ a
// message costs no round trip at all (go-imap waits for a continuation
// request for every literal above 4 KiB), so the connection stays busy even
// on a high-latency link.
type Appender struct {
	cfg   *Config
	sess  *session
	w     *bufio.Writer
	tag   int
	plus  bool // LITERAL+
	minus bool // LITERAL-
	multi bool // MULTIAPPEND

	mu      sync.Mutex
	pending map[string]*appendOp
	err     error // set once the connection failed
	// draining is set once writing failed: the write side is shut and
	// the read loop collects the answers already on their way until EOF
	// or drainDeadline.
	draining bool
	// loggingOut is set once LOGOUT is sent: the server's BYE is then
	// expected, and the connection is left for the server to close.
	loggingOut bool
	cont       chan struct{}
	window     chan struct{}
	done       chan struct{}
	// Caps are the authenticated capabilities.
	Caps []string
}

type appendOp struct {
	// n is the number of messages of the command (more than one with
	// MULTIAPPEND); done gets one result per message, in order.
	n    int
	done func([]AppendResult)
	// finished is closed once the tagged answer arrived: a server may
	// refuse an APPEND instead of sending the continuation request.
	finished chan struct{}
}

// AppendResult is the outcome of one APPEND.
type AppendResult struct {
	// UID and UIDValidity come from APPENDUID (0 when the server has no
	// UIDPLUS).
	UID, UIDValidity uint32
	// Err is the server's NO/BAD as a *StatusError, or a connection error
	// when the outcome is unknown (the message may or may not be stored).
	Err error
}

// StatusError is a tagged NO or BAD answer.
type StatusError struct {
	Status string // "NO" or "BAD"
	Code   string // response code without brackets and arguments, e.g. "OVERQUOTA"
	Text   string // the whole text after the status
}

func (e *StatusError) Error() string { return e.Status + " " + e.Text }

// ErrOutcomeUnknown wraps connection errors for operations whose completion
// was never received.
var ErrOutcomeUnknown = errors.New("connection lost before the server answered")

// ErrNoAppender is the error of methods called on a nil *Appender.
var ErrNoAppender = errors.New("no APPEND connection")

// appendWindow bounds the number of APPENDs in flight on one connection.
const appendWindow = 64

// DialAppender connects and logs in like Dial and returns an Appender.
func DialAppender(ctx context.Context, cfg *Config) (*Appender, error) {
	s, err := openAndLogin(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.authenticatedCaps(); err != nil {
		s.close()
		return nil, s.authError(err)
	}
	s.stop()
	s.sock.SetDeadline(time.Time{})
	a := &Appender{
		cfg:     cfg,
		sess:    s,
		w:       bufio.NewWriterSize(s.sock, 64<<10),
		plus:    s.raw.hasCap("LITERAL+"),
		minus:   s.raw.hasCap("LITERAL-"),
		multi:   s.raw.hasCap("MULTIAPPEND"),
		pending: map[string]*appendOp{},
		cont:    make(chan struct{}, 1),
		window:  make(chan struct{}, appendWindow),
		done:    make(chan struct{}),
		Caps:    s.raw.caps,
	}
	go a.readLoop()
	return a, nil
}

// Message is one message of an APPEND: exactly Size bytes read from Body.
type Message struct {
	Flags []string
	Date  time.Time // zero: the server's time
	Size  int64
	Body  io.Reader
}

// Multi reports whether the server takes several messages in one APPEND
// (MULTIAPPEND, RFC 3502): one transaction, so one disk sync, for all.
// It is false on a nil Appender.
func (a *Appender) Multi() bool { return a != nil && a.multi }

// Append sends one APPEND of exactly size bytes read from body; see
// AppendMany.
func (a *Appender) Append(mailbox string, flags []string, date time.Time, size int64, body io.Reader, done func(AppendResult)) error {
	return a.AppendMany(mailbox, []Message{{Flags: flags, Date: date, Size: size, Body: body}},
		func(r []AppendResult) { done(r[0]) })
}

// AppendMany sends msgs to mailbox in one APPEND command: MULTIAPPEND when
// there are several (the caller checks Multi). It returns once the
// command is written (or, without LITERAL+, after each continuation
// request); done is called later, from another goroutine, with one result
// per message. The server stores all the messages or none: a refusal
// gives every message the same error. An error return means done will not
// be called; the command may be partially sent and the Appender is then
// unusable. When the connection breaks while the command is being
// written but the read loop has already completed it (with the server's
// answer or ErrOutcomeUnknown), AppendMany returns nil: done reports the
// outcome, exactly once either way, and the next call returns the
// error. AppendMany is not safe for concurrent use; one goroutine feeds
// an Appender.
func (a *Appender) AppendMany(mailbox string, msgs []Message, done func([]AppendResult)) error {
	if a == nil {
		return ErrNoAppender
	}
	name, err := quoteMailbox(mailbox)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return errors.New("AppendMany: no message")
	}
	select {
	case a.window <- struct{}{}:
	case <-a.done:
		return a.failure()
	}
	a.mu.Lock()
	if a.err != nil {
		a.mu.Unlock()
		<-a.window
		return a.err
	}
	a.tag++
	tag := "A" + strconv.Itoa(a.tag)
	op := &appendOp{n: len(msgs), done: done, finished: make(chan struct{})}
	a.pending[tag] = op
	a.armReadDeadline()
	a.mu.Unlock()

	if a.cfg.Timeout > 0 {
		a.sess.sock.SetWriteDeadline(time.Now().Add(a.cfg.Timeout))
	}
	prefix := tag + " APPEND " + name
	for _, m := range msgs {
		var b strings.Builder
		b.WriteString(prefix)
		prefix = ""
		b.WriteString(" (")
		b.WriteString(strings.Join(m.Flags, " "))
		b.WriteString(")")
		if !m.Date.IsZero() {
			b.WriteString(` "`)
			b.WriteString(m.Date.Format(dates.IMAPLayout))
			b.WriteString(`"`)
		}
		sync := !(a.plus || (a.minus && m.Size <= 4096))
		if sync {
			fmt.Fprintf(&b, " {%d}", m.Size)
		} else {
			fmt.Fprintf(&b, " {%d+}", m.Size)
		}
		if a.sess.trace.on() {
			a.sess.trace.client(b.String() + " <" + strconv.FormatInt(m.Size, 10) + " bytes>")
		}
		b.WriteString("\r\n")
		if _, err := a.w.WriteString(b.String()); err != nil {
			return a.failOp(tag, err)
		}
		if sync {
			if err := a.w.Flush(); err != nil {
				return a.failOp(tag, err)
			}
			select {
			case <-a.cont:
			case <-op.finished:
				// Refused instead of the go-ahead (also in the middle of
				// a MULTIAPPEND): the command is over, done has the NO,
				// and the connection stays usable (RFC 3501 7.5).
				return nil
			case <-a.done:
				return nil // abort completed the APPEND (done reports it)
			}
		}
		n, err := io.Copy(a.w, &deadlineReader{r: m.Body, a: a})
		if err == nil && n != m.Size {
			err = fmt.Errorf("message is %d bytes, announced %d", n, m.Size)
		}
		if err != nil {
			// The literal is incomplete: the connection cannot be used again.
			return a.failOp(tag, err)
		}
	}
	if _, err := a.w.WriteString("\r\n"); err != nil {
		return a.failOp(tag, err)
	}
	if err := a.w.Flush(); err != nil {
		return a.failOp(tag, err)
	}
	return nil
}

// armReadDeadline applies the inactivity timeout while APPENDs are
// pending and clears it otherwise; while draining, the drain deadline
// stays. Callers hold a.mu.
func (a *Appender) armReadDeadline() {
	if a.draining {
		return
	}
	if len(a.pending) > 0 && a.cfg.Timeout > 0 {
		a.sess.sock.SetReadDeadline(time.Now().Add(a.cfg.Timeout))
	} else {
		a.sess.sock.SetReadDeadline(time.Time{})
	}
}

// deadlineReader extends the write deadline while a large literal is sent.
type deadlineReader struct {
	r io.Reader
	a *Appender
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.a.cfg.Timeout > 0 {
		d.a.sess.sock.SetWriteDeadline(time.Now().Add(d.a.cfg.Timeout))
	}
	return d.r.Read(p)
}

func (a *Appender) failure() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		return ErrOutcomeUnknown
	}
	return a.err
}

// failOp is fail for an error while the APPEND tag was being written. If
// the APPEND is still pending it is withdrawn, so its done is never
// called, and err is returned; if the read loop has already taken it (a
// tagged answer, or abort after the connection broke), done reports its
// outcome and failOp returns nil.
func (a *Appender) failOp(tag string, err error) error {
	a.mu.Lock()
	_, pending := a.pending[tag]
	delete(a.pending, tag)
	a.mu.Unlock()
	a.fail(err)
	if !pending {
		return nil
	}
	return err
}

// drainTimeout bounds how long the answers of APPENDs already sent are
// awaited after writing failed (the connection's Timeout when shorter).
const drainTimeout = 15 * time.Second

// fail marks the connection broken and returns err. It shuts only the
// write side: the server's answers already on their way (the OKs of
// earlier APPENDs, a throttling NO sent just before the server dropped
// the connection) are still read, until EOF or the drain deadline; the
// read loop then completes the operations left pending with
// ErrOutcomeUnknown.
func (a *Appender) fail(err error) error {
	a.mu.Lock()
	if a.err == nil {
		a.err = err
	}
	first := !a.draining
	a.draining = true
	a.mu.Unlock()
	if first {
		d := drainTimeout
		if a.cfg.Timeout > 0 && a.cfg.Timeout < d {
			d = a.cfg.Timeout
		}
		a.sess.sock.SetReadDeadline(time.Now().Add(d))
		// A socket that cannot shut its write side (or fails to, being
		// reset already) stays open until the read loop ends.
		if cw, ok := a.sess.sock.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
	return err
}

func (a *Appender) readLoop() {
	defer close(a.done)
	r := a.sess.raw.r
	for {
		a.mu.Lock()
		a.armReadDeadline()
		a.mu.Unlock()
		line, err := r.ReadString('\n')
		if err != nil {
			a.abort(err)
			return
		}
		line = strings.TrimRight(line, "\r\n")
		a.sess.trace.server(line)
		switch {
		case strings.HasPrefix(line, "+"):
			select {
			case a.cont <- struct{}{}:
			default:
			}
		case strings.HasPrefix(line, "* "):
			if strings.HasPrefix(strings.ToUpper(line[2:]), "BYE") {
				a.mu.Lock()
				out := a.loggingOut
				a.mu.Unlock()
				if out {
					// The answer to LOGOUT: the server closes the
					// connection after its tagged OK, and only then does
					// it stop counting it.
					continue
				}
				a.abort(fmt.Errorf("server closed the connection: %s", line[2:]))
				return
			}
		default:
			tag, rest, _ := strings.Cut(line, " ")
			status, text, _ := strings.Cut(rest, " ")
			a.mu.Lock()
			op := a.pending[tag]
			delete(a.pending, tag)
			a.mu.Unlock()
			if op == nil {
				continue
			}
			<-a.window
			res := make([]AppendResult, op.n)
			if strings.EqualFold(status, "OK") {
				validity, uids := appendUID(text)
				for i := range res {
					res[i].UIDValidity = validity
					if len(uids) == op.n {
						res[i].UID = uids[i]
					}
				}
			} else {
				var err error = &StatusError{Status: strings.ToUpper(status), Code: respCode(text), Text: text}
				if a.cfg.UsesOAuth() && TokenExpired(err) {
					// The session's token expired: nothing more is sent on
					// it; the caller reconnects with a fresh token.
					a.mu.Lock()
					if a.err == nil {
						a.err = err
					}
					a.mu.Unlock()
				} else if _, ok := IsThrottle(err); ok {
					// Nothing was stored; and nothing more is sent on a
					// connection the server throttles: the caller waits
					// and reconnects. Err reports the throttling, also
					// when a write failed first (the server dropped the
					// connection after answering).
					err = &ThrottleError{Status: err.(*StatusError)}
					a.mu.Lock()
					a.err = err
					a.mu.Unlock()
				}
				for i := range res {
					res[i].Err = err
				}
			}
			op.done(res)
			close(op.finished)
		}
	}
}

// abort completes every pending operation with an unknown outcome.
func (a *Appender) abort(err error) {
	a.mu.Lock()
	if a.err == nil {
		a.err = err
	}
	ops := a.pending
	a.pending = map[string]*appendOp{}
	a.mu.Unlock()
	a.sess.sock.Close()
	for _, op := range ops {
		res := make([]AppendResult, op.n)
		for i := range res {
			res[i].Err = fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
		}
		op.done(res)
	}
}

// Close waits for pending APPENDs to complete, logs out and closes. After
// a failed write it waits for the answers already sent by the server
// (bounded by the drain deadline) instead.
// Closing a nil Appender (one whose DialAppender failed) does nothing, so
// cleanup paths need not check.
func (a *Appender) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	broken, draining := a.err != nil, a.draining
	a.mu.Unlock()
	if draining {
		// Writing failed: the answers already on their way are read
		// until EOF or the drain deadline.
		<-a.done
	}
	if !broken {
		// Fill the window: every slot back means every APPEND completed.
		for i := 0; i < appendWindow; i++ {
			select {
			case a.window <- struct{}{}:
			case <-a.done:
				i = appendWindow
			}
		}
		a.mu.Lock()
		a.loggingOut = true
		a.mu.Unlock()
		a.w.WriteString("Z LOGOUT\r\n")
		a.w.Flush()
		select {
		case <-a.done:
		case <-time.After(5 * time.Second):
		}
	}
	a.sess.sock.Close()
	<-a.done
	return nil
}

// Closed is closed once the connection is gone (its read loop ended).
func (a *Appender) Closed() <-chan struct{} { return a.done }

// Err returns the error that broke the connection, if any: after a
// throttling answer (see IsThrottle) it is that answer, as a
// *ThrottleError, and the Appender takes no more APPENDs. A nil Appender
// has no connection: its Err is ErrNoAppender.
func (a *Appender) Err() error {
	if a == nil {
		return ErrNoAppender
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// appendUID parses "[APPENDUID <validity> <uid-set>] ..." from a tagged
// OK; the UIDs are listed in order (a MULTIAPPEND gets a set such as
// "5:7" or "5,9").
func appendUID(text string) (validity uint32, uids []uint32) {
	if !strings.HasPrefix(strings.ToUpper(text), "[APPENDUID ") {
		return 0, nil
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return 0, nil
	}
	f := strings.Fields(text[11:end])
	if len(f) != 2 {
		return 0, nil
	}
	v, _ := strconv.ParseUint(f[0], 10, 32)
	for _, part := range strings.Split(f[1], ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 32)
		}
		if err1 != nil || err2 != nil || b < a || b-a > 1<<16 {
			return uint32(v), nil
		}
		for u := a; u <= b; u++ {
			uids = append(uids, uint32(u))
		}
	}
	return uint32(v), uids
}

// respCode returns the name of a leading "[CODE ...]" response code.
func respCode(text string) string {
	if !strings.HasPrefix(text, "[") {
		return ""
	}
	end := strings.IndexAny(text, " ]")
	if end < 0 {
		return ""
	}
	return strings.ToUpper(text[1:end])
}
