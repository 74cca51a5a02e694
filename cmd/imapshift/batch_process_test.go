package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// writeFleetFile writes the account lines of accounts 0..n-1 of f
// (host1 to host2, same user) and returns its path.
func writeFleetFile(t *testing.T, f *fleetPair, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("host1;user1;password1;host2;user2;password2;options\n")
	for a := 0; a < n; a++ {
		b.WriteString(batchLine(a, f.d1.Host, f.d1.Port, f.d2.Host, f.d2.Port) + "\n")
	}
	file := filepath.Join(t.TempDir(), "accounts.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestBatchKilledAndRerun stops a batch process with Ctrl-C (SIGINT: the
// running accounts stop gracefully, exit 6, the queued ones are not
// started), runs it again and kills it with SIGKILL while accounts are
// being copied, then runs the same command again: it ends 0, every
// account complete, no message twice.
func TestBatchKilledAndRerun(t *testing.T) {
	const n = 12
	f := startFleet(t, n, n, 40)
	bin := buildBinary(t)
	file := writeFleetFile(t, f, n)
	work := t.TempDir()
	out := filepath.Join(work, "out")
	args := []string{"batch", file, "--jobs", "4", "--outdir", out, "--notls1", "--notls2", "--nofoldersizes", "--nofoldersizesatend"}
	// Ctrl-C first: the running accounts stop gracefully (exit 6), the
	// others are not started, the summary says so.
	code, text := interruptBinary(t, bin, work, args, "[1/")
	if code != 6 {
		t.Fatalf("interrupted batch: exit %d, want 6\n%s", code, text)
	}
	stopped, notStarted := 0, 0
	for _, r := range readSummary(t, out) {
		switch {
		case r["exit_code"] == "6" && strings.Contains(r["first_error"], "not started"):
			notStarted++
		case r["exit_code"] == "6":
			stopped++
			log, _ := os.ReadFile(filepath.Join(out, r["log"]))
			if !strings.Contains(string(log), "by signal INT") {
				t.Errorf("%s: its log does not say it was stopped by INT\n%s", r["user1"], tail(string(log)))
			}
		}
	}
	if stopped == 0 || notStarted == 0 {
		t.Errorf("after Ctrl-C: %d accounts stopped, %d not started\n%s", stopped, notStarted, text)
	}

	// Run again, and kill it once two more accounts are synced.
	synced := 0
	code, text = runBinary(t, bin, work, args, func(line string, _ int) bool {
		if strings.Contains(line, ": ok (exit 0)") {
			synced++
		}
		return synced == 2
	})
	if code != -1 {
		t.Fatalf("the batch ended (exit %d) before it could be killed\n%s", code, text)
	}
	// Some accounts were in the middle: a log and no result that ended 0.
	logs, _ := filepath.Glob(filepath.Join(out, "*", "log.txt"))
	finished := 0
	for _, l := range logs {
		var r struct {
			ExitCode int `json:"exit_code"`
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(l), "result.json"))
		if err == nil && json.Unmarshal(b, &r) == nil && r.ExitCode == 0 {
			finished++
		}
	}
	if len(logs) <= finished || finished < 2 {
		t.Fatalf("killed with %d accounts started and %d finished: none in the middle\n%s", len(logs), finished, text)
	}
	t.Logf("killed with %d accounts started, %d finished", len(logs), finished)

	code, text = runBinary(t, bin, work, args, nil)
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, tail(text))
	}
	rows := readSummary(t, out)
	done := 0
	for i, r := range rows {
		switch r["status"] {
		case "done":
			done++
		case "ok":
		default:
			t.Errorf("account %d: %v", i, r)
		}
	}
	if done < finished {
		t.Errorf("rerun: %d accounts skipped as done, want the %d finished before the kill\n%s", done, finished, text)
	}
	f.checkAccounts(t, seq(n), false)
}

// interruptBinary runs the command and sends it SIGINT at the first
// output line starting with at; it returns the exit code and the output.
func interruptBinary(t *testing.T, bin, dir string, args []string, at string) (int, string) {
	t.Helper()
	// The same command line as runBinary's, so that the accounts' lines
	// and options stay unchanged between the runs.
	cmd := exec.Command(bin, append(args, "--tmpdir", dir)...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "HOME="+dir)
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	sent := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if !sent && strings.HasPrefix(sc.Text(), at) {
			sent = true
			cmd.Process.Signal(os.Interrupt)
		}
	}
	err = cmd.Wait()
	return exitCodeOf(t, err), out.String()
}

// TestBatchIndexProcesses runs every account of a 12-line file in its own
// `imapshift batch --index I` process, 4 at a time, as the pods of a
// Kubernetes Indexed Job do (half of them told their index by
// JOB_COMPLETION_INDEX), against two Dovecots; each account is synced
// exactly once, and `imapshift batch report` adds them up.
func TestBatchIndexProcesses(t *testing.T) {
	const n, msgs = 12, 20
	f := startFleet(t, n, n, msgs)
	bin := buildBinary(t)
	file := writeFleetFile(t, f, n)
	work := t.TempDir()
	out := filepath.Join(work, "out")
	type ended struct {
		code int
		out  string
		err  error
	}
	results := make([]ended, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			args := []string{"batch", file, "--outdir", out, "--notls1", "--notls2", "--nofoldersizes", "--nofoldersizesatend"}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(work, "cache"), "HOME="+work)
			if i%2 == 0 {
				cmd.Args = append(cmd.Args, "--index", strconv.Itoa(i))
			} else {
				cmd.Env = append(cmd.Env, "JOB_COMPLETION_INDEX="+strconv.Itoa(i))
			}
			b, err := cmd.CombinedOutput()
			results[i] = ended{code: cmd.ProcessState.ExitCode(), out: string(b), err: err}
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("index %d: exit %d %v\n%s", i, r.code, r.err, r.out)
		}
		if !strings.Contains(r.out, fmt.Sprintf("line %d: %s -> %s: ok", i+2, "m"+fmt.Sprintf("%03d", i), "m"+fmt.Sprintf("%03d", i))) {
			t.Errorf("index %d did not run account line %d:\n%s", i, i+2, r.out)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "summary.csv")); !os.IsNotExist(err) {
		t.Errorf("an --index run wrote the summary: %v", err)
	}
	f.checkAccounts(t, seq(n), false)

	cmd := exec.Command(bin, "batch", "report", out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("batch report: %v\n%s", err, b)
	}
	want := fmt.Sprintf("%d accounts: %d ok; %d messages", n, n, n*msgs)
	if !strings.Contains(string(b), want) {
		t.Errorf("batch report lacks %q:\n%s", want, b)
	}
	rows := readSummary(t, out)
	if len(rows) != n {
		t.Fatalf("%d summary rows", len(rows))
	}
	for i, r := range rows {
		if r["line"] != strconv.Itoa(i+2) || r["status"] != "ok" || r["copied"] != strconv.Itoa(msgs) {
			t.Errorf("row %d: %v", i, r)
		}
	}
}
