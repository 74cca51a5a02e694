package runctl

// The pidfile and --abort.
//
// A sync, folders or sizes run writes its PID, then its log file path, in
// a pidfile, and removes it at exit ("Removing pidfile <path>"). The
// default is <tmpdir>/imapshift_<user1>_<user2>.pid, one per account pair
// (the users are filtered as in log file names): unlike imapsync's single
// <tmpdir>/imapsync.pid, parallel runs on different accounts never
// overwrite each other's pidfile, so --pidfilelocking protects one account
// pair without serializing unrelated migrations, and --abort stops the
// run of the accounts it is given. --pidfile PATH sets the file;
// --pidfile "" writes none.
//
// At start, a pidfile whose PID is not running is stale and is removed.
// With --pidfilelocking, a pidfile whose PID is alive, whatever that
// process is, makes the run exit 8 (EXIT_PID_FILE_ERROR) without touching
// it, as imapsync's "Abort if pidfile already exists" says. Without it, a
// live PID that is not an imapshift or imapsync process (on Linux, where
// /proc tells: a PID reused since) is stale too, and a live imapshift's
// pidfile is overwritten with a warning. 8 is also the exit code when the
// pidfile cannot be written. At exit, the pidfile is removed only if it
// still names this process.
//
// --abort reads the pidfile of the same account pair (give the same
// --user1, --user2 and --tmpdir as the run, or its --pidfile) and sends
// SIGTERM to its PID: that run stops gracefully (see OnSignal), prints
// its final report and exits 6. The aborter waits up to 30 s for it to
// exit; a run still alive then is hung (a stuck server), so it gets two
// TERMs, which end it at once. The aborter prints what happened and
// exits 0, also when there is nothing to abort (no pidfile, or a stale
// one, which it removes), as imapsync does; it exits 1 only when the
// process cannot be signalled (another user's) or survives. An --abort
// run logs to a file with the "_abort" suffix and never writes a pidfile.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/exitcode"
)

// abortWait is how long --abort waits for the run to stop gracefully,
// abortPoll how often it looks.
const (
	abortWait = 30 * time.Second
	abortPoll = 100 * time.Millisecond
)

// pidFilePath is the pidfile of the run: --pidfile if given ("" for none),
// else <tmpdir>/imapshift_<user1>_<user2>.pid.
func pidFilePath(s *config.Settings) string {
	if s.IsSet("pidfile") {
		return s.PidFile
	}
	return filepath.Join(s.TmpDir, "imapshift_"+accountSuffix(s.Host1.User, s.Host2.User)+".pid")
}

// pidFile is a pidfile this process wrote.
type pidFile struct {
	path string
	pid  int
}

// readPidFile returns the PID and log file path a pidfile holds.
func readPidFile(path string) (pid int, logPath string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []string
	for sc.Scan() && len(lines) < 2 {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if len(lines) == 0 {
		return 0, "", fmt.Errorf("pidfile %s is empty", path)
	}
	pid, err = strconv.Atoi(lines[0])
	if err != nil || pid <= 0 {
		return 0, "", fmt.Errorf("pidfile %s does not start with a PID: %q", path, lines[0])
	}
	if len(lines) > 1 {
		logPath = lines[1]
	}
	return pid, logPath, nil
}

// runningImapshift tells whether pid is a live process that can be an
// imapshift run.
func runningImapshift(pid int) bool {
	return pid > 0 && processAlive(pid) && looksLikeImapshift(pid)
}

// processAlive tells whether a process with that PID exists (and is not a
// zombie waiting to be reaped).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if err := p.Signal(syscall.Signal(0)); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		// "pid (comm) S ...": the state follows the last ')'.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
			return false
		}
	}
	return true
}

