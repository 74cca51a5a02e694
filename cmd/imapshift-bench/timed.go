package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const timeBin = "/usr/bin/time"

type figures struct {
	output   string // what the tool printed
	wall     time.Duration
	rssMB    float64
	exitCode int
	// cpu is the tool's user + system time, dovecotCPU that of the
	// Dovecots' processes during the run (seconds).
	cpu, dovecotCPU float64
	split           cpuSplit // the Dovecots' CPU by process name
}

// result starts the table row of these figures.
func (f figures) result(tool, phase string) result {
	return result{tool: tool, phase: phase, wall: f.wall, rssMB: f.rssMB, output: f.output, cpu: f.cpu, dovecotCPU: f.dovecotCPU, split: f.split}
}

// timed runs a command under /usr/bin/time, whose %M is the peak RSS of
// the command alone (a child forked from this process would inherit its
// high-water mark). The command's output is shown only when it fails.
func timed(name string, args ...string) (figures, error) {
	cmd := exec.Command(timeBin, append([]string{"-f", "cpu=%U %S maxrss=%M", name}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	settle()
	d0 := dovecotCPU()
	stopWatch := watchCPU()
	t0 := time.Now()
	err := cmd.Run()
	f := figures{wall: time.Since(t0)}
	// The masters reap their children (imap, imap-login) as they exit.
	time.Sleep(300 * time.Millisecond)
	f.dovecotCPU = dovecotCPU() - d0
	f.split = stopWatch()
	if cmd.ProcessState == nil {
		return f, err
	}
	f.exitCode = cmd.ProcessState.ExitCode()
	s := out.String()
	if i := strings.LastIndex(s, "maxrss="); i >= 0 {
		kb, _ := strconv.ParseFloat(strings.TrimSpace(s[i+7:]), 64)
		f.rssMB = kb / 1024
		s = s[:i]
	}
	if i := strings.LastIndex(s, "cpu="); i >= 0 {
		var user, sys float64
		fmt.Sscanf(s[i+4:], "%g %g", &user, &sys)
		f.cpu = user + sys
		s = s[:i]
	}
	f.output = s
	if f.exitCode != 0 {
		fmt.Fprintf(os.Stderr, "%s exited with %d; last lines of its output:\n%s\n", filepath.Base(name), f.exitCode, tail(s, 30))
	}
	return f, nil
}

// settle writes the dirty page cache out (sync(1)) before a timed run:
// otherwise the writeback of the previous run's hundreds of MB competes
// with this run's fsyncs (it made the floor 2.5× slower after mbsync).
func settle() {
	exec.Command("sync").Run()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
