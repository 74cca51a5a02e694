package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
)

// side is one of the two servers of a run: host1, the source, or host2,
// the destination. It indexes the per-side arrays of the engine and the
// workers.
type side int

const (
	host1 side = iota
	host2
)

// String returns "Host1" or "Host2", as imapsync's lines name the sides.
func (s side) String() string {
	if s == host2 {
		return "Host2"
	}
	return "Host1"
}

// server dials one side, counting reconnections; gate bounds the
// connections open to it.
type server struct {
	cfg        *conn.Config
	retries    int // --reconnectretry1 or --reconnectretry2
	reconnects atomic.Int64
	gate       gate
}

// worker owns one connection to each side for folder work and, when it
// copies, an Appender on host2.
type worker struct {
	e     *engine
	conns [2]*conn.Conn
	sel   [2]string // folder selected on each connection ("" none)
	app   *conn.Appender
	win   *byteWindow // the APPEND bytes in flight on app (window)
	// tails are the copy jobs whose APPENDs are written and whose
	// answers may still be on the way (copyBegin).
	tails []*copyTail

	// mu guards idle and warm, and the connections while idle is set:
	// an idle worker (one of the pool not running a job) may have its
	// connections closed by reclaim, for a dial waiting for a free one.
	mu   sync.Mutex
	idle bool
	// warm is the Appender being dialed ahead of the worker's first
	// APPEND (warmAppenders), nil when none is; appender takes it.
	warm *warmDial

	expiredAt [3]time.Time // last OAuth2 token end: host1, host2, APPEND (oauthstop.go)
}

// setIdle marks w as running a job (false) or not (true).
func (w *worker) setIdle(idle bool) {
	w.mu.Lock()
	w.idle = idle
	w.mu.Unlock()
}

// alive reports whether c can still be used.
func alive(c *conn.Conn) bool {
	if c == nil {
		return false
	}
	select {
	case <-c.Closed():
		return false
	default:
		return true
	}
}

// client returns a live connection to side s, reconnecting when the
// previous one was lost.
func (w *worker) client(ctx context.Context, s side) (*conn.Conn, error) {
	if c := w.conns[s]; alive(c) {
		return c, nil
	} else if c != nil {
		c.Close()
		w.e.servers[s].reconnects.Add(1)
	}
	w.conns[s], w.sel[s] = nil, ""
	c, err := w.e.dialConn(ctx, w, s)
	if err != nil {
		return nil, err
	}
	w.conns[s] = c
	return c, nil
}

// selectFolder makes name the selected folder on side s, read-only on
// host1 (host1 is never changed, unless --delete1 or --expunge1) and
// read-write on host2.
func (w *worker) selectFolder(ctx context.Context, s side, name string) (*imap.SelectData, error) {
	c, err := w.client(ctx, s)
	if err != nil {
		return nil, err
	}
	data, err := c.Select(name, &imap.SelectOptions{ReadOnly: s == host1 && !w.e.opts.writes1()}).Wait()
	if err != nil {
		return nil, err
	}
	w.sel[s] = name
	return data, nil
}

// do runs op with a live connection to side s, and runs it again after a
// lost connection (up to the side's --reconnectretry). op must be safe to
// repeat.
func (w *worker) do(ctx context.Context, s side, op func(*conn.Conn) error) error {
	return w.retry(ctx, s, func() error {
		c, err := w.client(ctx, s)
		if err != nil {
			return err
		}
		return op(c)
	})
}

// inFolder is do with folder selected on side s: it is selected when the
// connection has another one (or none) selected, or is new.
func (w *worker) inFolder(ctx context.Context, s side, folder string, op func(*conn.Conn) error) error {
	return w.retry(ctx, s, func() error {
		if w.sel[s] != folder || !alive(w.conns[s]) {
			if _, err := w.selectFolder(ctx, s, folder); err != nil {
				return err
			}
		}
		return op(w.conns[s])
	})
}

// reselect is do with folder selected afresh on side s on every attempt,
// so that op sees the folder's current state and its SELECT data.
func (w *worker) reselect(ctx context.Context, s side, folder string, op func(*conn.Conn, *imap.SelectData) error) error {
	return w.retry(ctx, s, func() error {
		data, err := w.selectFolder(ctx, s, folder)
		if err != nil {
			return err
		}
		return op(w.conns[s], data)
	})
}

// reselectFetch is reselect where the FETCH of every message of the
// folder (with opts) is sent right behind the SELECT, both in one round
// trip, when pipe is set: op then gets the FETCH in flight, and must
// consume it (or Close it) before sending anything else on c. When pipe is
// not set, or when the SELECT fails (the FETCH is then drained and its
// answers dropped: they may be about the folder selected before), op gets
// nil and fetches as it would after reselect.
func (w *worker) reselectFetch(ctx context.Context, s side, folder string, pipe bool, opts *imap.FetchOptions,
	op func(*conn.Conn, *imap.SelectData, *imapclient.FetchCommand) error) error {
	if !pipe {
		return w.reselect(ctx, s, folder, func(c *conn.Conn, sel *imap.SelectData) error { return op(c, sel, nil) })
	}
	return w.retry(ctx, s, func() error {
		c, err := w.client(ctx, s)
		if err != nil {
			return err
		}
		w.sel[s] = ""
		sel := c.Select(folder, &imap.SelectOptions{ReadOnly: s == host1 && !w.e.opts.writes1()})
		var all imap.SeqSet
		all.AddRange(1, 0)
		fetch := c.Fetch(all, opts)
		data, err := sel.Wait()
		if err != nil {
			fetch.Close()
			return err
		}
		w.sel[s] = folder
		err = op(c, data, fetch)
		fetch.Close() // a no-op once op consumed it
		return err
	})
}

