package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// startProfiles writes profiles for the developers when asked by the
// environment (they are not options: nothing a migration needs):
//
//   - IMAPSHIFT_CPUPROFILE=file: a CPU profile of the whole run;
//   - IMAPSHIFT_HEAPPROFILE=file: the heap profile taken when the live heap
//     was at its highest (sampled every 50 ms), so that it shows what the
//     peak RSS was made of, not what was left at the end. Beside it,
//     file.mem holds, at that moment and at the highest RSS, the runtime's
//     memory classes (runtime/metrics /memory/classes/..., whose sum is
//     what the Go runtime has mapped) and /proc/self/smaps_rollup (Linux):
//     the process's whole memory, the binary's pages and libc's included.
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
			var peak, peakRSS uint64
			var atLive, atRSS string
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				metrics.Read(sample)
				live := sample[0].Value.Uint64()
				rss := rssNow()
				if live > peak {
					peak = live
					if f, err := os.Create(path); err == nil {
						pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
					atLive = memoryReport("at the highest live heap")
				}
				if rss > peakRSS {
					peakRSS = rss
					atRSS = memoryReport("at the highest RSS")
				}
				if live == peak || rss == peakRSS {
					os.WriteFile(path+".mem", []byte(atLive+"\n"+atRSS), 0o644)
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

// memoryReport is the runtime's memory classes and the kernel's view of
// the process (smaps_rollup), under title.
func memoryReport(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s):\n", title, time.Now().Format("15:04:05.000"))
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || d.Name == "/gc/heap/live:bytes" || d.Name == "/gc/heap/goal:bytes" ||
			d.Name == "/gc/gomemlimit:bytes" || d.Name == "/sched/goroutines:goroutines" {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	for _, s := range samples {
		switch {
		case s.Value.Kind() != metrics.KindUint64:
		case strings.HasSuffix(s.Name, ":bytes"):
			fmt.Fprintf(&b, "  %-55s %10.2f MiB\n", s.Name, float64(s.Value.Uint64())/(1<<20))
		default:
			fmt.Fprintf(&b, "  %-55s %10d\n", s.Name, s.Value.Uint64())
		}
	}
	if roll, err := os.ReadFile("/proc/self/smaps_rollup"); err == nil {
		for _, line := range strings.Split(string(roll), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[2] == "kB" && f[1] != "0" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				fmt.Fprintf(&b, "  smaps %-49s %10.2f MiB\n", f[0], kb/1024)
			}
		}
	}
	return b.String()
}

// rssNow is the process's resident set in bytes (0 when unknown).
func rssNow() uint64 {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(statm))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
