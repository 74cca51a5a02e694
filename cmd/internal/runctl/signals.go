package runctl

// The exit signals.
//
// The first SIGINT (Ctrl-C) or SIGTERM stops imapshift
// gracefully: no new message is started, the APPENDs already sent to
// host2 finish (or, if the connection is cut, are abandoned: an APPEND
// is all or nothing, so host2 never keeps half a message), the final
// report is printed and written to the log, the pidfile is removed and
// the exit code is 6 (EXIT_BY_SIGNAL). Run the same command again to
// finish: messages already on host2 are recognised and not copied
// twice. A second SIGINT or SIGTERM within 2 seconds of the first exits
// at once, still with code 6, without the final report (the pidfile is
// still removed and the log still ends with its name). `imapshift
// --abort` sends that first SIGTERM for you.
//
// Difference with imapsync: in imapsync the first Ctrl-C (SIGINT) does
// not stop the run but drops and re-establishes both IMAP connections
// (--sigreconnect INT), and only two Ctrl-C within 2 seconds exit;
// SIGTERM and SIGQUIT exit at once (--sigexit), printing the statistics.
// In imapshift SIGINT and SIGTERM both mean "stop cleanly", the way
// service managers and container runtimes expect, and connections lost
// during a run are re-established on their own (--reconnectretry1/2),
// so a manual reconnect signal is not needed. --sigexit, --sigreconnect
// and --sigignore are accepted and change nothing.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/imapshift/imapshift/core/exitcode"
)

// secondSignalWindow is how close a second signal must follow the
// previous one to exit at once.
const secondSignalWindow = 2 * time.Second

// interruptedError is the cause of the run's context cancellation by a
// signal.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string { return "interrupted by signal " + signalName(e.sig) }

// abortFile is the pseudo-signal of --abortbyfile: the abort file of
// this run appeared (see watchAbortFile).
type abortFile struct{}

func (abortFile) String() string { return AbortFileName }
func (abortFile) Signal()        {}

// AbortFileName is the name StoppedBy gives the abort file of
// --abortbyfile.
const AbortFileName = "ABORTFILE"

// StopCode is the exit code of a run stopped by sig (a signal name, or
// AbortFileName): 7 for the abort file, 6 for a signal.
func StopCode(sig string) exitcode.Code {
	if sig == AbortFileName {
		return exitcode.ByFile
	}
	return exitcode.BySignal
}

// watchAbortFile delivers abortFile{} once "<pidfile>abort<PID>" exists
// (imapsync's --abortbyfile: `imapshift --abort --abortbyfile` creates
// it). It removes the file and stops when done is closed.
func (rc *Control) watchAbortFile(pidPath string, done <-chan struct{}) {
	path := pidPath + "abort" + strconv.Itoa(os.Getpid())
	go func() {
		t := time.NewTicker(abortFilePoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if _, err := os.Stat(path); err == nil {
					os.Remove(path)
					rc.signals <- abortFile{}
					return
				}
			}
		}
	}()
}

// abortFilePoll is how often the abort file is looked for.
const abortFilePoll = 500 * time.Millisecond

// signalName is imapsync's name of a signal (INT, TERM).
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "INT"
	case syscall.SIGTERM:
		return "TERM"
	}
	return sig.String()
}

// WatchSignals returns a context that the first SIGINT or SIGTERM cancels,
// and the function that stops watching. stdin is the process's standard
// input: when it is a terminal, a forced exit restores its state.
func (rc *Control) WatchSignals(parent context.Context, stdin io.Reader) (context.Context, func()) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// A second signal during a password prompt exits with the
		// terminal's echo off unless it is restored.
		if st, err := term.GetState(int(f.Fd())); err == nil {
			rc.restoreTerm = func() { term.Restore(int(f.Fd()), st) }
		}
	}
	ch := make(chan os.Signal, 4)
	rc.signals = ch
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, stop := rc.HandleSignals(parent, ch)
	return ctx, func() {
		signal.Stop(ch)
		stop()
	}
}

// HandleSignals applies the signal rules (OnSignal) to what ch delivers,
// until the returned function is called.
func (rc *Control) HandleSignals(parent context.Context, ch <-chan os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				rc.OnSignal(sig, time.Now(), cancel)
			}
		}
	}()
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// OnSignal handles one exit signal received at now: the first cancels
// the run, one that follows the previous within secondSignalWindow exits
// at once (End, then Exit).
func (rc *Control) OnSignal(sig os.Signal, now time.Time, cancel context.CancelCauseFunc) {
	rc.mu.Lock()
	again := !rc.lastSig.IsZero() && now.Sub(rc.lastSig) <= secondSignalWindow
	rc.lastSig = now
	if rc.sig == nil {
		rc.sig = sig
	}
	rc.mu.Unlock()
	name := signalName(sig)
	if _, ok := sig.(abortFile); ok {
		fmt.Fprintf(rc.out, "Found the abort file of this run (--abortbyfile): stopping gracefully. No new message is started; the final report follows (exit code 7).\n")
		cancel(&interruptedError{sig})
		return
	}
	if again {
		fmt.Fprintf(rc.out, "Got a second signal %s within %s: exiting at once, without the final report. Run the same command again to finish the sync.\n", name, secondSignalWindow)
		rc.End()
		if rc.restoreTerm != nil {
			rc.restoreTerm()
		}
		rc.Exit(int(exitcode.BySignal))
		return
	}
	fmt.Fprintf(rc.out, "Got signal %s: stopping gracefully. No new message is started; the messages being appended finish, then the final report is printed (exit code 6). Send %s again within %s (Ctrl-C twice) to exit at once.\n", name, name, secondSignalWindow)
	cancel(&interruptedError{sig})
}

// StoppedBy returns the name of the signal that stopped the run, or "".
func (rc *Control) StoppedBy() string {
	if rc == nil {
		return ""
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.sig == nil {
		return ""
	}
	return signalName(rc.sig)
}

// ExitReported records that the "Exiting with return value" line was
// printed, with the signal that stopped the run, if any, already taken
// into account; it returns that signal's name.
func (rc *Control) ExitReported() string {
	if rc == nil {
		return ""
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.exitLine = true
	if rc.sig == nil {
		return ""
	}
	return signalName(rc.sig)
}

// ExitLinePrinted tells whether the "Exiting with return value" line was
// printed.
func (rc *Control) ExitLinePrinted() bool {
	if rc == nil {
		return false
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.exitLine
}