// looksLikeImapshift checks, where /proc tells, that pid runs imapshift
// (or a binary installed as imapsync, or this very binary) rather than
// an unrelated process that got a stale pidfile's PID.
func looksLikeImapshift(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return true // cannot tell: trust the pidfile
	}
	argv0, _, _ := strings.Cut(string(b), "\x00")
	name := strings.ToLower(filepath.Base(argv0))
	if strings.Contains(name, "imapshift") || strings.Contains(name, "imapsync") {
		return true
	}
	self, err := os.Executable()
	return err == nil && filepath.Base(self) == filepath.Base(argv0)
}

// acquirePidFile writes the pidfile of the run (none with --pidfile ""),
// after removing a stale one; with --pidfilelocking a live one makes the
// run exit 8. It prints imapsync's lines about it.
func acquirePidFile(out io.Writer, s *config.Settings, logPath string) (*pidFile, error) {
	path := pidFilePath(s)
	if path == "" {
		fmt.Fprintln(out, `No PID file because of option --pidfile ""`)
		return nil, nil
	}
	fmt.Fprintf(out, "PID file is %s ( to change it, use --pidfile filepath ; to avoid it use --pidfile \"\" )\n", path)
	me := os.Getpid()
	content := strconv.Itoa(me) + "\n"
	if logPath != "" {
		// Absolute, so that --abort run from elsewhere finds the log.
		if abs, err := filepath.Abs(logPath); err == nil {
			logPath = abs
		}
		content += logPath + "\n"
	}
	for attempt := 0; ; attempt++ {
		if pid, _, err := readPidFile(path); err == nil || !errors.Is(err, os.ErrNotExist) {
			switch {
			case err == nil && s.PidFileLocking && processAlive(pid):
				what := "an imapshift"
				if !looksLikeImapshift(pid) {
					what = "a process that may not be imapshift"
				}
				return nil, exitcode.New(exitcode.PidFileError, "pidfile %s names PID %d, which is still running (%s, maybe another run on these accounts). Exiting because of --pidfilelocking", path, pid, what)
			case err != nil || !runningImapshift(pid):
				what := "its PID is not running"
				if err != nil {
					what = err.Error()
				} else if processAlive(pid) {
					what = fmt.Sprintf("its PID %d is not an imapshift process", pid)
				}
				fmt.Fprintf(out, "Removing stale pidfile %s ( %s )\n", path, what)
				if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
					return nil, exitcode.New(exitcode.PidFileError, "can not remove the stale pidfile %s: %v", path, unwrapPathError(err))
				}
			default:
				fmt.Fprintf(out, "Warning: pidfile %s names PID %d, which is still running (another imapshift on these accounts?). Overwriting it; use --pidfilelocking to refuse instead.\n", path, pid)
			}
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if s.PidFileLocking {
			flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if errors.Is(err, os.ErrExist) && attempt == 0 {
			continue // another run created it meanwhile: look again
		}
		if err != nil {
			return nil, exitcode.New(exitcode.PidFileError, "can not write pidfile %s: %v", path, unwrapPathError(err))
		}
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, exitcode.New(exitcode.PidFileError, "can not write pidfile %s: %v", path, err)
		}
		break
	}
	fmt.Fprintf(out, "Writing my PID %d in %s\n", me, path)
	if logPath != "" {
		fmt.Fprintf(out, "Writing also my logfile name in %s : %s\n", path, logPath)
	}
	return &pidFile{path: path, pid: me}, nil
}

// release removes the pidfile if it still names this process.
func (p *pidFile) release(out io.Writer) {
	if p == nil {
		return
	}
	pid, _, err := readPidFile(p.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(out, "Pidfile %s is already gone\n", p.path)
	case err == nil && pid != p.pid:
		fmt.Fprintf(out, "Not removing pidfile %s: it now names PID %d\n", p.path, pid)
	default:
		fmt.Fprintf(out, "Removing pidfile %s\n", p.path)
		if err := os.Remove(p.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(out, "Could not remove pidfile %s: %v\n", p.path, unwrapPathError(err))
		}
	}
}

