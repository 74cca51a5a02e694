package conn

import (
	"net"
	"sync"
	"time"
)

// wireConn is the net.Conn handed to imapclient. It
//   - replays bytes already read during the raw phase (a synthetic PREAUTH
//     greeting) before reading from the socket;
//   - ignores imapclient's fixed deadlines and instead applies an
//     inactivity timeout to reads while at least one command is pending,
//     and to every write;
//   - feeds both directions to the protocol trace.
type wireConn struct {
	net.Conn
	replay  []byte
	timeout time.Duration

	mu      sync.Mutex
	pending int
	in, out stream
}

func newWireConn(c net.Conn, replay []byte, timeout time.Duration, t *tracer) *wireConn {
	w := &wireConn{Conn: c, replay: replay, timeout: timeout}
	auth := new(bool)
	w.out = stream{client: true, t: t, authenticating: auth, onLine: w.commandSent}
	w.in = stream{t: t, authenticating: auth, onLine: w.responseRead}
	return w
}

func (w *wireConn) Read(p []byte) (int, error) {
	if len(w.replay) > 0 {
		n := copy(p, w.replay)
		w.replay = w.replay[n:]
		return n, nil
	}
	n, err := w.Conn.Read(p)
	if n > 0 {
		w.mu.Lock()
		w.in.feed(p[:n])
		if w.pending > 0 && w.timeout > 0 {
			w.Conn.SetReadDeadline(time.Now().Add(w.timeout))
		}
		w.mu.Unlock()
	}
	return n, err
}

func (w *wireConn) Write(p []byte) (int, error) {
	if w.timeout > 0 {
		w.Conn.SetWriteDeadline(time.Now().Add(w.timeout))
	}
	n, err := w.Conn.Write(p)
	if n > 0 {
		w.mu.Lock()
		w.out.feed(p[:n])
		w.mu.Unlock()
	}
	return n, err
}

// commandSent runs under w.mu for each complete client line.
func (w *wireConn) commandSent(tagged bool) {
	if !tagged {
		return
	}
	w.pending++
	if w.pending == 1 && w.timeout > 0 {
		w.Conn.SetReadDeadline(time.Now().Add(w.timeout))
	}
}

// responseRead runs under w.mu for each complete server line.
func (w *wireConn) responseRead(tagged bool) {
	if !tagged || w.pending == 0 {
		return
	}
	w.pending--
	if w.pending == 0 && w.timeout > 0 {
		w.Conn.SetReadDeadline(time.Time{})
	}
}

// imapclient sets fixed per-response deadlines; they are replaced by the
// inactivity timeout above.
func (w *wireConn) SetDeadline(time.Time) error      { return nil }
func (w *wireConn) SetReadDeadline(time.Time) error  { return nil }
func (w *wireConn) SetWriteDeadline(time.Time) error { return nil }
