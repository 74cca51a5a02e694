package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/imapshift/imapshift/core/conn"
)

// gate counts the connections open to one host and bounds them: by
// Options.MaxConns1/2 from the start, and, once the server refuses a
// connection for having too many, by the number that were open then.
// The zero value has no bound.
type gate struct {
	mu      sync.Mutex
	started bool
	open    int           // slots taken: connections open and dials in flight
	dialing int           // dials in flight, counted in open too
	limit   int           // 0: none
	lowered bool          // limit comes from a server's refusal
	wake    chan struct{} // closed and replaced when a connection closes
	// lagged counts refusals met below the limit, which a server that
	// has not yet noticed a closed connection sends: the dial is tried
	// again after a pause before the limit is lowered.
	lagged int
}

// gateWait is how often a dial waiting for a free connection looks for
// idle workers whose connections it can take.
const gateWait = 200 * time.Millisecond

// lagPause is the pause before a refused dial is tried again while fewer
// connections than the limit are open.
var lagPause = time.Second

func (g *gate) wakeCh() chan struct{} {
	if g.wake == nil {
		g.wake = make(chan struct{})
	}
	return g.wake
}

// release frees the slot of a connection that closed.
func (g *gate) release() {
	g.mu.Lock()
	g.open--
	g.wakeAll()
	g.mu.Unlock()
}

// dialed ends a dial that took a slot: a failed dial frees its slot.
func (g *gate) dialed(ok bool) {
	g.mu.Lock()
	g.dialing--
	if !ok {
		g.open--
	}
	g.wakeAll()
	g.mu.Unlock()
}

func (g *gate) wakeAll() {
	if g.wake != nil {
		close(g.wake)
		g.wake = nil
	}
}

// settled waits until no dial to the side is in flight and returns the
// connections open then, so that a refusal is measured against logins
// that succeeded rather than against dials whose answer is not in yet.
// It returns with g.mu held.
func (g *gate) settled(ctx context.Context) int {
	for {
		g.mu.Lock()
		if g.dialing == 0 {
			return g.open
		}
		wake := g.wakeCh()
		g.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			g.mu.Lock()
			return g.open
		}
	}
}

// full reports whether a new connection would have to wait.
func (g *gate) full() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit > 0 && g.open >= g.limit
}

