package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// echoServer echoes every connection and records how many bytes each
// one received.
type echoServer struct {
	ln       net.Listener
	mu       sync.Mutex
	received []int64
	wg       sync.WaitGroup
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			i := len(e.received)
			e.received = append(e.received, 0)
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					e.mu.Lock()
					e.received[i] += int64(n)
					e.mu.Unlock()
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); e.wg.Wait() })
	return e
}

// receivedBy waits until the echo server's connection i has seen the end
// of its stream and returns its byte count.
func (e *echoServer) receivedBy(t *testing.T, i int) int64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last int64 = -1
	for {
		e.mu.Lock()
		var n int64
		if i < len(e.received) {
			n = e.received[i]
		}
		e.mu.Unlock()
		if n == last && last >= 0 {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection %d still receiving", i)
		}
		last = n
		time.Sleep(50 * time.Millisecond)
	}
}

func startProxy(t *testing.T, target string, seed uint64) *Proxy {
	t.Helper()
	p, err := Start(target, Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// exchange connects through p, writes data (ignoring write errors, as a
// cut may stop it) and reads until the end of the stream: what came back
// and the error that ended it (nil for a clean EOF).
func exchange(t *testing.T, p *Proxy, data []byte) ([]byte, error) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	return got, err
}

func TestForwardsUntouched(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String(), 1)
	data := payload(1 << 20)
	got, err := exchange(t, p, data)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, err %v", len(got), err)
	}
	if st := p.Stats(); st.Conns != 1 || st.BytesToTarget != 1<<20 || st.BytesToClient != 1<<20 || st.Cuts+st.Resets+st.Stalls != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestCutAndReset: a fault after N bytes lets exactly N bytes through in
// its direction; a reset ends the client's stream with ECONNRESET.
func TestCutAndReset(t *testing.T) {
	data := payload(100000)
	for _, tc := range []struct {
		name      string
		faults    Faults
		wantReset bool
		// wantTarget / wantClient: bytes the echo server / the client
		// must get, -1 for "at most 100000".
		wantTarget, wantClient int64
	}{
		{"cut to target", Faults{ToTarget: []Fault{{Kind: Cut, After: 5000}}}, false, 5000, -1},
		{"cut to client", Faults{ToClient: []Fault{{Kind: Cut, After: 7000}}}, false, -1, 7000},
		{"reset to client", Faults{ToClient: []Fault{{Kind: Reset, After: 7000}}}, true, -1, -1},
		{"cut at once", Faults{ToTarget: []Fault{{Kind: Cut}}}, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEcho(t)
			p := startProxy(t, e.ln.Addr().String(), 1)
			p.SetDefault(tc.faults)
			got, err := exchange(t, p, data)
			if !bytes.Equal(got, data[:len(got)]) {
				t.Error("the bytes that came back differ")
			}
			if tc.wantReset {
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("read ended with %v, want a reset", err)
				}
				if len(got) > 7000 {
					t.Errorf("%d bytes after a reset at 7000", len(got))
				}
			} else if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				// A cut may reach the client as a reset when its own
				// bytes were still in flight.
				t.Errorf("read ended with %v, want an end of stream or a reset", err)
			}
			if tc.wantClient >= 0 && int64(len(got)) != tc.wantClient {
				t.Errorf("client got %d bytes, want %d", len(got), tc.wantClient)
			}
			if n := e.receivedBy(t, 0); tc.wantTarget >= 0 && n != tc.wantTarget {
				t.Errorf("target got %d bytes, want %d", n, tc.wantTarget)
			}
			st := p.Stats()
			if st.Cuts+st.Resets != 1 || (st.Resets == 1) != tc.wantReset {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestRandomOffsetsRepeat: offsets drawn from a range stay in it, vary
// between connections, and repeat with the same seed.
func TestRandomOffsetsRepeat(t *testing.T) {
	data := payload(60000)
	run := func(seed uint64) []int {
		e := startEcho(t)
		p := startProxy(t, e.ln.Addr().String(), seed)
		p.SetDefault(Faults{ToClient: []Fault{{Kind: Cut, After: 1000, AfterMax: 50000}}})
		var sizes []int
		for i := 0; i < 6; i++ {
			got, _ := exchange(t, p, data)
			sizes = append(sizes, len(got))
		}
		if st := p.Stats(); st.Conns != 6 || st.Cuts != 6 {
			t.Errorf("stats %+v", st)
		}
		return sizes
	}
	a, b := run(42), run(42)
	distinct := map[int]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("seed 42 gave %v then %v", a, b)
			break
		}
		if a[i] < 1000 || a[i] > 50000 {
			t.Errorf("offset %d outside [1000, 50000]", a[i])
		}
		distinct[a[i]] = true
	}
	if len(distinct) < 2 {
		t.Errorf("offsets do not vary: %v", a)
	}
}

// TestStall: forwarding pauses at the offset for the given time, then
// everything arrives intact.
func TestStall(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String(), 1)
	p.SetDefault(Faults{ToClient: []Fault{{Kind: Stall, After: 4000, Stall: 400 * time.Millisecond}}})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := payload(10000)
	go c.Write(data)
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got[:4000]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := io.ReadFull(c, got[4000:]); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Errorf("the rest came after %v, want a 400 ms stall", d)
	}
	if !bytes.Equal(got, data) {
		t.Error("bytes differ after the stall")
	}
	if st := p.Stats(); st.Stalls != 1 || st.Cuts != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestQueue: queued faults go to the next connections in order, then the
