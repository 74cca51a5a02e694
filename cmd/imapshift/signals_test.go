package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalRules feeds signals to the handler: the first cancels the
// run's context with the signal as cause, one within 2 s of the previous
// exits 6 at once, one later than that is a new first signal.
func TestSignalRules(t *testing.T) {
	var out strings.Builder
	a := newApp(strings.NewReader(""), &out, &out)
	exited := -1
	a.ctl.Exit = func(code int) { exited = code }
	ctx, cancel := context.WithCancelCause(context.Background())
	t0 := time.Now()
	a.ctl.OnSignal(syscall.SIGTERM, t0, cancel)
	if ctx.Err() == nil || context.Cause(ctx) == nil || context.Cause(ctx).Error() != "interrupted by signal TERM" {
		t.Fatalf("first signal: ctx %v, cause %v", ctx.Err(), context.Cause(ctx))
	}
	if exited != -1 || a.ctl.StoppedBy() != "TERM" || !strings.Contains(out.String(), "Got signal TERM: stopping gracefully") {
		t.Fatalf("first signal: exit %d, stoppedBy %q\n%s", exited, a.ctl.StoppedBy(), out.String())
	}
	a.ctl.OnSignal(os.Interrupt, t0.Add(3*time.Second), cancel)
	if exited != -1 {
		t.Fatalf("a signal 3 s later exited %d", exited)
	}
	a.ctl.OnSignal(os.Interrupt, t0.Add(4500*time.Millisecond), cancel)
	if exited != 6 || !strings.Contains(out.String(), "Got a second signal INT within 2s: exiting at once") {
		t.Fatalf("second signal within 2 s: exit %d\n%s", exited, out.String())
	}
	if a.ctl.StoppedBy() != "TERM" {
		t.Errorf("stoppedBy %q, want the first signal", a.ctl.StoppedBy())
	}

	// Through the channel, as signal.Notify delivers them.
	b := newApp(strings.NewReader(""), &strings.Builder{}, &strings.Builder{})
	codes := make(chan int, 1)
	b.ctl.Exit = func(code int) { codes <- code }
	ch := make(chan os.Signal, 2)
	ctx2, stop := b.ctl.HandleSignals(context.Background(), ch)
	defer stop()
	ch <- syscall.SIGTERM
	select {
	case <-ctx2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	ch <- syscall.SIGTERM
	select {
	case code := <-codes:
		if code != 6 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second SIGTERM did not exit")
	}
}

// TestInterruptedRunExits6 checks that a run stopped before its report
// exits 6 with one line on stderr.
func TestInterruptedRunExits6(t *testing.T) {
	p := newPair(t, "olga", "paul", 3)
	var out, errb strings.Builder
	a := newApp(strings.NewReader(""), &out, &errb)
	a.ctl.OnSignal(syscall.SIGTERM, time.Now(), func(error) {}) // as if signalled during the run
	code := a.main(append(p.args(), "--nolog", "--pidfile", ""))
	if code != 6 || !strings.Contains(out.String(), "Exiting with return value 6 (EXIT_BY_SIGNAL)") || !strings.Contains(out.String(), "You should resynchronize") {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if errb.String() != "imapshift: interrupted by signal TERM\n" {
		t.Errorf("stderr %q", errb.String())
	}
}

// TestSIGTERMMidRun sends SIGTERM to a running sync: it stops gracefully
// (final report, pidfile removed, log ending with its name), exits 6, and
// a rerun completes without duplicates.
func TestSIGTERMMidRun(t *testing.T) {
	const n = 40
	p := slowPair(t, "quinn", "rosa", n, 300*time.Millisecond)
	tmp := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "run.txt")
	run := startProc(t, append(p.args(), "--tmpdir", tmp, "--logfile", logFile, "--parallel", "2")...)
	run.waitFor(t, "copied to", 20*time.Second)
	sent := time.Now()
	run.cmd.Process.Signal(syscall.SIGTERM)
	code := run.wait(t, 20*time.Second)
	out := run.out.String()
	if code != 6 {
		t.Fatalf("exit %d, want 6:\n%s", code, out)
	}
	if d := time.Since(sent); d > 10*time.Second {
		t.Errorf("took %s to stop", d)
	}
	for _, want := range []string{
		"Got signal TERM: stopping gracefully",
		"++++ Statistics",
		"The sync was stopped by signal TERM before its end",
		"Exiting with return value 6 (EXIT_BY_SIGNAL)",
		"imapshift: interrupted by signal TERM",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if !strings.Contains(log, "Exiting with return value 6") || !strings.HasSuffix(log, "Log file is "+logFile+" ( to change it, use --logfile filepath ; or use --nolog to turn off logging )\n") {
		t.Errorf("log:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(tmp, "imapshift_quinn_rosa.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind: %v", err)
	}
	got := p.messageIDs(t)
	if len(got) == 0 || len(got) >= n {
		t.Errorf("the interrupted sync copied %d of %d messages", len(got), n)
	}

	p.src.Faults().Delay("FETCH", 0)
	r := runArgs(t, nil, append(p.args(), "--nolog", "--tmpdir", tmp)...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkNoDuplicates(t, p, n)
}

// TestSecondSignalExitsAtOnce sends two SIGINTs in a row: the run exits 6
// at once, without the final report, still removing its pidfile.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	p := slowPair(t, "sam", "tina", 40, 300*time.Millisecond)
	tmp := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "run.txt")
	run := startProc(t, append(p.args(), "--tmpdir", tmp, "--logfile", logFile, "--parallel", "1")...)
	run.waitFor(t, "copied to", 20*time.Second)
	run.cmd.Process.Signal(os.Interrupt)
	run.waitFor(t, "Got signal INT", 5*time.Second)
	run.cmd.Process.Signal(os.Interrupt)
	if code := run.wait(t, 5*time.Second); code != 6 {
		t.Fatalf("exit %d, want 6:\n%s", code, run.out.String())
	}
	out := run.out.String()
	if !strings.Contains(out, "Got a second signal INT within 2s: exiting at once") || strings.Contains(out, "Exiting with return value") {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(out, "Removing pidfile ") || !strings.HasSuffix(out, "( to change it, use --logfile filepath ; or use --nolog to turn off logging )\n") {
		t.Errorf("no final lines:\n%s", out)
	}
	if b, _ := os.ReadFile(logFile); string(b) != out {
		t.Errorf("log differs from the output:\n%s", b)
	}
}
