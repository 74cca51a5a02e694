// Package runctl is the run control of imapshift: the log file, the
// banner and the final lines of a run, the pidfile and --abort, the exit
// signals and --abortbyfile, and --tail.
package runctl

// The log file, the banner and the final lines of a run.
//
// Runs that work on both accounts (sync, folders, sizes) and --abort runs
// write a log file by default:
//
//	LOG_imapshift/YYYY_MM_DD_HH_MM_SS_mmm_<user1>_<user2>.txt
//
// relative to the current directory, stamped with the start time (with
// milliseconds). In the user names '/' and the characters that are awkward
// in file names become '_' (imapsync's filter, see fileSafe). An --abort run
// adds "_abort" to the name. --logdir changes the directory, --logfile the
// name (joined under --logdir when both are given), --nolog turns the log
// off. The log is opened in append mode, with mode 0600: it names hosts,
// users and folders.
//
// The log holds what the terminal shows, stdout and stderr, minus the live
// progress bars: the Stdout and Stderr writers of the Control copy
// every write into it, and the report lines the bars print above
// themselves are copied at the writer level too (WithLog). Secrets are
// masked at the source, so the log never holds more than the terminal: the
// command line is printed through report.MaskArgs (unless
// --showpasswords) and the --debugimap traces redact LOGIN and AUTHENTICATE
// payloads.
//
// The log starts with the banner (imapsync's, with the Go version in
// place of Perl's and Mail::IMAPClient's) and ends with the terminal's
// final lines: "Exiting with return value ...", "Removing pidfile ..."
// and "Log file is <path> ( to change it, use --logfile filepath ; or use
// --nolog to turn off logging )".
//
// justlogin, justconnect, version, help and options print to the terminal
// only: they neither log nor write a pidfile.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// DefaultLogDir is the log directory when --logdir is not given, relative
// to the current directory (imapsync's is LOG_imapsync). The command's
// tests point it, once for the whole test binary, to a temporary
// directory.
var DefaultLogDir = "LOG_imapshift"

// debugMemoryEvery is how often --debugmemory prints the memory use.
const debugMemoryEvery = 5 * time.Second

// Control is what one process run shares between its output writers,
// its signal handler and its end: the log file, the pidfile and the
// signal that stopped it. Its state methods accept a nil receiver.
type Control struct {
	// Stdout and Stderr are the process's output streams, serialized and
	// copied into the log file once Start opened one.
	Stdout, Stderr io.Writer
	// Exit ends the process on a second signal (os.Exit).
	Exit func(int)
	// Version is the version the banner shows.
	Version string

	out         io.Writer // Stdout, for the run's own lines
	restoreTerm func()    // gives the terminal its state back at a forced exit
	// signals is where the exit signals (and the abort file, as a
	// pseudo-signal) are delivered.
	signals chan os.Signal

	mu      sync.Mutex
	log     *os.File // nil: no log file (yet)
	logPath string
	pid     *pidFile
	started bool // Start ran: End prints the final lines
	// sig is the first exit signal received (nil: none); lastSig is when
	// the latest one came, for the "second signal within 2 s" rule.
	sig     os.Signal
	lastSig time.Time
	// exitLine is set once the "Exiting with return value" line was
	// printed (ExitReported).
	exitLine bool
	debug    Debug
	ended    atomic.Bool
	stopMem  chan struct{}
	// stopAbortFile ends the --abortbyfile watcher.
	stopAbortFile chan struct{}
}

// Debug are the debugging options the run control acts on.
type Debug struct {
	Folders bool // --debugfolders (or --debug): the folder table at the end
	Memory  bool // --debugmemory (or --debug): memory use every few seconds
}

// New returns the run control of a process writing to stdout and
// stderr: both are serialized, since the IMAP traces of both hosts and
// the engine's workers write to them concurrently, and both copy what
// they write into the run's log file once Start opened one.
func New(stdout, stderr io.Writer, version string) *Control {
	rc := &Control{Exit: os.Exit, Version: version}
	rc.Stdout, rc.Stderr = &Writer{w: stdout, rc: rc}, &Writer{w: stderr, rc: rc}
	rc.out = rc.Stdout
	return rc
}

