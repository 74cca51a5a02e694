package engine

import "sync"

// DefaultMaxInFlight is the default bound on the bytes written to one
// host2 connection and not yet confirmed (Options.MaxInFlight).
const DefaultMaxInFlight = 32 << 20

// byteWindow bounds the bytes of APPENDs written and not yet answered on
// one connection: what a crash can leave landing late on host2. A batch
// larger than the whole window is sent alone.
type byteWindow struct {
	mu   sync.Mutex
	cond sync.Cond
	used int64
	max  int64 // <= 0: no bound
}

func newByteWindow(max int64) *byteWindow {
	w := &byteWindow{max: max}
	w.cond.L = &w.mu
	return w
}

// acquire waits until n more bytes fit in the window (or nothing is in
// flight) and takes them. It returns what release must give back.
func (w *byteWindow) acquire(n int64) int64 {
	if w.max <= 0 {
		return 0
	}
	n = min(n, w.max)
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.used > 0 && w.used+n > w.max {
		w.cond.Wait()
	}
	w.used += n
	return n
}

// release gives back n bytes taken by acquire.
func (w *byteWindow) release(n int64) {
	if n == 0 {
		return
	}
	w.mu.Lock()
	w.used -= n
	w.mu.Unlock()
	w.cond.Broadcast()
}
