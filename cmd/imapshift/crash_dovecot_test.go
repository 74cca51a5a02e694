package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/faultproxy"
)

// CrashTestEnv, set to "1", runs TestKillRestartExactlyOnce (make crashtest;
// CI runs it). It is off by default because it takes minutes.
const crashTestEnv = "IMAPSHIFT_CRASHTEST"

// TestKillRestartExactlyOnce syncs a mailbox of several thousand messages
// between two real Dovecot instances, kills the imapshift process with
// SIGKILL at many points spread over the run (during the analysis and in
// the middle of pipelined MULTIAPPEND batches), starts the same command
// again at once, as a supervisor would, and then once more after a pause.
// After every rerun, host2 must hold every host1 message exactly once:
// no duplicate, no loss. The killed run reaches host2 through a proxy that
// delays every byte (a slow link), so the APPENDs it had in flight land
// after the immediate rerun has read host2.
func TestKillRestartExactlyOnce(t *testing.T) {
	if os.Getenv(crashTestEnv) != "1" {
		t.Skipf("set %s=1 (make crashtest) to run the kill test", crashTestEnv)
	}
	points := envInt("IMAPSHIFT_CRASHTEST_POINTS", 20)
	bin := buildBinary(t)

	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	want := seedCrashCorpus(t, d1, "user1")
	total := 0
	for _, ids := range want {
		total += len(ids)
	}

	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	if code, out := runBinary(t, bin, t.TempDir(), crashArgs(d1, d2), nil); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, tail(out))
	}
	checkExactlyOnce(t, d2, want, "clean run")

	// Kill points are counted in the run's own output, so that they fall
	// at the same stage whatever the machine's load: two during the
	// analysis (at the first folder line, and once host2's side of a
	// folder has been read), the others after a number of confirmed
	// copies spread evenly from the first to the last APPENDs, where
	// pipelined MULTIAPPEND batches are in flight.
	type killPoint struct {
		name string
		at   func(line string, copied int) bool
	}
	kills := []killPoint{
		{"analysis_first_folder", func(l string, _ int) bool { return strings.HasPrefix(l, "Folder ") }},
		{"analysis_host2_read", func(l string, _ int) bool {
			return strings.HasPrefix(l, "Host2: folder [") && strings.Contains(l, "] selected ")
		}},
	}
	for i := 0; i < points-2; i++ {
		n := 1 + i*(total-total/20)/(points-2)
		kills = append(kills, killPoint{fmt.Sprintf("after_%04d_copies", n), func(_ string, copied int) bool { return copied >= n }})
	}
	for _, k := range kills {
		t.Run(k.name, func(t *testing.T) {
			d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
			dir := t.TempDir()
			args := crashArgs(d1, d2)
			// The killed run reaches host2 over a slow link: what it wrote
			// before it died is still on its way, and lands after the
			// immediate rerun, which takes a fast path, has read host2.
			px, err := faultproxy.Start(d2.Addr(), faultproxy.Options{Latency: crashLatency})
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			slow := crashArgs(d1, d2)
			slow[slices.Index(slow, "--port2")+1] = strconv.Itoa(px.Port())
			code, out := runBinary(t, bin, dir, slow, k.at)
			if code != -1 {
				t.Fatalf("the run ended (exit %d) before its kill point\n%s", code, tail(out))
			}
			// The same command at once, as a supervisor restarts it.
			if code, out = runBinary(t, bin, dir, args, nil); code != 0 {
				t.Fatalf("immediate rerun: exit %d\n%s", code, tail(out))
			}
			checkExactlyOnce(t, d2, want, "immediate rerun")
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "Recovery: ") || strings.Contains(l, "extra copy(ies)") {
					t.Log(l)
				}
			}
			// Once more after a pause: APPENDs still being stored by host2
			// when the rerun looked have landed by now.
			time.Sleep(500 * time.Millisecond)
			if code, out = runBinary(t, bin, dir, args, nil); code != 0 {
				t.Fatalf("delayed rerun: exit %d\n%s", code, tail(out))
			}
			checkExactlyOnce(t, d2, want, "delayed rerun")
		})
	}
}

// crashLatency is the one-way delay of the killed run's link to host2.
const crashLatency = 300 * time.Millisecond

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// buildBinary builds this package's command (IMAPSHIFT_CRASHTEST_BIN
// names a prebuilt one instead).
func buildBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("IMAPSHIFT_CRASHTEST_BIN"); bin != "" {
		return bin // another build, e.g. to compare with an older version
	}
	return imapshiftBinary(t)
}

