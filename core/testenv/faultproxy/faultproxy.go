// Package faultproxy is a fault-injecting TCP proxy for tests. A Proxy
// listens on 127.0.0.1 (OS-chosen port) and forwards every connection to
// one target address on the loopback interface, byte for byte, until a
// fault configured for that connection acts: a cut (both ends closed, as
// when a NAT or a load balancer drops a flow), a reset (both ends closed
// with a TCP RST) or a stall (forwarding pauses, as on a congested link),
// each after a number of bytes in one direction. The number is fixed, or
// drawn from a range with a seeded random source, so a run can be
// repeated.
//
//	p, _ := faultproxy.Start(srv.Addr(), faultproxy.Options{Seed: 1})
//	defer p.Close()
//	p.SetDefault(faultproxy.Faults{ToTarget: []faultproxy.Fault{{Kind: faultproxy.Cut, After: 20 << 10, AfterMax: 2 << 20}}})
//	// connect the client under test to p.Addr()
//
// The proxy only talks to loopback addresses, and Close stops it and
// closes every connection it holds.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Kind is what a fault does.
type Kind int

const (
	// Cut closes both ends of the connection: each side gets a FIN, or a
	// TCP RST if it still had bytes in flight toward the proxy (TCP
	// resets a connection whose socket is closed with unread data), so a
	// client sees either an end of stream or a reset.
	Cut Kind = iota + 1
	// Reset closes both ends with SO_LINGER 0, so each side gets a TCP
	// RST ("connection reset by peer") and never an orderly end.
	Reset
	// Stall stops forwarding in that direction for Fault.Stall, then goes
	// on. The other direction is not affected.
	Stall
)

