package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"

	"github.com/imapshift/imapshift/cmd/internal/runctl"
)

// testTmp holds, for the whole package run, the default log directory
// (so that in-process runs never write LOG_imapshift into the source
// tree) and the binary the subprocess tests run.
var testTmp string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imapshift-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testTmp = dir
	// The sync state is kept by default under the user's cache directory:
	// the tests keep theirs here, never in the machine user's cache. Go's
	// build cache also defaults to that directory, so it is pinned first:
	// the tests that build the binary must not rebuild everything.
	if os.Getenv("GOCACHE") == "" {
		if c, err := os.UserCacheDir(); err == nil {
			os.Setenv("GOCACHE", filepath.Join(c, "go-build"))
		}
	}
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	runctl.DefaultLogDir = filepath.Join(dir, "LOG_imapshift")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// imapshiftBinary builds the command once per package run, for the tests
// that need a process of their own (signals, pidfile locking, --abort).
func imapshiftBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = "/usr/local/go/bin/go"
		}
		binPath = filepath.Join(testTmp, "bin", "imapshift")
		out, err := exec.Command(goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// pair is a source and a destination account on two in-process servers.
type pair struct {
	src, dst *imapmem.Server
	u1, u2   *imapmem.User
	extra    []string // options every run of the pair gets
}

const (
	pass1 = "Pw1-zq8Kx-unique"
	pass2 = "Pw2-Lm4Rt-unique"
)

// newPair starts two servers; host1's INBOX holds n messages with
// distinct Message-IDs.
func newPair(t *testing.T, user1, user2 string, n int) *pair {
	t.Helper()
	return newPairSized(t, user1, user2, n, 0)
}

// newPairSized is newPair with message bodies of about pad bytes.
func newPairSized(t *testing.T, user1, user2 string, n, pad int) *pair {
	t.Helper()
	p := &pair{src: imapmem.StartT(t, imapmem.Options{}), dst: imapmem.StartT(t, imapmem.Options{})}
	p.u1 = p.src.AddUser(user1, pass1)
	p.u2 = p.dst.AddUser(user2, pass2)
	date := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	var msgs []imapmem.Message
	for i := 0; i < n; i++ {
		raw := fmt.Sprintf("From: a@example.org\r\nTo: b@example.org\r\nSubject: message %d\r\nMessage-ID: <m%d@example.org>\r\nDate: Thu, 4 Mar 2021 05:06:07 +0000\r\n\r\nbody %d\r\n", i, i, i)
		raw += strings.Repeat(strings.Repeat("x", 76)+"\r\n", pad/78)
		msgs = append(msgs, imapmem.Message{Raw: []byte(raw), Date: date.Add(time.Duration(i) * time.Minute)})
	}
	if n > 0 {
		if err := p.u1.Seed("INBOX", msgs...); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// args are the login options of both sides.
func (p *pair) args() []string {
	args := append(hostArgs(1, strconv.Itoa(p.src.Port()), p.u1.Name(), pass1), hostArgs(2, strconv.Itoa(p.dst.Port()), p.u2.Name(), pass2)...)
	return append(args, p.extra...)
}

// messageIDs counts host2's INBOX messages by Message-ID.
func (p *pair) messageIDs(t *testing.T) map[string]int {
	t.Helper()
	msgs, err := p.u2.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	re := regexp.MustCompile(`(?im)^Message-ID:\s*(\S+)`)
	for _, m := range msgs {
		id := "(none)"
		if g := re.FindSubmatch(m.Raw); g != nil {
			id = string(g[1])
		}
		ids[id]++
	}
	return ids
}

// logFiles lists the files of dir.
func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestLogFile checks the default log file: its name, and that it holds
// the terminal's output (banner, report, final lines) without secrets.
func TestLogFile(t *testing.T) {
	p := newPair(t, "alice", "dom/bob", 5)
	dir := t.TempDir()
	pidDir := t.TempDir()
	before := time.Now()
	r := runArgs(t, nil, append(p.args(), "--logdir", dir, "--tmpdir", pidDir)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	files := logFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("log files %v", files)
	}
	name := files[0]
	if !regexp.MustCompile(`^\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d_\d{3}_alice_dom_bob\.txt$`).MatchString(name) {
		t.Errorf("log file name %q", name)
	}
	if stamp, err := time.ParseInLocation("2006_01_02_15_04_05", name[:19], time.Local); err != nil || stamp.Before(before.Truncate(time.Second)) || stamp.After(time.Now()) {
		t.Errorf("log file stamp %q (%v) is not the start time %v", name[:23], err, before)
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if log != r.stdout {
		t.Errorf("the log differs from the terminal:\nlog:\n%s\nstdout:\n%s", log, r.stdout)
	}
	pidPath := filepath.Join(pidDir, "imapshift_alice_dom_bob.pid")
	for _, want := range []string{
		"Here is imapshift ",
		"PID is " + strconv.Itoa(os.Getpid()),
		"Log file is " + path + " ( to change it, use --logfile path ; or use --nolog to turn off logging )",
		"Command line used, run by ",
		"--password1 MASKED",
		"--password2 MASKED",
		"Temp directory is " + pidDir,
		"PID file is " + pidPath,
		"Writing my PID " + strconv.Itoa(os.Getpid()) + " in " + pidPath,
		"Writing also my logfile name in " + pidPath + " : ",
		"++++ Statistics",
		"Messages transferred                    : 5",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	tail := lines[len(lines)-3:]
	wantTail := []string{
		"Exiting with return value 0 (EX_OK: successful termination) 0/50 nb_errors/max_errors PID " + strconv.Itoa(os.Getpid()),
		"Removing pidfile " + pidPath,
		"Log file is " + path + " ( to change it, use --logfile filepath ; or use --nolog to turn off logging )",
	}
	if strings.Join(tail, "\n") != strings.Join(wantTail, "\n") {
		t.Errorf("the log ends with\n%s\nwant\n%s", strings.Join(tail, "\n"), strings.Join(wantTail, "\n"))
	}
	for _, secret := range []string{pass1, pass2} {
		if strings.Contains(log, secret) || strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("secret %q written", secret)
		}
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind: %v", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestLogFileOptions covers --nolog, --logfile (alone and under --logdir),
// the default directory, a failing run's error line, and secrets given as
// --password1=value and with --debugimap.
func TestLogFileOptions(t *testing.T) {
	p := newPair(t, "carol", "dave", 2)
	t.Run("nolog", func(t *testing.T) {
		dir := t.TempDir()
		r := runArgs(t, nil, append(p.args(), "--nolog", "--logdir", dir)...)
		if r.code != 0 || !strings.Contains(r.stdout, "No log file because of option --nolog") || strings.Contains(r.stdout, "Log file is") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		if f := logFiles(t, dir); len(f) != 0 {
			t.Errorf("--nolog wrote %v", f)
		}
	})
	t.Run("logfile under logdir", func(t *testing.T) {
		dir := t.TempDir()
		r := runArgs(t, nil, append(p.args(), "--logdir", dir, "--logfile", "sub/run.log")...)
		want := filepath.Join(dir, "sub", "run.log")
		if r.code != 0 || !strings.HasSuffix(r.stdout, "Log file is "+want+" ( to change it, use --logfile filepath ; or use --nolog to turn off logging )\n") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		if b, err := os.ReadFile(want); err != nil || string(b) != r.stdout {
			t.Errorf("log %v:\n%s", err, b)
		}
	})
	t.Run("logfile alone", func(t *testing.T) {
		want := filepath.Join(t.TempDir(), "x.txt")
		r := runArgs(t, nil, append(p.args(), "--logfile", want)...)
		if b, err := os.ReadFile(want); r.code != 0 || err != nil || string(b) != r.stdout {
			t.Errorf("exit %d, log %v:\n%s", r.code, err, b)
		}
	})
	t.Run("default directory", func(t *testing.T) {
		r := runArgs(t, nil, p.args()...)
		m := regexp.MustCompile(`(?m)^Log file is (\S+) \( to change it, use --logfile filepath`).FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil || filepath.Dir(m[1]) != runctl.DefaultLogDir || !strings.HasSuffix(m[1], "_carol_dave.txt") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
	})
	t.Run("error line and secrets", func(t *testing.T) {
		dir := t.TempDir()
		args := append(p.args(), "--logdir", dir, "--debugimap", "--password1="+pass1, "--password2=wrong")
		r := runArgs(t, nil, args...)
		if r.code == 0 {
			t.Fatalf("exit 0\n%s", r.stdout)
		}
		files := logFiles(t, dir)
		if len(files) != 1 {
			t.Fatalf("log files %v", files)
		}
		b, _ := os.ReadFile(filepath.Join(dir, files[0]))
		log := string(b)
		if !strings.Contains(log, r.stderr) || !strings.Contains(log, "--password1=MASKED") {
			t.Errorf("the log lacks the error line %q or the masked password:\n%s", r.stderr, log)
		}
		if !strings.HasSuffix(log, "( to change it, use --logfile filepath ; or use --nolog to turn off logging )\n") {
			t.Errorf("the log does not end with its name:\n%s", log)
		}
		for _, secret := range []string{pass1, pass2} {
			if strings.Contains(log, secret) {
				t.Errorf("secret %q in the log", secret)
			}
		}
	})
	t.Run("unwritable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "f")
		os.WriteFile(file, nil, 0o600)
		r := runArgs(t, nil, append(p.args(), "--logdir", file)...)
		if r.code != 1 || !strings.Contains(r.stderr, "can not open the log file") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestDebugOptions(t *testing.T) {
	p := newPair(t, "erin", "frank", 1)
	r := runArgs(t, nil, append(p.args(), "--nolog", "--debug", "--debugcontent", "--debugflags")...)
	for _, want := range []string{"Debug: --parallel 4", "++++ Folders (--debugfolders)", "Memory consumption: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--debug output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r = runArgs(t, nil, "--justbanner")
	if r.code != 0 || !strings.Contains(r.stdout, "Here is imapshift ") || !strings.Contains(r.stdout, "Command line used") {
		t.Errorf("--justbanner: exit %d\n%s", r.code, r.stdout)
	}
	for _, args := range [][]string{{"--tests"}, {"--tests_debug"}, {"--testslive"}, {"--testslive6"}, {"--testsunit", "x"}, {"--releasecheck", "--tests"}} {
		r := runArgs(t, nil, args...)
		if r.code != 64 || !strings.Contains(r.stderr, "make test") {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if s := mustParse(t, "--releasecheck"); !s.ReleaseCheck {
		t.Error("--releasecheck not accepted")
	}
	mustParse(t, "--noreleasecheck")
}

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is imapshift running as a subprocess.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	code int
}

// startProc runs the binary with args; it is reaped as soon as it exits.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(imapshiftBinary(t), args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Dir = t.TempDir()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitFor waits until the output contains s.
func (p *proc) waitFor(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(p.out.String(), s) {
		select {
		case <-p.done:
			t.Fatalf("exited %d before printing %q:\n%s", p.code, s, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after %s:\n%s", s, d, p.out.String())
		}
	}
}

// wait returns the exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(d):
		t.Fatalf("still running after %s:\n%s", d, p.out.String())
	}
	return 0
}
