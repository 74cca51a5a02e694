package conn

import (
	"context"
	"sync"
)

// Pending is a Dial begun before the connection is needed (Start): a run
// starts the login of each side as soon as its command line is parsed, so
// that the server's greeting and authentication, most of a short run's
// time, overlap the rest of its start-up (banner, pidfile, sync state).
//
// Exactly one of Take and Abandon gets the connection: Take hands it over
// to the caller, Abandon logs it out. A Pending neither taken nor
// abandoned keeps its connection open.
type Pending struct {
	cfg    *Config
	cancel context.CancelFunc
	done   chan struct{}
	c      *Conn // the outcome, once done is closed
	err    error

	mu    sync.Mutex
	owned bool // Take or Abandon has claimed the outcome
}

// Start begins Dial(ctx, cfg) in the background. The dial stops when ctx
// is cancelled, as Dial does.
func Start(ctx context.Context, cfg *Config) *Pending {
	ctx, cancel := context.WithCancel(ctx)
	p := &Pending{cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.c, p.err = Dial(ctx, cfg)
	}()
	return p
}

// Config is the configuration the dial uses: the caller must use this
// one, not a copy, for the side's other connections.
func (p *Pending) Config() *Config { return p.cfg }

// Take waits for the dial and returns its outcome, Dial's: the connection
// is then the caller's. ok is false when the outcome was claimed already
// (an earlier Take, or Abandon): the caller dials for itself. When ctx
// ends first, Take abandons the dial and returns ctx's error.
func (p *Pending) Take(ctx context.Context) (c *Conn, err error, ok bool) {
	if !p.claim() {
		return nil, nil, false
	}
	select {
	case <-p.done:
		p.cancel() // releases the context; the connection outlives it
		return p.c, p.err, true
	case <-ctx.Done():
		p.drop()
		return nil, ctx.Err(), true
	}
}

// Abandon cancels the dial, or logs out of the connection if it was made,
// unless Take claimed it. It does not wait: the logout ends in the
// background.
func (p *Pending) Abandon() {
	if p.claim() {
		p.drop()
	}
}

// claim reports whether the caller is the first to claim the outcome.
func (p *Pending) claim() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owned {
		return false
	}
	p.owned = true
	return true
}

// drop cancels the dial and closes the connection it makes, if any.
func (p *Pending) drop() {
	p.cancel()
	go func() {
		<-p.done
		if p.c != nil {
			p.c.Logout()
			p.c.Close()
		}
	}()
}
