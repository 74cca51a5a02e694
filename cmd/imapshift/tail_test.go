package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTail follows a running sync with --tail: it prints the run's whole
// log file, including the lines written after it started following, and
// exits 0 once the run has exited.
func TestTail(t *testing.T) {
	const n = 40
	p := slowPair(t, "tia", "tom", n, 300*time.Millisecond)
	tmp := t.TempDir()
	logDir := t.TempDir()
	common := append(p.args(), "--tmpdir", tmp)
	run := startProc(t, append(common, "--parallel", "1", "--logdir", logDir)...)
	run.waitFor(t, "copied to", 20*time.Second)

	r := runArgs(t, nil, append(common, "--tail")...)
	if r.code != 0 {
		t.Fatalf("--tail: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if code := run.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("followed sync: exit %d\n%s", code, run.out.String())
	}
	files := logFiles(t, logDir)
	if len(files) != 1 {
		t.Fatalf("log files %v, want the run's only", files)
	}
	logPath := filepath.Join(logDir, files[0])
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(run.cmd.Process.Pid)
	want := "Following PID " + pid + ", log file " + logPath + ", until it exits\n" + string(log) + "PID " + pid + " has exited\n"
	if r.stdout != want {
		t.Errorf("--tail printed\n%s\nwant\n%s", r.stdout, want)
	}
	for _, line := range []string{"++++ Statistics", "Exiting with return value 0"} {
		if !strings.Contains(string(log), line) {
			t.Errorf("the followed log lacks %q", line)
		}
	}
	if got := p.messageIDs(t); len(got) != n {
		t.Errorf("host2 has %d messages, want %d", len(got), n)
	}

	// Nothing to follow any more: one line, exit 0.
	r = runArgs(t, nil, append(common, "--tail")...)
	if r.code != 0 || r.stdout != "No pidfile "+filepath.Join(tmp, "imapshift_tia_tom.pid")+", so no imapshift run to follow for these accounts\n" {
		t.Errorf("nothing to follow: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --tail needs the accounts (or --pidfile).
	if r = runArgs(t, nil, "--tail", "--user1", "x"); r.code != 64 {
		t.Errorf("--tail without user2: exit %d %s", r.code, r.stderr)
	}
}
