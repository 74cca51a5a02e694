package engine

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// countingObserver records what an Observer is told.
type countingObserver struct {
	mu      sync.Mutex
	appends int
	open    map[string]int
	peak    map[string]int
}

func (o *countingObserver) Appended(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d > 0 {
		o.appends++
	}
}

func (o *countingObserver) Connections(host string, delta int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.open[host] += delta
	o.peak[host] = max(o.peak[host], o.open[host])
}

// TestObserver runs a sync with an Observer and MaxConns2 2: every APPEND
// is timed, the connections to both hosts are reported as they open, no
// more than the bound to host2, and all are reported closed after Run.
func TestObserver(t *testing.T) {
	p := newPair(t)
	for i := 0; i < 3; i++ {
		seedN(t, p.u1, fmt.Sprintf("F%d", i), 20, 1000)
	}
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.MaxConns2 = 2
	obs := &countingObserver{open: map[string]int{}, peak: map[string]int{}}
	opts.Observer = obs
	res := run(t, opts)
	if res.Errors.Count() != 0 {
		t.Fatalf("errors %v", res.Errors.Records())
	}
	assertExactlyOnce(t, p, &out)
	h1, h2 := opts.Host1.Address(), opts.Host2.Address()
	deadline := time.Now().Add(5 * time.Second)
	for {
		obs.mu.Lock()
		open1, open2, peak1, peak2, appends := obs.open[h1], obs.open[h2], obs.peak[h1], obs.peak[h2], obs.appends
		obs.mu.Unlock()
		if open1 == 0 && open2 == 0 || time.Now().After(deadline) {
			if open1 != 0 || open2 != 0 {
				t.Errorf("still open after the run: host1 %d, host2 %d", open1, open2)
			}
			if peak1 < 1 || peak2 < 1 || peak2 > 2 {
				t.Errorf("peak connections: host1 %d, host2 %d (want ≥ 1, host2 ≤ 2)", peak1, peak2)
			}
			// 60 messages: at least one APPEND (or MULTIAPPEND) answer each
			// folder.
			if appends < 3 {
				t.Errorf("%d APPEND answers timed, want ≥ 3", appends)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}
