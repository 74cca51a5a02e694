package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	return c.Process.Pid
}

// TestPidFileInProcess covers the pidfile's content while the run holds
// it, its removal, stale pidfiles (a dead PID, a PID reused by another
// program) and --pidfile "".
func TestPidFileInProcess(t *testing.T) {
	p := newPair(t, "gina", "hugo", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.pid")
	args := append(p.args(), "--nolog", "--pidfile", path, "--pidfilelocking")

	// A dead PID is stale: removed, even with --pidfilelocking.
	os.WriteFile(path, []byte(strconv.Itoa(deadPID(t))+"\n"), 0o644)
	r := runArgs(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "Removing stale pidfile "+path) || !strings.Contains(r.stdout, "Removing pidfile "+path) {
		t.Fatalf("dead PID: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A live PID of another program: --pidfilelocking refuses to start
	// (exit 8) and leaves the pidfile alone, whatever the process is;
	// without it, the pidfile is taken as stale (a reused PID).
	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatalf("starting another program: %v", err)
	} else {
		defer func() { sleep.Process.Kill(); sleep.Wait() }()
		content := strconv.Itoa(sleep.Process.Pid) + "\n"
		os.WriteFile(path, []byte(content), 0o644)
		r = runArgs(t, nil, args...)
		want := "pidfile " + path + " names PID " + strconv.Itoa(sleep.Process.Pid) + ", which is still running"
		if r.code != 8 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--pidfilelocking") {
			t.Fatalf("live PID with --pidfilelocking: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		oneErrorLine(t, r)
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("the refused run changed the pidfile: %q", b)
		}
		// The logins it began ahead (config.Settings.DialAhead) are
		// logged out.
		for deadline := time.Now().Add(5 * time.Second); p.src.ActiveConnections()+p.dst.ActiveConnections() > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if n1, n2 := p.src.ActiveConnections(), p.dst.ActiveConnections(); n1+n2 > 0 {
			t.Errorf("the refused run left connections open: %d on host1, %d on host2", n1, n2)
		}
		r = runArgs(t, nil, append(p.args(), "--nolog", "--pidfile", path)...)
		if r.code != 0 || !strings.Contains(r.stdout, "is not an imapshift process") || !strings.Contains(r.stdout, "Removing pidfile "+path) {
			t.Fatalf("reused PID without --pidfilelocking: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}

	// --pidfile "" writes none.
	r = runArgs(t, nil, append(p.args(), "--nolog", "--pidfile", "")...)
	if r.code != 0 || !strings.Contains(r.stdout, `No PID file because of option --pidfile ""`) || strings.Contains(r.stdout, "Removing pidfile") {
		t.Fatalf(`--pidfile "": exit %d\n%s`, r.code, r.stdout)
	}

	// An unwritable pidfile exits 8.
	r = runArgs(t, nil, append(p.args(), "--nolog", "--pidfile", filepath.Join(dir, "no", "such", "dir.pid"))...)
	if r.code != 8 || !strings.Contains(r.stderr, "can not write pidfile") {
		t.Fatalf("unwritable: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// slowPair is an account pair whose sync lasts several seconds: messages
// of 150 KiB with a body budget of 1 MiB, so that a FETCH of bodies gets
// at most three of them, and every FETCH on host1 waits delay.
func slowPair(t *testing.T, user1, user2 string, n int, delay time.Duration) *pair {
	t.Helper()
	p := newPairSized(t, user1, user2, n, 150<<10)
	p.extra = []string{"--bodybudget", "1MiB"}
	p.src.Faults().Delay("FETCH", delay)
	return p
}

// TestPidFileLocking runs a long sync in a process of its own: while it
// holds the pidfile, a run with --pidfilelocking on the same accounts
// exits 8 and leaves the pidfile alone; without it, a run on other
// accounts has a pidfile of its own.
func TestPidFileLocking(t *testing.T) {
	p := slowPair(t, "ivan", "judy", 40, 300*time.Millisecond)
	tmp := t.TempDir()
	run := startProc(t, append(p.args(), "--tmpdir", tmp, "--parallel", "1")...)
	pidPath := filepath.Join(tmp, "imapshift_ivan_judy.pid")
	run.waitFor(t, "copied to", 20*time.Second)
	b, err := os.ReadFile(pidPath)
	if err != nil || !strings.HasPrefix(string(b), strconv.Itoa(run.cmd.Process.Pid)+"\n") {
		t.Fatalf("pidfile of the running sync: %v %q", err, b)
	}

	r := runArgs(t, nil, append(p.args(), "--tmpdir", tmp, "--pidfilelocking", "--nolog")...)
	if r.code != 8 || !strings.Contains(r.stderr, "pidfile "+pidPath+" names PID "+strconv.Itoa(run.cmd.Process.Pid)+", which is still running") {
		t.Errorf("--pidfilelocking: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if b2, _ := os.ReadFile(pidPath); string(b2) != string(b) {
		t.Errorf("the refused run changed the pidfile: %q", b2)
	}

	// Other accounts: their own pidfile, no clash.
	q := newPair(t, "kim", "lee", 1)
	r = runArgs(t, nil, append(q.args(), "--tmpdir", tmp, "--pidfilelocking", "--nolog")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Writing my PID "+strconv.Itoa(os.Getpid())+" in "+filepath.Join(tmp, "imapshift_kim_lee.pid")) {
		t.Errorf("other accounts: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	run.cmd.Process.Signal(os.Interrupt)
	if code := run.wait(t, 30*time.Second); code != 6 {
		t.Errorf("the sync exited %d after SIGINT, want 6:\n%s", code, run.out.String())
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind: %v", err)
	}
}

// TestAbort stops a running sync with --abort: the sync stops gracefully
// (final report, exit 6), the aborter exits 0, and a rerun finishes
// without duplicates.
func TestAbort(t *testing.T) {
	const n = 40
	p := slowPair(t, "mia", "ned", n, 300*time.Millisecond)
	tmp := t.TempDir()
	common := append(p.args(), "--tmpdir", tmp)
	run := startProc(t, append(common, "--parallel", "1")...)
	run.waitFor(t, "copied to", 20*time.Second)

	logDir := t.TempDir()
	r := runArgs(t, nil, append(common, "--abort", "--logdir", logDir)...)
	pid := strconv.Itoa(run.cmd.Process.Pid)
	if r.code != 0 {
		t.Fatalf("aborter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Sending signal TERM to PID " + pid,
		"PID " + pid + " stopped after",
		"PID " + pid + " ended with: Exiting with return value 6 (EXIT_BY_SIGNAL)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("aborter output lacks %q:\n%s", want, r.stdout)
		}
	}
	if files := logFiles(t, logDir); len(files) != 1 || !strings.HasSuffix(files[0], "_mia_ned_abort.txt") {
		t.Errorf("aborter log files %v", files)
	}
	if code := run.wait(t, 5*time.Second); code != 6 {
		t.Fatalf("aborted sync: exit %d\n%s", code, run.out.String())
	}
	out := run.out.String()
	for _, want := range []string{"Got signal TERM: stopping gracefully", "++++ Statistics", "Exiting with return value 6 (EXIT_BY_SIGNAL)", "Removing pidfile", "Log file is "} {
		if !strings.Contains(out, want) {
			t.Errorf("aborted sync output lacks %q:\n%s", want, out)
		}
	}
	got := p.messageIDs(t)
	if len(got) == 0 || len(got) >= n {
		t.Errorf("the aborted sync copied %d of %d messages: not stopped mid-run?", len(got), n)
	}

	// Nothing to abort any more: a clear message, exit 0.
	r = runArgs(t, nil, append(common, "--abort", "--nolog")...)
	if r.code != 0 || !strings.Contains(r.stdout, "No pidfile "+filepath.Join(tmp, "imapshift_mia_ned.pid")+", so no imapshift run to abort") {
		t.Errorf("nothing to abort: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --abort needs the accounts (or --pidfile).
	if r = runArgs(t, nil, "--abort", "--user1", "x"); r.code != 64 {
		t.Errorf("--abort without user2: exit %d %s", r.code, r.stderr)
	}

	p.src.Faults().Delay("FETCH", 0)
	r = runArgs(t, nil, append(common, "--nolog")...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkNoDuplicates(t, p, n)
}

// checkNoDuplicates checks that host2 has each of the n messages once.
func checkNoDuplicates(t *testing.T, p *pair, n int) {
	t.Helper()
	got := p.messageIDs(t)
	if len(got) != n {
		t.Errorf("host2 has %d distinct messages, want %d", len(got), n)
	}
	for id, k := range got {
		if k != 1 {
			t.Errorf("host2 has %s %d times", id, k)
		}
	}
}

// TestDovecotRunControl covers, on Dovecot: the log file's name and
// content without secrets, --pidfilelocking exiting 8 while a live
// imapshift holds the pidfile, --abort stopping a running sync (exit 6
// for it, 0 for the aborter), and a rerun completing without duplicates.
func TestDovecotRunControl(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	const n = 300
	pad := strings.Repeat(strings.Repeat("y", 76)+"\r\n", 150<<10/78)
	var msgs []dovecot.Message
	for i := 0; i < n; i++ {
		raw := string(msg(fmt.Sprintf("rc%d", i), fmt.Sprintf("run control %d", i))) + pad
		msgs = append(msgs, dovecot.Message{Raw: []byte(raw), Flags: []string{`\Seen`}, Date: time.Date(2021, 1, 2, 3, 4, i%60, 0, time.UTC)})
	}
	if err := d1.Seed("user1", "INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	tmp, logDir := t.TempDir(), t.TempDir()
	args := append(append([]string{"--tmpdir", tmp, "--nofoldersizes", "--bodybudget", "1MiB"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user2", "secret2", "--notls2")...)
	pidPath := filepath.Join(tmp, "imapshift_user1_user2.pid")

	// A live imapshift (this test process) holds the pidfile.
	held := strconv.Itoa(os.Getpid()) + "\n"
	os.WriteFile(pidPath, []byte(held), 0o644)
	r := runArgs(t, nil, append(args, "--pidfilelocking", "--nolog")...)
	if b, _ := os.ReadFile(pidPath); r.code != 8 || string(b) != held {
		t.Fatalf("--pidfilelocking: exit %d, pidfile %q\n%s%s", r.code, b, r.stdout, r.stderr)
	}
	os.Remove(pidPath)

	run := startProc(t, append(args, "--logdir", logDir, "--parallel", "1")...)
	run.waitFor(t, "copied to", 30*time.Second)
	r = runArgs(t, nil, append(args, "--abort", "--nolog")...)
	if r.code != 0 || !strings.Contains(r.stdout, "ended with: Exiting with return value 6 (EXIT_BY_SIGNAL)") {
		t.Fatalf("aborter: exit %d\n%s%s\nrun:\n%s", r.code, r.stdout, r.stderr, run.out.String())
	}
	if code := run.wait(t, 10*time.Second); code != 6 {
		t.Fatalf("aborted sync: exit %d\n%s", code, run.out.String())
	}
	files := logFiles(t, logDir)
	if len(files) != 1 || !regexp.MustCompile(`^\d{4}(_\d\d){5}_\d{3}_user1_user2\.txt$`).MatchString(files[0]) {
		t.Fatalf("log files %v", files)
	}
	b, err := os.ReadFile(filepath.Join(logDir, files[0]))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if log != run.out.String() {
		t.Errorf("the log differs from the terminal output")
	}
	for _, want := range []string{"Here is imapshift ", "--password1 MASKED", "Got signal TERM: stopping gracefully", "++++ Statistics", "Exiting with return value 6 (EXIT_BY_SIGNAL)", "Removing pidfile " + pidPath} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	if !strings.HasSuffix(log, "Log file is "+filepath.Join(logDir, files[0])+" ( to change it, use --logfile filepath ; or use --nolog to turn off logging )\n") {
		t.Errorf("the log does not end with its name:\n%s", log[max(0, len(log)-500):])
	}
	for _, secret := range []string{"secret1", "secret2"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	c2 := dovecotClient(t, d2, "user2", "secret2")
	if got, _ := contents(t, c2); len(got["INBOX"]) == 0 || len(got["INBOX"]) >= n {
		t.Fatalf("the aborted sync copied %d of %d messages", len(got["INBOX"]), n)
	}

	r = runArgs(t, nil, append(args, "--nolog")...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want, _ := contents(t, dovecotClient(t, d1, "user1", "secret1"))
	got, _ := contents(t, c2)
	if len(got["INBOX"]) != n || !slices.Equal(got["INBOX"], want["INBOX"]) {
		t.Fatalf("after the rerun host2 INBOX has %d messages (%d distinct), want each of the %d once", len(got["INBOX"]), len(slices.Compact(slices.Clone(got["INBOX"]))), n)
	}
}

// TestAbortByFile stops a run through its abort file: the run exits 7
// (EXIT_BY_FILE) with its report, and a rerun completes without
// duplicates.
func TestAbortByFile(t *testing.T) {
	const n = 40
	p := slowPair(t, "olga", "paul", n, 300*time.Millisecond)
	tmp := t.TempDir()
	common := append(p.args(), "--tmpdir", tmp)
	run := startProc(t, append(common, "--parallel", "1", "--nolog")...)
	run.waitFor(t, "copied to", 20*time.Second)

	r := runArgs(t, nil, append(common, "--abort", "--abortbyfile", "--nolog")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Creating the abort file "+filepath.Join(tmp, "imapshift_olga_paul.pid")+"abort") {
		t.Fatalf("aborter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if code := run.wait(t, 10*time.Second); code != 7 {
		t.Fatalf("aborted sync: exit %d\n%s", code, run.out.String())
	}
	out := run.out.String()
	for _, want := range []string{"Found the abort file of this run", "++++ Statistics", "Exiting with return value 7 (EXIT_BY_FILE)"} {
		if !strings.Contains(out, want) {
			t.Errorf("aborted sync output lacks %q:\n%s", want, out)
		}
	}
	p.src.Faults().Delay("FETCH", 0)
	if r = runArgs(t, nil, append(common, "--nolog")...); r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkNoDuplicates(t, p, n)
}