func crashArgs(d1, d2 *dovecot.Server) []string {
	return []string{
		"--host1", d1.Host, "--port1", strconv.Itoa(d1.Port), "--user1", "user1", "--password1", dovecot.Users["user1"],
		"--sslargs1", "SSL_ca_file=" + d1.CAFile,
		"--host2", d2.Host, "--port2", strconv.Itoa(d2.Port), "--user2", "user2", "--password2", dovecot.Users["user2"],
		"--sslargs2", "SSL_ca_file=" + d2.CAFile,
		"--nolog",
	}
}

// runBinary runs the command with dir as its temporary and cache
// directory. With a kill function, the process is killed with SIGKILL at
// the first output line for which kill returns true (copied counts the
// "copied to" lines so far), and -1 is returned as its exit code.
func runBinary(t *testing.T, bin, dir string, args []string, kill func(line string, copied int) bool) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--tmpdir", dir)...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "HOME="+dir)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	killed := false
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		copied := 0
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if strings.HasPrefix(line, "msg ") && strings.Contains(line, " copied to ") {
				copied++
			}
			if kill != nil && !killed && kill(line, copied) {
				killed = true
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	timer := time.AfterFunc(5*time.Minute, func() { cmd.Process.Signal(syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	pw.Close()
	<-read
	if killed {
		return -1, out.String()
	}
	return exitCodeOf(t, err), out.String()
}

func exitCodeOf(t *testing.T, err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// seedCrashCorpus seeds 3,000 messages over 5 folders (about 42 MB),
// sizes from 2 KB to 400 KB so that MULTIAPPEND batches hold from a few to hundreds of
// messages, and returns each folder's Message-Ids.
func seedCrashCorpus(t *testing.T, d *dovecot.Server, user string) map[string][]string {
	t.Helper()
	n := envInt("IMAPSHIFT_CRASHTEST_MESSAGES", 3000)
	names := []string{"INBOX", "Archive", "Archive/2024", "Sent", "Lists/golang"}[:envInt("IMAPSHIFT_CRASHTEST_FOLDERS", 5)]
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]string{}
	var folders []dovecot.Folder
	for fi, name := range names {
		var msgs []dovecot.Message
		for i := fi; i < n; i += len(names) {
			id := fmt.Sprintf("<crash-%05d@imapshift.test>", i)
			size := 2048 + rng.IntN(14*1024)
			if i%50 == 0 {
				size = 200*1024 + rng.IntN(200*1024)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "From: a%d@example.org\r\nTo: b@example.com\r\nSubject: crash test %d\r\nMessage-Id: %s\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n", i, i, id)
			line := strings.Repeat("x", 76) + "\r\n"
			for b.Len() < size {
				b.WriteString(line)
			}
			var flags []string
			if i%3 == 0 {
				flags = []string{`\Seen`}
			}
			msgs = append(msgs, dovecot.Message{Raw: []byte(b.String()), Flags: flags, Date: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)})
			want[name] = append(want[name], id)
		}
		folders = append(folders, dovecot.Folder{Name: name, Msgs: msgs})
	}
	if err := d.SeedMany(user, folders); err != nil {
		t.Fatal(err)
	}
	return want
}

// checkExactlyOnce checks that every folder of want is on host2 with each
// of its Message-Ids exactly once and nothing else.
func checkExactlyOnce(t *testing.T, d *dovecot.Server, want map[string][]string, when string) {
	t.Helper()
	c, err := imapclient.DialStartTLS(d.Addr(), &imapclient.Options{TLSConfig: d.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("user2", dovecot.Users["user2"]).Wait(); err != nil {
		t.Fatal(err)
	}
	var dups, lost, extra int
	var sample []string
	for folder, ids := range want {
		got := map[string]int{}
		sel, err := c.Select(d.MailboxName(folder), &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Errorf("%s: %s: select: %v", when, folder, err)
			lost += len(ids)
			continue
		}
		if sel.NumMessages > 0 {
			var all imap.SeqSet
			all.AddRange(1, 0)
			msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				got["<"+m.Envelope.MessageID+">"]++
			}
		}
		for _, id := range ids {
			switch n := got[id]; {
			case n == 0:
				lost++
				sample = append(sample, folder+" lost "+id)
			case n > 1:
				dups += n - 1
				sample = append(sample, fmt.Sprintf("%s %dx %s", folder, n, id))
			}
			delete(got, id)
		}
		for id, n := range got {
			extra += n
			sample = append(sample, folder+" extra "+id)
		}
	}
	if dups+lost+extra > 0 {
		sort.Strings(sample)
		if len(sample) > 10 {
			sample = sample[:10]
		}
		t.Errorf("%s: %d duplicates, %d lost, %d extra on host2; e.g. %s", when, dups, lost, extra, strings.Join(sample, "; "))
	}
}
