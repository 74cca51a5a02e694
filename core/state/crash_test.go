package state

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The tests below run this test binary again as a helper process, which
// opens a state file and then holds it, crashes, or is killed.
const helperEnv = "IMAPSHIFT_STATE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helper(mode, os.Getenv(helperEnv+"_PATH"))
		return
	}
	os.Exit(m.Run())
}

func helper(mode, path string) {
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	s, err := Open(path)
	if err != nil {
		fail(err)
	}
	p := pair("INBOX", 1, 1)
	switch mode {
	case "hold":
		fmt.Println("ready")
		time.Sleep(time.Minute) // the parent kills us
	case "exit":
		// Commit one batch, collect another and die without Commit or Close.
		b := s.Batch(p)
		b.Put(1, 1, "committed")
		if err := b.Commit(); err != nil {
			fail(err)
		}
		b.Put(2, 2, "never committed")
		b.SetStatus(Status{UIDNext: 3}, Status{UIDNext: 3})
		os.Exit(0)
	case "loop":
		// Commit batches of 500 for ever, each with a status that counts
		// the entries: any state the parent finds after SIGKILL must be a
		// whole number of batches with its matching status.
		b := s.Batch(p)
		for u := uint32(1); ; {
			for range 500 {
				b.Put(u, u, keyOf(u))
				u++
			}
			b.SetStatus(Status{UIDNext: u, Messages: u - 1}, Status{})
			if err := b.Commit(); err != nil {
				fail(err)
			}
			if u == 501 {
				fmt.Println("ready")
			}
		}
	}
	fail(fmt.Errorf("unknown mode %q", mode))
}

// startHelper runs the helper and waits for it to print "ready" (or to
// exit, for mode "exit").
func startHelper(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperEnv+"_PATH="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	if mode == "exit" {
		if err := cmd.Wait(); err != nil || line != "" {
			t.Fatalf("helper: %v %q", err, line)
		}
		return cmd
	}
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q", line)
	}
	return cmd
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := t.TempDir() + "/state.db"
	cmd := startHelper(t, "hold", path)
	start := time.Now()
	s, err := OpenTimeout(path, 300*time.Millisecond)
	if err == nil {
		s.Close()
		t.Fatal("Open of a file held by another process succeeded")
	}
	if !errors.Is(err, ErrLocked) || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	// Once the holder is gone (even killed), the lock is free.
	cmd.Process.Kill()
	cmd.Wait()
	s, err = OpenTimeout(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A process that exits without Commit or Close: the committed batch is
// there, the other one is not.
func TestCrashBeforeCommit(t *testing.T) {
	path := t.TempDir() + "/state.db"
	startHelper(t, "exit", path)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := mustFolder(t, s, pair("INBOX", 1, 1))
	if got := all(f); len(got) != 1 || got[0] != (Mapping{1, 1, "committed"}) || f.HasStatus {
		t.Fatalf("got %v, HasStatus %v", got, f.HasStatus)
	}
}

// SIGKILL in the middle of a stream of commits: the file opens, and holds
// whole batches only, each with its own status.
func TestKilledDuringCommits(t *testing.T) {
	path := t.TempDir() + "/state.db"
	cmd := startHelper(t, "loop", path)
	time.Sleep(150 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := mustFolder(t, s, pair("INBOX", 1, 1))
	n := f.Len()
	if n == 0 || n%500 != 0 || !f.HasStatus || int(f.Status1.Messages) != n || f.Status1.UIDNext != uint32(n+1) {
		t.Fatalf("after SIGKILL: %d entries, status %+v (HasStatus %v)", n, f.Status1, f.HasStatus)
	}
	if u2, k, ok := f.Lookup(uint32(n)); !ok || u2 != uint32(n) || k != keyOf(uint32(n)) {
		t.Fatalf("last entry: %d %q %v", u2, k, ok)
	}
	t.Logf("killed after %d committed entries (%d batches)", n, n/500)
}
