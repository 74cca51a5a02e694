package main

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// gateProxy forwards TCP connections to an IMAP server and holds a run in
// the middle of its copy, deterministically: the client's APPEND
// commands (a MULTIAPPEND is one) pass until holdAt of them have been
// seen over all connections; that one and everything after it on its
// connection wait until release. The server's answers always pass, so the
// APPENDs before the held one are confirmed. New connections pass until
// they send an APPEND themselves.
type gateProxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	holdAt int

	mu      sync.Mutex
	appends int
	open    chan struct{} // closed by release
	held    chan struct{} // closed when the first APPEND is held
	heldOne bool
	wg      sync.WaitGroup
	conns   []net.Conn
}

func startGateProxy(t *testing.T, target string, holdAt int) *gateProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gateProxy{t: t, ln: ln, target: target, holdAt: holdAt, open: make(chan struct{}), held: make(chan struct{})}
	g.wg.Add(1)
	go g.accept()
	t.Cleanup(g.close)
	return g
}

// port is the proxy's port on 127.0.0.1.
func (g *gateProxy) port() int { return g.ln.Addr().(*net.TCPAddr).Port }

// release lets every held APPEND through, and all that follow.
func (g *gateProxy) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *gateProxy) close() {
	g.release()
	g.ln.Close()
	g.mu.Lock()
	for _, c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

func (g *gateProxy) accept() {
	defer g.wg.Done()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", g.target)
		if err != nil {
			c.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, c, s)
		g.mu.Unlock()
		g.wg.Add(2)
		go func() {
			defer g.wg.Done()
			io.Copy(c, s)
			c.Close()
		}()
		go func() {
			defer g.wg.Done()
			g.pump(s, c)
			s.Close()
		}()
	}
}

// appendCmd is how an APPEND command looks in the client's stream after
// its tag.
var appendCmd = []byte(" APPEND ")

// pump copies the client's bytes to the server, holding at the APPEND
// that reaches holdAt.
func (g *gateProxy) pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	var carry []byte // the end of the previous read, for a command split across reads
	passed := false  // this connection's held APPEND was released
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			scan := append(append([]byte(nil), carry...), chunk...)
			off := 0
			for !passed {
				i := bytes.Index(scan[off:], appendCmd)
				if i < 0 {
					break
				}
				at := off + i - len(carry) // start of " APPEND " in chunk (may be < 0)
				off += i + len(appendCmd)
				g.mu.Lock()
				g.appends++
				hold := g.appends >= g.holdAt
				if hold && !g.heldOne {
					g.heldOne = true
					close(g.held)
				}
				g.mu.Unlock()
				if !hold {
					continue
				}
				cut := max(at, 0)
				if _, err := dst.Write(chunk[:cut]); err != nil {
					return
				}
				chunk = chunk[cut:]
				<-g.open
				passed = true
			}
			if _, err := dst.Write(chunk); err != nil {
				return
			}
			// A whole " APPEND " never fits in the carry, so none is
			// counted twice.
			keep := min(len(scan), len(appendCmd)-1)
			carry = append(carry[:0], scan[len(scan)-keep:]...)
		}
		if err != nil {
			return
		}
	}
}
