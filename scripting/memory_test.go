package scripting

import (
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMemoryBudget runs the two runaway scripts a new user writes (a
// table of 1 MB strings, a string doubled 40 times) under a 64 MB budget:
// each call is stopped with a clear error well before the time limit,
// the heap stays within the budget plus a margin, and the next message
// is handled normally.
func TestMemoryBudget(t *testing.T) {
	const budget = 64 << 20
	for _, c := range []struct {
		name, body string
		margin     int64 // how far past the budget the heap may grow
	}{
		{"table of 1 MB strings", `local t = {} for i = 1, 100000 do t[i] = string.rep("x", 1048576) .. i end`, budget},
		// One concatenation is one Lua instruction: the one running when
		// the budget is passed completes (doubling a 64 MB string takes
		// 128 MB more) before the call stops; on a loaded machine the
		// sampler may see it one doubling later. Unbounded, this script
		// reaches gigabytes.
		{"string doubling", `local s = "x" for i = 1, 40 do s = s .. s end`, 7 * budget},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := compile(t, `
function skip(msg)
  if msg.uid == 1 then `+c.body+` end
  return "fine"
end`, Options{MaxMemory: budget, Timeout: 60 * time.Second})
			runtime.GC()
			base := heapBytes()
			var peak atomic.Uint64
			done := make(chan struct{})
			go func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					if h := heapBytes(); h > peak.Load() {
						peak.Store(h)
					}
					time.Sleep(500 * time.Microsecond)
				}
			}()
			start := time.Now()
			m := newMsg(testRaw, nil)
			m.UID = 1
			_, err := s.Chain().Skips[0].Hook.Skip(m)
			took := time.Since(start)
			close(done)
			if err == nil || !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "script used more than 64 MB") {
				t.Fatalf("runaway script: %v", err)
			}
			grew := int64(peak.Load()) - int64(base)
			t.Logf("stopped after %v, heap grew by at most %d MB (budget 64 MB)", took.Round(time.Millisecond), grew>>20)
			if grew > budget+c.margin {
				t.Errorf("the heap grew by %d MB under a 64 MB budget", grew>>20)
			}
			m = newMsg(testRaw, nil)
			m.UID = 2
			if r, err := s.Chain().Skips[0].Hook.Skip(m); err != nil || r != "fine" {
				t.Errorf("the next message: %q, %v", r, err)
			}
		})
	}
}

func TestMemoryBudgetLeavesNormalScripts(t *testing.T) {
	s := compile(t, `
function skip(msg)
  local t = {}
  for i = 1, 1000 do t[i] = string.rep("y", 1000) end
  return #table.concat(t) == 1000000
end`, Options{MaxMemory: 64 << 20})
	for i := range 20 {
		if r, err := s.Chain().Skips[0].Hook.Skip(newMsg(testRaw, nil)); err != nil || r == "" {
			t.Fatalf("call %d: %q %v", i, r, err)
		}
	}
}
