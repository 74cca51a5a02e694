package engine

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// TestDialedAhead: the logins begun before the run (Options.Dialed) are
// the run's first connections: the run uses them, prints what it prints
// when it dials itself (timings apart), and leaves none open; a refused
// login begun ahead fails the run as the run's own dial does (exit 162).
func TestDialedAhead(t *testing.T) {
	p := newPair(t)
	if err := p.u1.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var outSelf, outAhead bytes.Buffer
	run(t, p.options(t, &outSelf)) // copies
	outSelf.Reset()
	o := p.options(t, &outSelf)
	o.Parallel = 1
	if res := run(t, o); res.Transferred != 0 {
		t.Fatalf("rerun copied %d", res.Transferred)
	}

	o = p.options(t, &outAhead)
	o.Parallel = 1
	d1, d2 := conn.Start(ctx, o.Host1), conn.Start(ctx, o.Host2)
	o.Dialed = [2]*conn.Pending{d1, d2}
	if res := run(t, o); res.Transferred != 0 || res.Errors.Count() != 0 {
		t.Fatalf("rerun with logins begun ahead: %d copied, %d errors:\n%s", res.Transferred, res.Errors.Count(), outAhead.String())
	}
	for i, d := range []*conn.Pending{d1, d2} {
		if _, _, ok := d.Take(ctx); ok {
			t.Errorf("side %d: the run did not take the login begun ahead", i+1)
		}
	}
	varying := regexp.MustCompile(`(?m)^(Transfer|Message rate|Average bandwidth|Memory|Load|CPU|Time spent).*$`)
	if a, b := varying.ReplaceAllString(outSelf.String(), ""), varying.ReplaceAllString(outAhead.String(), ""); a != b {
		t.Errorf("the output differs:\n--- dialled by the run\n%s\n--- begun ahead\n%s", a, b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.s1.ActiveConnections()+p.s2.ActiveConnections() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n1, n2 := p.s1.ActiveConnections(), p.s2.ActiveConnections(); n1+n2 != 0 {
		t.Errorf("connections left open: %d on host1, %d on host2", n1, n2)
	}

	// A refused login begun ahead is the run's login failure.
	o = p.options(t, &outAhead)
	o.Host2.Password = "wrong"
	o.Dialed = [2]*conn.Pending{conn.Start(ctx, o.Host1), conn.Start(ctx, o.Host2)}
	_, err := Run(ctx, o)
	var ce *conn.Error
	if !errors.As(err, &ce) || ce.Side != 2 || exitcode.Of(err) != exitcode.AuthFailureUser2 {
		t.Errorf("refused login begun ahead: %v (exit %d)", err, exitcode.Of(err))
	}
}
