package engine

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/journal"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no 'true' command:", err)
	}
	return cmd.Process.Pid
}

// writeDeadJournal writes a journal as a run with PID pid would have left
// it: one batch for folder with keys, never settled.
func writeDeadJournal(t *testing.T, path string, pid int, folder string, validity, uidnext uint32, keys []string) {
	t.Helper()
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Sending(folder, validity, uidnext, keys); err != nil {
		t.Fatal(err)
	}
	j.Close(false)
	// Rewrite the PID: the records are those of the dead process.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte(`"pid":`+strconv.Itoa(os.Getpid())), []byte(`"pid":`+strconv.Itoa(pid)))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRecoveryRemovesOnlyTheDeadRunsExtraCopies: host2 holds what a
// killed run left: some of its APPENDs landed twice (once from the killed
// run after it died, once from a later run that did not see them yet).
// The recovery run removes those extra copies, and only those: a
// duplicate that was on host2 before the killed run wrote there stays.
func TestRecoveryRemovesOnlyTheDeadRunsExtraCopies(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 6, 300)
	h1, _ := p.u1.Messages("INBOX")
	old := []byte("Message-ID: <old@x>\r\nSubject: twice before\r\n\r\nold\r\n")
	// Before the killed run: <old@x> twice and m0 (UIDs 1-3; UIDNEXT 4).
	p.u2.Seed("INBOX", imapmem.Message{Raw: old}, imapmem.Message{Raw: old}, imapmem.Message{Raw: h1[0].Raw})
	// The killed run's APPENDs, two of which landed twice, and m0 again.
	p.u2.Seed("INBOX", imapmem.Message{Raw: h1[1].Raw}, imapmem.Message{Raw: h1[1].Raw}, imapmem.Message{Raw: h1[2].Raw},
		imapmem.Message{Raw: h1[2].Raw}, imapmem.Message{Raw: h1[0].Raw})

	var out bytes.Buffer
	opts := p.options(t, &out)
	var keys []string
	for _, m := range h1[:3] {
		k, ok := opts.Identity.Key(m.Raw, int64(len(m.Raw)))
		if !ok {
			t.Fatal("no key")
		}
		keys = append(keys, k)
	}
	keys = append(keys, "<old@x>-never-sent") // a key in doubt that is not there
	opts.Journal = filepath.Join(t.TempDir(), "pair.journal")
	opts.SettleMax = 2 * time.Second
	writeDeadJournal(t, opts.Journal, deadPID(t), "INBOX", uidValidity(t, p.u2, "INBOX"), 4, keys)

	res := run(t, opts)
	if res.Errors.Count() != 0 {
		t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
	}
	for _, want := range []string{
		"Recovery: the previous run (PID ",
		"Recovery: host2 folder INBOX is quiet after ",
		"Host2: folder INBOX holds 3 extra copy(ies) of messages whose APPEND was in doubt; removing them",
		"Recovery: 1 folder(s) checked, waited ",
		"3 duplicate(s) removed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q\n%s", want, out.String())
		}
	}
	msgs, _ := p.u2.Messages("INBOX")
	count := map[string]int{}
	for _, m := range msgs {
		count[string(m.Raw)]++
	}
	if len(msgs) != 8 || count[string(old)] != 2 {
		t.Errorf("host2 INBOX has %d messages, <old@x> %d times; want host1's 6 once each and <old@x> twice (it was there before)\n%s", len(msgs), count[string(old)], out.String())
	}
	for i, m := range h1 {
		if count[string(m.Raw)] != 1 {
			t.Errorf("host1 message %d is on host2 %d times", i, count[string(m.Raw)])
		}
	}
	if _, err := os.Stat(opts.Journal); !os.IsNotExist(err) {
		t.Errorf("the journal is still there after a complete recovery: %v", err)
	}
}

func uidValidity(t *testing.T, u *imapmem.User, box string) uint32 {
	t.Helper()
	st, err := u.Status(box)
	if err != nil {
		t.Fatal(err)
	}
	return st.UIDValidity
}

// TestJournalOfALiveProcessIsLeftAlone: a clean run leaves no journal;
// a journal of a live process is neither recovered nor removed.
func TestJournalOfALiveProcessIsLeftAlone(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 3, 300)
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Journal = filepath.Join(t.TempDir(), "pair.journal")
	res := run(t, opts)
	if res.Errors.Count() != 0 {
		t.Fatalf("errors %v", res.Errors.Records())
	}
	if _, err := os.Stat(opts.Journal); !os.IsNotExist(err) {
		t.Fatalf("a clean run left its journal: %v", err)
	}
	// A journal whose writer is alive (this process's parent stands in).
	writeDeadJournal(t, opts.Journal, os.Getppid(), "INBOX", 1, 1, []string{"k"})
	out.Reset()
	run(t, opts)
	if !strings.Contains(out.String(), "belongs to a running process") || strings.Contains(out.String(), "Recovery: the previous run") {
		t.Errorf("live journal treated as dead:\n%s", out.String())
	}
	if pend, err := journal.Load(opts.Journal); err != nil || pend.Keys() != 1 {
		t.Errorf("the live process's journal was changed: %+v %v", pend, err)
	}
}

func TestByteWindow(t *testing.T) {
	w := newByteWindow(100)
	a := w.acquire(60)
	done := make(chan int64)
	go func() { done <- w.acquire(60) }() // 60 + 60 > 100: waits
	select {
	case <-done:
		t.Fatal("acquire did not wait for room")
	case <-time.After(50 * time.Millisecond):
	}
	w.release(a)
	if b := <-done; b != 60 {
		t.Fatalf("acquired %d", b)
	}
	w.release(60)
	if big := w.acquire(500); big != 100 {
		t.Errorf("a batch over the window takes the whole window, got %d", big)
	}
	w.release(100)
	if n := newByteWindow(-1).acquire(1 << 40); n != 0 {
		t.Errorf("unbounded window took %d", n)
	}
}
