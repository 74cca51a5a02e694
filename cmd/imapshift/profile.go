package main

import (
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// startProfiles writes profiles for the developers when asked by the
// environment (they are not options: nothing a migration needs):
//
//   - IMAPSHIFT_CPUPROFILE=file: a CPU profile of the whole run;
//   - IMAPSHIFT_HEAPPROFILE=file: the heap profile taken when the live heap
//     was at its highest (sampled every 50 ms), so that it shows what the
//     peak RSS was made of, not what was left at the end.
//
// The returned function stops them and writes the files.
func startProfiles() func() {
	var stops []func()
	if path := os.Getenv("IMAPSHIFT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
			}
		}
	}
	if path := os.Getenv("IMAPSHIFT_HEAPPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			var peak uint64
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak {
					peak = v
					if f, err := os.Create(path); err == nil {
						pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
				}
			}
		}()
		stops = append(stops, func() { close(stop); <-done })
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
