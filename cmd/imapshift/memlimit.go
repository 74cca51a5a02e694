package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// memoryHeadroom is what a run needs besides its message bodies
// (metadata, connection buffers, the runtime) in the soft memory limit.
const memoryHeadroom = 18 << 20

// limitMemory sets the process's soft memory limit to base bytes, unless
// GOMEMLIMIT says otherwise or base is not positive, and keeps it at
// least twice the live heap until stop is called.
//
// The engine keeps at most its body budget in message bodies, and
// without a limit the garbage collector lets the heap grow to twice what
// is live: the limit holds a run near what it needs. But a fixed limit
// below what a large folder's analysis legitimately keeps live would make
// the collector run without pause (a 100,000-message folder spent more
// CPU collecting than copying), so the limit follows the live heap up.
// It leaves the collector the headroom GOGC's default gives it (twice the
// live heap): with 1.5 times, a 100,000-message folder's no-op --nostate
// took 6.1 s of CPU instead of 3.2 s (the collector and the scavenger
// returning pages the next chunk needs again), for 47 MB of RSS instead
// of 60.
func limitMemory(base int64) (stop func()) {
	if os.Getenv("GOMEMLIMIT") != "" || base <= 0 {
		return func() {}
	}
	prev := debug.SetMemoryLimit(base)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		limit := base
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				continue
			}
			live := int64(sample[0].Value.Uint64())
			if want := max(base, 2*live); want != limit {
				debug.SetMemoryLimit(want)
				limit = want
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		debug.SetMemoryLimit(prev)
	}
}