// acquire takes a connection slot on side s for w (nil: the main
// connection at login). While none is free, w first gives up its own
// other connection to that side, then idle workers give up theirs.
func (e *engine) acquire(ctx context.Context, w *worker, s side, dialingAppender bool) error {
	g := &e.servers[s].gate
	for {
		g.mu.Lock()
		if !g.started {
			g.started = true
			g.limit = e.maxConns(s)
		}
		if g.limit == 0 || g.open < g.limit {
			g.open++
			g.dialing++
			g.mu.Unlock()
			return nil
		}
		wake := g.wakeCh()
		g.mu.Unlock()
		if w == nil || !w.shed(s, dialingAppender) {
			e.reclaim()
		}
		select {
		case <-wake:
		case <-time.After(gateWait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryAcquire takes a connection slot on side s when one is free,
// without waiting; it reports whether it took one.
func (e *engine) tryAcquire(s side) bool {
	g := &e.servers[s].gate
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.started {
		g.started = true
		g.limit = e.maxConns(s)
	}
	if g.limit > 0 && g.open >= g.limit {
		return false
	}
	g.open++
	g.dialing++
	return true
}

// warmAppenders dials, in the background, an Appender for each of the
// first n workers of the pool (main first), so that the first APPENDs do
// not wait for a login to host2: Execute calls it before creating the
// folders. It does so only when neither host bounds its connections (no
// --maxconns1/2, no refusal met): a dial ahead never waits for a slot,
// and a worker that gets no job gives its Appender up when idle workers
// are reclaimed, or at the end. A failed dial ahead is forgotten: the
// worker dials as usual, with the usual handling of refusals.
func (e *engine) warmAppenders(ctx context.Context, main *worker, n int) {
	if n <= 0 || e.turnLimit() > 0 {
		return
	}
	ws := e.workers(main)
	for _, w := range ws[:min(n, len(ws))] {
		d := &warmDial{done: make(chan struct{})}
		w.mu.Lock()
		if w.app != nil || w.warm != nil {
			w.mu.Unlock()
			continue
		}
		w.warm = d
		w.mu.Unlock()
		go func() {
			defer close(d.done)
			if !e.tryAcquire(host2) {
				return
			}
			g := &e.servers[host2].gate
			a, err := conn.DialAppender(ctx, e.servers[host2].cfg)
			g.dialed(err == nil)
			if err != nil {
				return
			}
			e.connOpened(host2)
			go func() {
				<-a.Closed()
				g.release()
				e.connClosed(host2)
			}()
			d.app = a
		}()
	}
}

func (e *engine) maxConns(s side) int {
	if s == host1 {
		return max(e.opts.MaxConns1, 0)
	}
	return max(e.opts.MaxConns2, 0)
}

// refused handles a dial to side s refused because the server has too
// many connections: once the other dials in flight have their answers,
// it lowers the bound to the connections open then and says so, and
// reports whether the dial is to be tried again. With none open, the
// server takes no connection at all: that is a failure.
func (e *engine) refused(ctx context.Context, s side) bool {
	g := &e.servers[s].gate
	open := g.settled(ctx)
	if open == 0 {
		g.mu.Unlock()
		return false
	}
	if g.lowered && open < g.limit && g.lagged < 3 {
		g.lagged++
		g.mu.Unlock()
		time.Sleep(lagPause)
		return true
	}
	lowered := g.limit == 0 || open < g.limit
	if lowered {
		g.limit, g.lowered = open, true
	}
	g.lagged = 0
	g.mu.Unlock()
	if lowered {
		noun := "connections"
		if open == 1 {
			noun = "connection"
		}
		e.say("%s: the server refuses more than %d %s; going on with %d", s, open, noun, open)
	}
	return true
}

// dialConn opens a connection to side s for w (nil at login) within the
// side's bound. A throttling answer to the login is waited out (see
// backoff); a refusal for too many connections lowers the bound and waits
// for a free connection, and only when no connection to the side is open
// at all is it a connection failure.
func (e *engine) dialConn(ctx context.Context, w *worker, s side) (*conn.Conn, error) {
	var c *conn.Conn
	err := e.dialGated(ctx, w, s, false, func() (<-chan struct{}, error) {
		var err error
		if p := e.takeDialed(s); p != nil {
			var ok bool
			if c, err, ok = p.Take(ctx); !ok {
				c, err = conn.Dial(ctx, e.servers[s].cfg)
			}
		} else {
			c, err = conn.Dial(ctx, e.servers[s].cfg)
		}
		if err != nil {
			return nil, err
		}
		return c.Closed(), nil
	})
	return c, err
}

// takeDialed returns, once, the login to side s begun before the run
// (Options.Dialed), or nil.
func (e *engine) takeDialed(s side) *conn.Pending {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.opts.Dialed[s]
	e.opts.Dialed[s] = nil
	return p
}

// dialAppender is dialConn for an APPEND connection to host2.
func (e *engine) dialAppender(ctx context.Context, w *worker) (*conn.Appender, error) {
	var a *conn.Appender
	err := e.dialGated(ctx, w, host2, true, func() (<-chan struct{}, error) {
		var err error
		a, err = conn.DialAppender(ctx, e.servers[host2].cfg)
		if err != nil {
			return nil, err
		}
		return a.Closed(), nil
	})
	return a, err
}

// maxThrottles bounds the throttling answers waited out in a row for one
// operation.
const maxThrottles = 20

func (e *engine) dialGated(ctx context.Context, w *worker, s side, appender bool, dial func() (<-chan struct{}, error)) error {
	g := &e.servers[s].gate
	throttles := 0
	for {
		if err := e.acquire(ctx, w, s, appender); err != nil {
			return err
		}
		closed, err := dial()
		g.dialed(err == nil)
		if err == nil {
			e.connOpened(s)
			go func() {
				<-closed
				g.release()
				e.connClosed(s)
			}()
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if d, ok := conn.IsThrottle(err); ok && throttles < maxThrottles {
			throttles++
			if berr := e.backoff(ctx, s, d, err); berr != nil {
				return berr
			}
			continue
		}
		if conn.IsConnLimit(err) {
			if e.refused(ctx, s) {
				continue
			}
			cfg := e.servers[s].cfg
			return &conn.Error{Stage: conn.StageConnect, Side: cfg.Side, Host: cfg.Host, User: cfg.User,
				Err: fmt.Errorf("the server refuses every connection: %w", err)}
		}
		return err
	}
}

// shed closes w's other connection to side s (its folder connection when
// an Appender is wanted, its Appender otherwise) so that the one wanted
// can take its place; it reports whether it closed one. Only host2 has
// two connections per worker.
func (w *worker) shed(s side, dialingAppender bool) bool {
	if s != host2 {
		return false
	}
	if dialingAppender {
		if c := w.conns[host2]; c != nil {
			logoutClose(c)
			w.conns[host2], w.sel[host2] = nil, ""
			return true
		}
		return false
	}
	if w.app != nil {
		w.app.Close()
		w.app = nil
		return true
	}
	if d := w.takeWarm(); d != nil {
		// Its slot, once dialed, is freed when it closes.
		if a := d.wait(); a != nil {
			a.Close()
			return true
		}
	}
	return false
}

// reclaim closes the connections of the workers that are idle (not
// running a job), for a dial waiting for a free connection.
// An idle worker gives up its connections to both sides, so that no
// worker keeps one side while waiting for the other. They open new ones
// when they next need them.
func (e *engine) reclaim() {
	e.mu.Lock()
	ws := append([]*worker(nil), e.pool...)
	e.mu.Unlock()
	for _, w := range ws {
		w.mu.Lock()
		if w.idle {
			for i, c := range w.conns {
				if c != nil {
					logoutClose(c)
					w.conns[i], w.sel[i] = nil, ""
				}
			}
			if w.app != nil {
				w.app.Close()
				w.app = nil
			}
			if w.warm != nil {
				w.warm.drop()
				w.warm = nil
			}
		}
		w.mu.Unlock()
	}
}

// logoutClose logs c out and waits for the server to close the
// connection (bounded), so that the server no longer counts it when the
// slot it frees is taken by a new connection.
func logoutClose(c *conn.Conn) {
	if alive(c) {
		c.Logout().Wait()
		select {
		case <-c.Closed():
		case <-time.After(2 * time.Second):
		}
	}
	c.Close()
}

// turns bounds the workers running jobs at once by the hosts' connection
// bounds: with no more workers at work than the smaller bound, a worker
// waiting for a connection always waits for one held by an idle worker
// (which gives it up) or by a worker that can finish its job, never for
// one held by a worker waiting in turn. Its zero value is ready.
type turns struct {
	mu     sync.Mutex
	active int
	wake   chan struct{}
}

// turnLimit returns the smaller of the hosts' connection bounds, 0 for
// none.
func (e *engine) turnLimit() int {
	n := 0
	for _, s := range []side{host1, host2} {
		g := &e.servers[s].gate
		g.mu.Lock()
		l := g.limit
		if !g.started {
			l = e.maxConns(s)
		}
		g.mu.Unlock()
		if l > 0 && (n == 0 || l < n) {
			n = l
		}
	}
	return n
}

// begin waits for a turn to run jobs.
func (e *engine) begin() {
	t := &e.turns
	for {
		t.mu.Lock()
		if l := e.turnLimit(); l == 0 || t.active < l {
			t.active++
			t.mu.Unlock()
			return
		}
		if t.wake == nil {
			t.wake = make(chan struct{})
		}
		wake := t.wake
		t.mu.Unlock()
		select {
		case <-wake:
		case <-time.After(gateWait):
		}
	}
}

// end gives the turn back.
func (e *engine) end() {
	t := &e.turns
	t.mu.Lock()
	t.active--
	if t.wake != nil {
		close(t.wake)
		t.wake = nil
	}
	t.mu.Unlock()
}