// default applies.
func TestQueue(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String(), 1)
	p.Queue(Faults{ToClient: []Fault{{Kind: Cut, After: 10}}}, Faults{ToClient: []Fault{{Kind: Cut, After: 20}}})
	data := payload(1000)
	for i, want := range []int{10, 20, 1000, 1000} {
		if got, _ := exchange(t, p, data); len(got) != want {
			t.Errorf("connection %d: %d bytes, want %d", i, len(got), want)
		}
	}
	p.Queue(Faults{ToClient: []Fault{{Kind: Cut, After: 10}}})
	p.Clear()
	if got, _ := exchange(t, p, data); len(got) != 1000 {
		t.Errorf("after Clear: %d bytes", len(got))
	}
}

// TestClose: Close ends live connections and refuses new ones.
func TestClose(t *testing.T) {
	e := startEcho(t)
	p, err := Start(e.ln.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	io.ReadFull(c, buf)
	done := make(chan error, 1)
	go func() { _, err := c.Read(buf); done <- err }()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a live connection survived Close")
	}
	if c2, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c2.Close()
		t.Error("the proxy still accepts after Close")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for target, ok := range map[string]bool{
		"192.0.2.1:143": false, "example.com:143": false, "nope": false,
		"127.0.0.1:143": true, "localhost:143": true, "[::1]:143": true,
	} {
		p, err := Start(target, Options{})
		if (err == nil) != ok {
			t.Errorf("Start(%q): %v", target, err)
		}
		if p != nil {
			p.Close()
		}
	}
}

// TestIMAPThroughProxy runs an IMAP session through the proxy against
// imapmem. A first, clean session measures how many bytes the server
// sends before the message literal; the next sessions stall, then cut,
// in the middle of that literal.
func TestIMAPThroughProxy(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser("bob", "pw-bob")
	raw := []byte("Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 20000))
	if err := u.Seed("INBOX", imapmem.Message{Raw: raw}); err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, srv.Addr(), 1)

	var before int64
	session := func() ([]byte, error) {
		c, err := imapclient.DialInsecure(p.Addr(), nil)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := c.Login("bob", "pw-bob").Wait(); err != nil {
			return nil, err
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			return nil, err
		}
		before = p.Stats().BytesToClient
		return fetchStreaming(c, 1)
	}
	got, err := session()
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("clean session: %d bytes, %v", len(got), err)
	}
	mid := before + int64(len(raw))/2

	p.Queue(Faults{ToClient: []Fault{{Kind: Stall, After: mid, Stall: 500 * time.Millisecond}}})
	start := time.Now()
	got, err = session()
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("stalled session: %d bytes, %v", len(got), err)
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("stalled session took %v", d)
	}

	p.Queue(Faults{ToClient: []Fault{{Kind: Cut, After: mid}}})
	if got, err := session(); err == nil && bytes.Equal(got, raw) {
		t.Error("the session cut in the middle of the literal got the whole message")
	}
	if st := p.Stats(); st.Conns != 3 || st.Stalls != 1 || st.Cuts != 1 {
		t.Errorf("stats %+v", st)
	}
}

// fetchStreaming reads BODY.PEEK[] of one message as a stream. A literal
// cut short reads as a clean end, so its length is checked against the
// announced size; after a short read the command is not closed (go-imap
// beta.8 would read the rest of the literal from two goroutines), the
// caller closes the client instead.
func fetchStreaming(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	msg := cmd.Next()
	if msg == nil {
		return nil, errors.Join(errors.New("no message"), cmd.Close())
	}
	var got []byte
	for item := msg.Next(); item != nil; item = msg.Next() {
		b, ok := item.(imapclient.FetchItemDataBodySection)
		if !ok || b.Literal == nil {
			continue
		}
		data, err := io.ReadAll(b.Literal)
		if err == nil && int64(len(data)) != b.Literal.Size() {
			err = errors.New("literal cut short")
		}
		if err != nil {
			return nil, err
		}
		got = data
	}
	return got, cmd.Close()
}

// TestLatencyDeliversAfterTheClientIsGone: with Latency, a round trip
// takes twice the latency, and bytes the client wrote before it vanished
// still reach the target, late.
func TestLatencyDeliversAfterTheClientIsGone(t *testing.T) {
	e := startEcho(t)
	p, err := Start(e.ln.Addr().String(), Options{Latency: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 400*time.Millisecond {
		t.Errorf("round trip %v, want at least 400ms", rtt)
	}
	c.Write(make([]byte, 100<<10))
	c.Close() // gone before a byte of it arrived
	e.mu.Lock()
	early := e.received[0]
	e.mu.Unlock()
	time.Sleep(400 * time.Millisecond) // the latency, and then some
	if got := e.receivedBy(t, 0); got != 4+100<<10 || early != 4 {
		t.Errorf("the target got %d bytes (%d at the close), want %d", got, early, 4+100<<10)
	}
}

// TestMaxOpen counts the connections open at once: three open together,
// then closed, leave Open 0 and MaxOpen 3.
func TestMaxOpen(t *testing.T) {
	e := startEcho(t)
	p, err := Start(e.ln.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var cs []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		// A round trip: the link is dialled and counted.
		c.Write([]byte("x"))
		io.ReadFull(c, make([]byte, 1))
		cs = append(cs, c)
	}
	if st := p.Stats(); st.Open != 3 || st.MaxOpen != 3 {
		t.Fatalf("with 3 open: Open %d, MaxOpen %d", st.Open, st.MaxOpen)
	}
	for _, c := range cs {
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Open != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := p.Stats(); st.Open != 0 || st.MaxOpen != 3 {
		t.Fatalf("after closing: Open %d, MaxOpen %d", st.Open, st.MaxOpen)
	}
}
