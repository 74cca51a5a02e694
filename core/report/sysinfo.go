package report

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// SystemInfo holds the process and host figures of the statistics block.
type SystemInfo struct {
	MemoryMiB  float64 // process memory at the end (peak RSS)
	Load       string  // load average, "1.36 1.04 0.48 1/101"; "" prints "unknown"
	Cores      int
	CPUSeconds float64 // user + system CPU time of the process
}

// SampleSystem measures the SystemInfo of the running process now.
func SampleSystem() SystemInfo {
	return SystemInfo{
		MemoryMiB:  PeakRSSMiB(),
		Load:       LoadAvg(),
		Cores:      runtime.NumCPU(),
		CPUSeconds: CPUSeconds(),
	}
}

// PeakRSSMiB returns the peak resident set size of the process in MiB
// (VmHWM of /proc/self/status), or 0 where that is not available.
func PeakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			fields := strings.Fields(string(v)) // "181432 kB"
			if len(fields) == 0 {
				return 0
			}
			kb, err := strconv.ParseFloat(fields[0], 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}

// LoadAvg returns the first four fields of /proc/loadavg (the 1, 5 and 15
// minute load averages and runnable/total tasks), or "" where that is not
// available.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	fields := strings.Fields(string(b))
	return strings.Join(fields[:min(4, len(fields))], " ")
}
