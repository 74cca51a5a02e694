package scripting

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxMemory is the memory budget of the hook calls running at one
// time when Options.MaxMemory is zero.
const DefaultMaxMemory = 256 << 20

// memSample is how often the heap is read while a hook call runs.
const memSample = 2 * time.Millisecond

// ErrMemory is wrapped by the error of a call stopped by the memory
// budget.
var ErrMemory = errors.New("script used too much memory")

type memoryError struct{ limit int64 }

func (e *memoryError) Error() string {
	return fmt.Sprintf("script used more than %d MB (--scriptmaxmemory)", e.limit>>20)
}
func (e *memoryError) Unwrap() error { return ErrMemory }

// memWatch stops hook calls when the Go heap grows more than their budget
// above what it was when they started: gopher-lua allocates on the Go
// heap and cannot be bounded otherwise. The heap is shared by every call
// (and the rest of the process), so when it passes a budget every call
// running then is stopped. Garbage counts until the GC sweeps it: a call
// over its budget is stopped once a GC cycle (started then, in the
// background) has completed and the heap is still over, or at once when
// the heap is a quarter over the budget. One goroutine samples the heap
// (runtime/metrics) every memSample while calls run.
type memWatch struct {
	mu      sync.Mutex
	calls   map[*state]*memCall
	running atomic.Int32
	started bool
	wake    chan struct{}
	gcBusy  atomic.Bool
}

type memCall struct {
	base, limit uint64
	overAt      uint64 // GC cycles when first seen over the budget, 0: not over
}

var watcher = &memWatch{calls: map[*state]*memCall{}, wake: make(chan struct{}, 1)}

// heapStats reads the memory of the heap's objects (live or not yet
// swept) and the number of completed GC cycles.
func heapStats() (heap, cycles uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		heap = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		cycles = s[1].Value.Uint64()
	}
	return heap, cycles
}

func heapBytes() uint64 {
	h, _ := heapStats()
	return h
}

// watch registers st's call (budget limit bytes) until the returned
// function is called.
func (w *memWatch) watch(st *state, limit int64) func() {
	if limit <= 0 {
		return func() {}
	}
	base := heapBytes()
	w.mu.Lock()
	w.calls[st] = &memCall{base: base, limit: uint64(limit)}
	if !w.started {
		w.started = true
		go w.loop()
	}
	w.mu.Unlock()
	if w.running.Add(1) == 1 {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return func() {
		w.running.Add(-1)
		w.mu.Lock()
		delete(w.calls, st)
		w.mu.Unlock()
	}
}

func (w *memWatch) loop() {
	t := time.NewTicker(memSample)
	defer t.Stop()
	for {
		if w.running.Load() == 0 {
			<-w.wake
			continue
		}
		<-t.C
		w.check()
	}
}

// check stops the calls whose budget the heap passed. Calls are stopped
// under the lock: a call still registered is still running.
func (w *memWatch) check() {
	heap, cycles := heapStats()
	collect := false
	w.mu.Lock()
	for st, c := range w.calls {
		switch {
		case heap <= c.base+c.limit:
			c.overAt = 0
		case heap > c.base+c.limit+c.limit/4 || c.overAt != 0 && cycles > c.overAt:
			st.memStopped.Store(true)
			st.cancel()
		case c.overAt == 0:
			c.overAt = cycles
			collect = true
		}
	}
	w.mu.Unlock()
	if collect && w.gcBusy.CompareAndSwap(false, true) {
		go func() {
			runtime.GC()
			w.gcBusy.Store(false)
		}()
	}
}