// Writer makes each Write atomic with respect to the others, and copies
// it into the log file of its run.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
	rc *Control
}

func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.w.Write(p)
	s.rc.copyToLog(p)
	return n, err
}

// Terminal returns the terminal behind w (a Writer of a Control, or a
// file), if w writes to one.
func Terminal(w io.Writer) (*os.File, bool) {
	if s, ok := w.(*Writer); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// copyToLog appends p to the log file, if one is open. Write errors are
// ignored: the terminal keeps the output.
func (rc *Control) copyToLog(p []byte) {
	if rc == nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.log != nil {
		rc.log.Write(p)
	}
}

// logWriter writes only to the log file (for the lines the progress bars
// print on the terminal themselves).
type logWriter struct{ rc *Control }

func (w logWriter) Write(p []byte) (int, error) {
	w.rc.copyToLog(p)
	return len(p), nil
}

// WithLog returns a writer that writes to w and copies to the log of the
// run out belongs to (out is the writer the runners get). It is how the
// progress display, which writes the report lines to the terminal itself,
// still gets them into the log.
func WithLog(w io.Writer, out io.Writer) io.Writer {
	rc := Of(out)
	if rc == nil {
		return w
	}
	return io.MultiWriter(w, logWriter{rc})
}

// Of returns the run control behind out, the writer the runners get, or
// nil.
func Of(out io.Writer) *Control {
	if s, ok := out.(*Writer); ok {
		return s.rc
	}
	return nil
}

// LogPath returns the path of the run's log file, "" when it has none
// (yet, or --nolog).
func (rc *Control) LogPath() string {
	if rc == nil {
		return ""
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.logPath
}

// Debugging returns the debugging options the run acts on.
func (rc *Control) Debugging() Debug {
	if rc == nil {
		return Debug{}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.debug
}

// logFileName is the default name of the log file: the start time with
// milliseconds, then the users filtered by fileSafe, then "_abort"
// for an --abort run.
func logFileName(start time.Time, user1, user2 string, abort bool) string {
	name := fmt.Sprintf("%s_%03d_%s", start.Format("2006_01_02_15_04_05"), start.Nanosecond()/1e6, accountSuffix(user1, user2))
	if abort {
		name += "_abort"
	}
	return name + ".txt"
}

// accountSuffix is "<user1>_<user2>" with each user filtered for a file
// name.
func accountSuffix(user1, user2 string) string {
	return fileSafe(user1) + "_" + fileSafe(user2)
}

// fileSafe replaces, byte by byte, what imapsync replaces in the user
// names of log and pidfile names (slash_to_underscore then
// filter_forbidden_characters): '/', '\', '*', '|', '?', ':', '"', '<',
// '>', '\”, spaces, control characters and every non-ASCII byte (so "é"
// gives "__") become '_'.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c >= 0x7f || strings.IndexByte("/\\*|?:\"<>' ", c) >= 0 {
			b[i] = '_'
		}
	}
	return string(b)
}

// logPath is the log file of a run started at start: --logfile (under
// --logdir when given), else the default name under --logdir or
// LOG_imapshift.
func logPath(s *config.Settings, start time.Time, abort bool) string {
	if s.LogFile != "" {
		if s.LogDir != "" {
			return filepath.Join(s.LogDir, s.LogFile)
		}
		return s.LogFile
	}
	dir := s.LogDir
	if dir == "" {
		dir = DefaultLogDir
	}
	return filepath.Join(dir, logFileName(start, s.Host1.User, s.Host2.User, abort))
}

// openLog creates the log file and its directory. An existing file is
// appended to.
func openLog(path string) (*os.File, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}

