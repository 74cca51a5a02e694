package conn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// waitConns waits until srv has n connections open.
func waitConns(t *testing.T, srv *imapmem.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for srv.ActiveConnections() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", srv.ActiveConnections(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPendingTakeAndAbandon: a login begun with Start is handed over once
// by Take (a logged-in connection, or Dial's error); after that Take
// reports the outcome claimed and Abandon does nothing. Abandon before
// any Take logs the connection out, and the server sees it closed.
func TestPendingTakeAndAbandon(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("joe", "pw-joe")
	ctx := context.Background()

	p := Start(ctx, memConfig(srv, "joe", "pw-joe", nil))
	c, err, ok := p.Take(ctx)
	if !ok || err != nil || c == nil {
		t.Fatalf("Take: %v, %v, %v", c, err, ok)
	}
	if c.Config != p.Config() || c.Mech != "LOGIN" {
		t.Errorf("Take gave config %p (want %p), mech %q", c.Config, p.Config(), c.Mech)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("the connection taken does not work: %v", err)
	}
	if again, _, ok := p.Take(ctx); ok || again != nil {
		t.Errorf("second Take got the outcome again")
	}
	p.Abandon() // taken: nothing to do
	waitConns(t, srv, 1)
	c.Logout().Wait()
	c.Close()
	waitConns(t, srv, 0)

	p = Start(ctx, memConfig(srv, "joe", "pw-joe", nil))
	waitConns(t, srv, 1)
	p.Abandon()
	waitConns(t, srv, 0)
	if _, _, ok := p.Take(ctx); ok {
		t.Errorf("Take after Abandon got the outcome")
	}

	p = Start(ctx, memConfig(srv, "joe", "wrong", nil))
	_, err, ok = p.Take(ctx)
	var ce *Error
	if !ok || !errors.As(err, &ce) || ce.Stage != StageAuth {
		t.Errorf("Take of a refused login: %v (ok %v), want an authentication *Error", err, ok)
	}

	// Take under a context that ends first abandons the dial: a server
	// that never greets sees the connection closed.
	closed := make(chan struct{})
	sc := startScript(t, func(sc *scriptConn) {
		sc.read() // nothing comes: EOF once the client gives up
		close(closed)
	})
	cctx, cancel := context.WithCancel(ctx)
	p = Start(ctx, sc.config(nil))
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err, ok := p.Take(cctx); !ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Take under a cancelled context: %v, %v", err, ok)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Errorf("the abandoned dial's connection is still open")
	}
}

// TestDialCancelledIsCanceled: a dial whose context ends while it waits
// for the server reports context.Canceled (the run's exit code is then
// the signal's), not the deadline the cancellation set on the socket.
func TestDialCancelledIsCanceled(t *testing.T) {
	sc := startScript(t, func(sc *scriptConn) { sc.read() })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := Dial(ctx, sc.config(nil))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	p := Start(ctx, sc.config(nil))
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err, _ := p.Take(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial begun ahead: %v, want context.Canceled", err)
	}
}