// appender returns a live Appender, reconnecting when needed; after a
// throttling answer to an APPEND it first waits as the server asked.
func (w *worker) appender(ctx context.Context) (*conn.Appender, error) {
	if w.app == nil {
		if a := w.takeWarm().wait(); a != nil {
			w.app = a
		}
	}
	if w.app != nil && w.app.Err() == nil {
		return w.app, nil
	}
	if w.app != nil {
		err := w.app.Err()
		w.app.Close()
		w.e.servers[host2].reconnects.Add(1)
		w.app = nil
		if d, ok := conn.IsThrottle(err); ok && !w.expiredNow(host2, true, err) {
			if err := w.e.backoff(ctx, host2, d, err); err != nil {
				return nil, err
			}
		}
	}
	a, err := w.e.dialAppender(ctx, w)
	if err != nil {
		return nil, err
	}
	w.app = a
	return a, nil
}

// closeAppender closes the Appender, if there is one, and the one being
// dialed ahead.
func (w *worker) closeAppender() {
	if w.app != nil {
		w.app.Close()
	}
	w.takeWarm().drop()
}

// warmDial is an Appender dialed in the background; app is set (or left
// nil when the dial failed or was not made) before done is closed.
type warmDial struct {
	done chan struct{}
	app  *conn.Appender
}

// takeWarm removes and returns w's Appender being dialed ahead (nil:
// none).
func (w *worker) takeWarm() *warmDial {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.warm
	w.warm = nil
	return d
}

// wait returns the Appender once dialed: nil when the dial failed or d is
// nil (the caller dials as usual), or when it is no longer usable.
func (d *warmDial) wait() *conn.Appender {
	if d == nil {
		return nil
	}
	<-d.done
	if d.app != nil && d.app.Err() != nil {
		d.app.Close()
		return nil
	}
	return d.app
}

// drop closes the Appender of d once dialed, without waiting for it.
func (d *warmDial) drop() {
	if d == nil {
		return
	}
	go func() {
		<-d.done
		if d.app != nil {
			d.app.Close()
		}
	}()
}

// close logs out and closes the worker's connections. The answer to
// LOGOUT is not waited for: the connection is done with, and waiting
// would cost a round trip at the end of every run. Both LOGOUTs are sent
// before either connection is closed, and both are closed at once
// (closing waits for the connection's reader to stop).
func (w *worker) close() {
	w.closeAppender()
	for _, c := range w.conns {
		if alive(c) {
			c.Logout()
		}
	}
	var wg sync.WaitGroup
	for _, c := range w.conns {
		if c != nil {
			wg.Go(func() { c.Close() })
		}
	}
	wg.Wait()
}

// retry runs op, and runs it again after a lost connection (up to the
// side's --reconnectretry). A throttling answer (see conn.IsThrottle) is
// no failure: the connection is closed, the wait the server asked for is
// made (see backoff), and op runs again on a new connection without
// using up a retry. op must be safe to repeat.
func (w *worker) retry(ctx context.Context, s side, op func() error) error {
	var err error
	throttles, expiries := 0, 0
	for attempt := 0; attempt <= w.e.servers[s].retries; attempt++ {
		err = op()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if w.expiredNow(s, false, err) {
			w.dropExpired(s)
			if expiries < maxExpiries {
				expiries++
				attempt--
			}
			continue
		}
		if d, ok := conn.IsThrottle(err); ok && throttles < maxThrottles {
			throttles++
			attempt--
			w.dropConn(s)
			if berr := w.e.backoff(ctx, s, d, err); berr != nil {
				return berr
			}
			continue
		}
		if !connLost(err) {
			return err
		}
		// The connection is lost even when its reader has not noticed
		// yet: the next attempt dials a new one.
		w.dropConn(s)
	}
	return err
}

// dropConn closes w's connection to side s, if any, and counts a
// reconnection: the next use opens a new one.
func (w *worker) dropConn(s side) {
	if c := w.conns[s]; c != nil {
		c.Close()
		w.conns[s], w.sel[s] = nil, ""
		w.e.servers[s].reconnects.Add(1)
	}
}

// connLost tells whether err means the connection is gone (EOF, reset,
// timeout, BYE) rather than a server refusal.
func connLost(err error) bool {
	if err == nil {
		return false
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Type == imap.StatusResponseTypeBye
	}
	var ce *conn.Error
	if errors.As(err, &ce) {
		return ce.Stage == conn.StageConnect
	}
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne) || errors.Is(err, conn.ErrOutcomeUnknown) || isClosedText(err)
}

// isClosedText tells whether err's text is one of a connection that is
// gone. go-imap's reader gives up with "cannot decode while a literal is
// open" when the connection is cut while a body literal is being read
// (two body FETCHes in flight): the client is then closed too.
func isClosedText(err error) bool {
	s := err.Error()
	for _, t := range []string{"connection closed", "use of closed network connection", "connection reset", "broken pipe", "unexpected EOF", "cannot decode while a literal is open"} {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}