// Start sets up the run control of a sync, folders, sizes or --abort
// run: it opens the log file, prints the banner and (not for --abort)
// writes the pidfile. End, called once the run's outcome is printed,
// prints the final lines and releases both.
func (rc *Control) Start(s *config.Settings, abort bool) error {
	start := time.Now()
	var path string
	if s.Log {
		path = logPath(s, start, abort)
		f, err := openLog(path)
		if err != nil {
			return exitcode.New(exitcode.CatchAll, "can not open the log file %s: %v ( change it with --logfile filepath or --logdir dirpath ; or use --nolog to turn off logging )", path, unwrapPathError(err))
		}
		rc.mu.Lock()
		rc.log, rc.logPath = f, path
		rc.mu.Unlock()
	}
	rc.mu.Lock()
	rc.started = true
	rc.debug = Debug{Folders: s.Debug || s.DebugFolders, Memory: s.Debug || s.DebugMemory}
	rc.mu.Unlock()
	rc.Banner(rc.out, s, start, path)
	if s.Debug {
		printDebugSettings(rc.out, s)
	}
	if s.Debug || s.DebugMemory {
		rc.startMemoryReports()
	}
	if abort {
		return nil
	}
	pf, err := acquirePidFile(rc.out, s, path)
	if err != nil {
		return err
	}
	rc.mu.Lock()
	rc.pid = pf
	if pf != nil && rc.signals != nil {
		rc.stopAbortFile = make(chan struct{})
		rc.watchAbortFile(pf.path, rc.stopAbortFile)
	}
	rc.mu.Unlock()
	return nil
}

// End prints the final lines of a run set up by Start ("Removing
// pidfile ...", "Log file is ...") and closes the log. It runs once, at
// the end of the process or at the second-signal exit, whichever comes
// first; without Start it does nothing.
func (rc *Control) End() {
	rc.mu.Lock()
	started, pf, path, stop := rc.started, rc.pid, rc.logPath, rc.stopMem
	if rc.stopAbortFile != nil {
		close(rc.stopAbortFile)
		rc.stopAbortFile = nil
	}
	rc.mu.Unlock()
	if !started || !rc.ended.CompareAndSwap(false, true) {
		return
	}
	if stop != nil {
		close(stop)
	}
	pf.release(rc.out)
	if path != "" {
		fmt.Fprintf(rc.out, "Log file is %s ( to change it, use --logfile filepath ; or use --nolog to turn off logging )\n", path)
	}
	rc.mu.Lock()
	if rc.log != nil {
		rc.log.Close()
		rc.log = nil
	}
	rc.mu.Unlock()
}

// Banner prints imapsync's start lines, with the Go version in place of
// Perl's: version, host, system, start time, PID, log file, load,
// directories, user, and the command line (secrets masked).
func (rc *Control) Banner(w io.Writer, s *config.Settings, start time.Time, logPath string) {
	// One Write for the whole banner.
	out := &bytes.Buffer{}
	defer func() { w.Write(out.Bytes()) }()
	host, _ := os.Hostname()
	ram := ""
	if avail, total, ok := memInfoGiB(); ok {
		ram = fmt.Sprintf(" with %.3f/%.3f free GiB of RAM", avail, total)
	}
	fmt.Fprintf(out, "Here is imapshift %s on host %s, a %s system%s\n", rc.Version, host, runtime.GOOS, ram)
	fmt.Fprintf(out, "with Go %s on %s\n", runtime.Version(), runtime.GOARCH)
	fmt.Fprintf(out, "Transfer started at %s\n", report.FormatTime(start))
	fmt.Fprintf(out, "PID is %d my PPID is %d\n", os.Getpid(), os.Getppid())
	if logPath != "" {
		fmt.Fprintf(out, "Log file is %s ( to change it, use --logfile path ; or use --nolog to turn off logging )\n", logPath)
	} else {
		fmt.Fprintln(out, "No log file because of option --nolog")
	}
	load := report.LoadAvg()
	if load == "" {
		load = "unknown"
	}
	fmt.Fprintf(out, "Load is %s on %d cores\n", load, runtime.NumCPU())
	if wd, err := os.Getwd(); err == nil {
		fmt.Fprintf(out, "Current directory is %s\n", wd)
	}
	if uid := os.Getuid(); uid >= 0 {
		fmt.Fprintf(out, "Real user id is %s (uid %d)\n", userName(uid), uid)
		fmt.Fprintf(out, "Effective user id is %s (euid %d)\n", userName(os.Geteuid()), os.Geteuid())
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "imapshift"
	}
	fmt.Fprintf(out, "Command line used, run by %s:\n", exe)
	fmt.Fprintf(out, "imapshift %s\n", shellJoin(s.Args))
	fmt.Fprintf(out, "Temp directory is %s ( to change it use --tmpdir dirpath )\n", s.TmpDir)
}

