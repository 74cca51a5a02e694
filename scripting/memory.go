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
// running then is stopped; a forced GC first makes sure the growth is
// live memory and not garbage. One goroutine samples the heap
// (runtime/metrics) every memSample while calls run.
type memWatch struct {
	mu      sync.Mutex
	calls   map[*state]memCall
	running atomic.Int32
	started bool
	wake    chan struct{}
	lastGC  time.Time
}

type memCall struct {
	base, limit uint64
}

var watcher = &memWatch{calls: map[*state]memCall{}, wake: make(chan struct{}, 1)}

// heapBytes is the memory of the heap's objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// watch registers st's call (budget limit bytes) until the returned
// function is called.
func (w *memWatch) watch(st *state, limit int64) func() {
	if limit <= 0 {
		return func() {}
	}
	base := heapBytes()
	w.mu.Lock()
	w.calls[st] = memCall{base: base, limit: uint64(limit)}
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

// check stops the calls whose budget the heap passed.
func (w *memWatch) check() {
	heap := heapBytes()
	w.mu.Lock()
	over := w.over(heap)
	w.mu.Unlock()
	if len(over) == 0 {
		return
	}
	if time.Since(w.lastGC) > 100*time.Millisecond {
		// Garbage counts until swept: collect, then look again.
		runtime.GC()
		w.lastGC = time.Now()
		heap = heapBytes()
	}
	// Stopped under the lock: a call still registered is still running.
	w.mu.Lock()
	for _, st := range w.over(heap) {
		st.memStopped.Store(true)
		st.cancel()
	}
	w.mu.Unlock()
}

func (w *memWatch) over(heap uint64) []*state {
	var out []*state
	for st, c := range w.calls {
		if heap > c.base+c.limit {
			out = append(out, st)
		}
	}
	return out
}