func (k Kind) String() string {
	switch k {
	case Cut:
		return "cut"
	case Reset:
		return "reset"
	case Stall:
		return "stall"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one fault in one direction of one connection. It acts once
// exactly After bytes have been forwarded in that direction (counting
// from the connection's first byte), before the next byte is forwarded;
// with AfterMax > After the offset is drawn uniformly from
// [After, AfterMax] when the connection is accepted. A connection that
// ends before the offset never meets the fault.
type Fault struct {
	Kind     Kind
	After    int64
	AfterMax int64
	// Stall is how long a Stall fault pauses.
	Stall time.Duration
}

// Faults are the faults of one connection, per direction. Within a
// direction they act in the order of their offsets; a Cut or Reset ends
// the connection, so faults after it never act.
type Faults struct {
	// ToTarget applies to the bytes from the client to the target (the
	// client's commands and literals).
	ToTarget []Fault
	// ToClient applies to the bytes from the target to the client (the
	// server's answers).
	ToClient []Fault
}

// Options configures a Proxy.
type Options struct {
	// Seed seeds the random source that draws offsets from ranges. The
	// same seed and the same order of connections give the same offsets.
	Seed uint64
	// Latency delays every byte by this long in each direction, as a
	// long link does. Bytes read from one end before it closes are still
	// delivered to the other end, late: what a process killed in the
	// middle of pipelined commands leaves in the network.
	Latency time.Duration
}

// Stats are a Proxy's counters since Start.
type Stats struct {
	Conns         int   // connections accepted
	Open          int   // connections open now (until either end closes)
	MaxOpen       int   // the most connections open at once
	BytesToTarget int64 // bytes forwarded from clients to the target
	BytesToClient int64 // bytes forwarded from the target to clients
	Cuts          int   // Cut faults that acted
	Resets        int   // Reset faults that acted
	Stalls        int   // Stall faults that acted
}

// Proxy is a running fault-injecting proxy. Its methods are safe for
// concurrent use; fault settings apply to connections accepted after the
// call.
type Proxy struct {
	target  string
	ln      net.Listener
	latency time.Duration

	mu     sync.Mutex
	rnd    *rand.Rand
	def    Faults
	queue  []Faults
	stats  Stats
	conns  map[*link]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

// Start listens on 127.0.0.1 and forwards to target, a "host:port" whose
// host is a loopback address or "localhost". The target need not be up
// yet: a connection that cannot reach it is closed.
func Start(target string, opts Options) (*Proxy, error) {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("faultproxy: target %q is not a loopback address", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		target:  target,
		ln:      ln,
		latency: opts.Latency,
		rnd:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		conns:   make(map[*link]struct{}),
		done:    make(chan struct{}),
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Host is "127.0.0.1".
func (p *Proxy) Host() string { return p.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// SetDefault sets the faults of every connection accepted from now on
// that has no queued faults (see Queue). The zero Faults forwards
// untouched.
func (p *Proxy) SetDefault(f Faults) {
	p.mu.Lock()
	p.def = f
	p.mu.Unlock()
}

// Queue gives the next len(f) connections the faults f[0], f[1], ... in
// the order they are accepted; later connections get the default again.
func (p *Proxy) Queue(f ...Faults) {
	p.mu.Lock()
	p.queue = append(p.queue, f...)
	p.mu.Unlock()
}

// Clear removes the default and queued faults. Live connections keep
// theirs.
func (p *Proxy) Clear() {
	p.mu.Lock()
	p.def, p.queue = Faults{}, nil
	p.mu.Unlock()
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops accepting, closes every connection and waits until all of
// the proxy's goroutines have ended. Calling it again does nothing.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	links := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		links = append(links, l)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range links {
		l.close(false)
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		f := p.def
		if len(p.queue) > 0 {
			f, p.queue = p.queue[0], p.queue[1:]
		}
		l := &link{p: p, client: c.(*net.TCPConn)}
		l.steps[0] = p.plan(f.ToTarget)
		l.steps[1] = p.plan(f.ToClient)
		p.stats.Conns++
		p.stats.Open++
		p.stats.MaxOpen = max(p.stats.MaxOpen, p.stats.Open)
		p.conns[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go l.run()
	}
}

// plan draws the offsets of faults and sorts them. Callers hold p.mu.
func (p *Proxy) plan(faults []Fault) []step {
	steps := make([]step, 0, len(faults))
	for _, f := range faults {
		at := max(f.After, 0)
		if f.AfterMax > at {
			at += p.rnd.Int64N(f.AfterMax - at + 1)
		}
		steps = append(steps, step{Fault: f, at: at})
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	return steps
}

func (p *Proxy) count(dir int, n int64, kind Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if dir == 0 {
		p.stats.BytesToTarget += n
	} else {
		p.stats.BytesToClient += n
	}
	switch kind {
	case Cut:
		p.stats.Cuts++
	case Reset:
		p.stats.Resets++
	case Stall:
		p.stats.Stalls++
	}
}

type step struct {
	Fault
	at int64 // the drawn offset
}

// link is one proxied connection.
type link struct {
	p      *Proxy
	client *net.TCPConn
	steps  [2][]step // 0: to target, 1: to client

	mu     sync.Mutex
	target *net.TCPConn // nil until dialled
	closed bool

	endOnce sync.Once // Stats.Open was decremented
}

// ended takes the link out of Stats.Open, once: when either end has
// closed it (a server that closed its end, or that read the client's
// close, no longer counts it).
func (l *link) ended() {
	l.endOnce.Do(func() {
		l.p.mu.Lock()
		l.p.stats.Open--
		l.p.mu.Unlock()
	})
}

// errFault ends a pump when a Cut or Reset acted.
var errFault = errors.New("faultproxy: fault")

func (l *link) run() {
	defer l.p.wg.Done()
	defer func() {
		l.p.mu.Lock()
		delete(l.p.conns, l)
		l.p.mu.Unlock()
	}()
	defer l.ended()
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", l.p.target)
	if err != nil {
		l.close(false)
		return
	}
	target := c.(*net.TCPConn)
	l.mu.Lock()
	if l.closed { // the proxy closed while dialling
		l.mu.Unlock()
		target.Close()
		return
	}
	l.target = target
	l.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); l.pump(0, l.client, target); l.ended() }()
	go func() { defer wg.Done(); l.pump(1, target, l.client); l.ended() }()
	wg.Wait()
	l.close(false)
}

// pump forwards src to dst in direction dir, applying its faults. At a
// clean end of src it half-closes dst, so the other direction can finish.
func (l *link) pump(dir int, src, dst *net.TCPConn) {
	var delayed chan chunk
	if l.p.latency > 0 {
		delayed = make(chan chunk, 1024)
		done := make(chan struct{})
		defer func() { <-done }()
		go func() {
			defer close(done)
			l.deliver(delayed, dst)
		}()
		defer close(delayed)
	}
	steps := l.steps[dir]
	var sent int64
	buf := make([]byte, 32<<10)
	for {
		for len(steps) > 0 && steps[0].at <= sent {
			s := steps[0]
			steps = steps[1:]
			l.p.count(dir, 0, s.Kind)
			switch s.Kind {
			case Cut:
				l.close(false)
				return
			case Reset:
				l.close(true)
				return
			case Stall:
				t := time.NewTimer(s.Stall)
				select {
				case <-t.C:
				case <-l.p.done:
					t.Stop()
					return
				}
			}
		}
		want := int64(len(buf))
		if len(steps) > 0 {
			want = min(want, steps[0].at-sent)
		}
		n, err := src.Read(buf[:want])
		if n > 0 && delayed != nil {
			delayed <- chunk{data: append([]byte(nil), buf[:n]...), at: time.Now().Add(l.p.latency)}
			sent += int64(n)
			l.p.count(dir, int64(n), 0)
		} else if n > 0 {
			w, werr := dst.Write(buf[:n])
			sent += int64(w)
			l.p.count(dir, int64(w), 0)
			if werr != nil {
				l.close(false)
				return
			}
		}
		if delayed != nil && err != nil {
			return // deliver writes what was read, then half-closes dst
		}
		if err == io.EOF {
			dst.CloseWrite()
			return
		}
		if err != nil {
			l.close(false)
			return
		}
	}
}

// chunk is data read at one end, due at the other end at a given time.
type chunk struct {
	data []byte
	at   time.Time
}

// deliver writes each chunk to dst when it is due, then half-closes dst.
func (l *link) deliver(chunks <-chan chunk, dst *net.TCPConn) {
	for c := range chunks {
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.data); err != nil {
			for range chunks {
			}
			return
		}
	}
	dst.CloseWrite()
}

// close closes both ends once; with reset, with a TCP RST.
func (l *link) close(reset bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	for _, c := range []*net.TCPConn{l.client, l.target} {
		if c == nil {
			continue
		}
		if reset {
			c.SetLinger(0)
		}
		c.Close()
	}
}