// printDebugSettings prints, with --debug, what the run will use beyond
// the command line.
func printDebugSettings(out io.Writer, s *config.Settings) {
	fmt.Fprintf(out, "Debug: --parallel %d --bodybudget %d --errorsmax %d --timeout1 %s --timeout2 %s\n",
		s.Parallel, s.BodyBudget, s.ErrorsMax, s.Host1.Timeout, s.Host2.Timeout)
	fmt.Fprintf(out, "Debug: message identity from headers %s (skipsize %v, addheader %v, syncduplicates %v)\n",
		strings.Join(s.UseHeader, " "), s.SkipSize, s.AddHeader, s.SyncDuplicates)
	fmt.Fprintf(out, "Debug: pidfile %q, pidfilelocking %v, logdir %q, logfile %q\n", pidFilePath(s), s.PidFileLocking, s.LogDir, s.LogFile)
}

// startMemoryReports prints the memory use every debugMemoryEvery until
// End (--debugmemory; imapsync prints it after each copy).
func (rc *Control) startMemoryReports() {
	stop := make(chan struct{})
	rc.mu.Lock()
	rc.stopMem = stop
	rc.mu.Unlock()
	go func() {
		t := time.NewTicker(debugMemoryEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				PrintMemory(rc.out)
			}
		}
	}()
}

// PrintMemory prints the memory use of the process (--debugmemory).
func PrintMemory(out io.Writer) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(out, "Memory consumption: %.1f MiB peak RSS, %.1f MiB Go heap in use, %.1f MiB from the system, %d goroutines\n",
		report.PeakRSSMiB(), float64(m.HeapInuse)/(1<<20), float64(m.Sys)/(1<<20), runtime.NumGoroutine())
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "unknown"
}

// memInfoGiB reads MemAvailable and MemTotal from /proc/meminfo.
func memInfoGiB() (avail, total float64, ok bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, false
	}
	var a, t float64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemAvailable:":
			a = kb / (1 << 20)
		case "MemTotal:":
			t = kb / (1 << 20)
		}
	}
	return a, t, t > 0
}

// shellJoin joins args for display, single-quoting those a shell would
// split or expand, so that the printed command line can be pasted back.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, s := range args {
		if s != "" && !strings.ContainsAny(s, " \t\n\"'\\$`*?[]{}()<>|&;#~!") {
			out[i] = s
			continue
		}
		out[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// TestsOption answers imapsync's built-in test options: imapshift's tests
// are Go tests, run from the source tree, so these print how to run them
// and exit 64.
func TestsOption(s *config.Settings) error {
	switch {
	case s.Tests || s.TestsDebug || s.TestsUnit != "":
		return usageErrorf("--tests: imapshift has no built-in tests; its tests are Go tests, run from the source tree with the README's test command: make test")
	case s.TestsLive || s.TestsLive6:
		return usageErrorf("--testslive: imapshift does not test against imapsync's public servers; its live tests run against local Dovecot and in-process servers with the README's test command: make test")
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func usageErrorf(format string, a ...any) error {
	return exitcode.New(exitcode.Usage, format, a...)
}
