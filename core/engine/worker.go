package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
)

// side dials one server, counting reconnections.
type side struct {
	cfg        *conn.Config
	retries    int
	reconnects atomic.Int64
}

// worker owns one connection to each side for folder work and, when it
// copies, an Appender on host2.
type worker struct {
	e          *engine
	h1, h2     *conn.Conn
	sel1, sel2 string // folder selected on h1 / h2 ("" none)
	app        *conn.Appender
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

// client returns a live connection to side n (1 or 2), reconnecting when
// the previous one was lost.
func (w *worker) client(ctx context.Context, n int) (*conn.Conn, error) {
	cp, sel, sd := &w.h1, &w.sel1, w.e.side1
	if n == 2 {
		cp, sel, sd = &w.h2, &w.sel2, w.e.side2
	}
	if alive(*cp) {
		return *cp, nil
	}
	if *cp != nil {
		(*cp).Close()
		sd.reconnects.Add(1)
	}
	*cp, *sel = nil, ""
	c, err := conn.Dial(ctx, sd.cfg)
	if err != nil {
		return nil, err
	}
	*cp = c
	return c, nil
}

// selectFolder makes name the selected folder on side n, read-only on
// host1 (host1 is never changed) and read-write on host2.
func (w *worker) selectFolder(ctx context.Context, n int, name string) (*imap.SelectData, error) {
	c, err := w.client(ctx, n)
	if err != nil {
		return nil, err
	}
	data, err := c.Select(name, &imap.SelectOptions{ReadOnly: n == 1 && !w.e.opts.writes1()}).Wait()
	if err != nil {
		return nil, err
	}
	if n == 1 {
		w.sel1 = name
	} else {
		w.sel2 = name
	}
	return data, nil
}

// appender returns a live Appender, reconnecting when needed.
func (w *worker) appender(ctx context.Context) (*conn.Appender, error) {
	if w.app != nil && w.app.Err() == nil {
		return w.app, nil
	}
	if w.app != nil {
		w.app.Close()
		w.e.side2.reconnects.Add(1)
		w.app = nil
	}
	a, err := conn.DialAppender(ctx, w.e.side2.cfg)
	if err != nil {
		return nil, err
	}
	w.app = a
	return a, nil
}

func (w *worker) close() {
	if w.app != nil {
		w.app.Close()
	}
	for _, c := range []*conn.Conn{w.h1, w.h2} {
		if alive(c) {
			c.Logout().Wait()
		}
		if c != nil {
			c.Close()
		}
	}
}

// retry runs op, and runs it again after a lost connection (up to the
// side's --reconnectretry). op must be safe to repeat.
func (w *worker) retry(ctx context.Context, n int, op func() error) error {
	sd := w.e.side1
	if n == 2 {
		sd = w.e.side2
	}
	var err error
	for attempt := 0; attempt <= sd.retries; attempt++ {
		err = op()
		if err == nil || !connLost(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
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

func isClosedText(err error) bool {
	s := err.Error()
	for _, t := range []string{"connection closed", "use of closed network connection", "connection reset", "broken pipe", "unexpected EOF"} {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}