// runPidFile is the pidfile through which --abort and --tail (opt) find
// the run to act on (verb): that of the account pair, or --pidfile.
func runPidFile(s *config.Settings, opt, verb string) (string, error) {
	if !s.IsSet("pidfile") && (s.Host1.User == "" || s.Host2.User == "") {
		return "", usageErrorf("--%s needs --user1 and --user2 (the pidfile is per account pair, see --pidfile), or the --pidfile of the run to %s", opt, verb)
	}
	path := pidFilePath(s)
	if path == "" {
		return "", usageErrorf(`--%s needs a pidfile to find the run: not --pidfile ""`, opt)
	}
	return path, nil
}

// Abort stops the run named by the pidfile of these accounts (--abort):
// it sends that run SIGTERM (or, with --abortbyfile, creates its abort
// file) and waits for it to exit.
func (rc *Control) Abort(ctx context.Context, s *config.Settings) error {
	path, err := runPidFile(s, "abort", "abort")
	if err != nil {
		return err
	}
	if err := rc.Start(s, true); err != nil {
		return err
	}
	out := rc.out
	pid, runLog, err := readPidFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(out, "No pidfile %s, so no imapshift run to abort for these accounts ( give --abort the same --user1, --user2 and --tmpdir as the run, or its --pidfile )\n", path)
		return nil
	case err != nil:
		fmt.Fprintf(out, "Nothing to abort: %v\n", err)
		return nil
	case pid == os.Getpid():
		fmt.Fprintf(out, "Nothing to abort: pidfile %s names this very process\n", path)
		return nil
	case !runningImapshift(pid):
		fmt.Fprintf(out, "Nothing to abort: PID %d of pidfile %s is not a running imapshift. Removing this stale pidfile.\n", pid, path)
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(out, "Could not remove pidfile %s: %v\n", path, unwrapPathError(err))
		}
		return nil
	}
	where := ""
	if runLog != "" {
		where = ", log file " + runLog
	}
	if s.AbortByFile {
		file := path + "abort" + strconv.Itoa(pid)
		fmt.Fprintf(out, "Creating the abort file %s for PID %d (pidfile %s%s) to stop it gracefully\n", file, pid, path, where)
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			return exitcode.New(exitcode.CatchAll, "can not create the abort file: %v", err)
		}
	} else {
		fmt.Fprintf(out, "Sending signal TERM to PID %d (pidfile %s%s) to stop it gracefully\n", pid, path, where)
		if err := signalPID(pid, syscall.SIGTERM); err != nil {
			return exitcode.New(exitcode.CatchAll, "can not send signal TERM to PID %d: %v", pid, err)
		}
	}
	start := time.Now()
	if waitExit(ctx, pid, abortWait) {
		fmt.Fprintf(out, "PID %d stopped after %.1f s\n", pid, time.Since(start).Seconds())
		printRunEnd(out, pid, runLog)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fmt.Fprintf(out, "PID %d is still running %.0f s after the signal TERM: sending TERM twice to make it exit at once\n", pid, abortWait.Seconds())
	for i := 0; i < 2; i++ {
		if err := signalPID(pid, syscall.SIGTERM); err != nil {
			break
		}
		time.Sleep(abortPoll)
	}
	if waitExit(ctx, pid, 5*time.Second) {
		fmt.Fprintf(out, "PID %d stopped\n", pid)
		printRunEnd(out, pid, runLog)
		return nil
	}
	return exitcode.New(exitcode.CatchAll, "PID %d is still running: could not abort it", pid)
}

func signalPID(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}

// waitExit polls until pid is gone, for at most d.
func waitExit(ctx context.Context, pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !processAlive(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(abortPoll):
		}
	}
}

// printRunEnd quotes the "Exiting with return value" line of the stopped
// run's log, when there is one.
func printRunEnd(out io.Writer, pid int, runLog string) {
	if runLog == "" {
		return
	}
	b, err := os.ReadFile(runLog)
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Exiting with return value") {
			fmt.Fprintf(out, "PID %d ended with: %s\n", pid, lines[i])
			return
		}
	}
	fmt.Fprintf(out, "PID %d ended without its final report (see %s)\n", pid, runLog)
}
