package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// version is set at build time with -ldflags "-X main.version=1.2.3".
var version = ""

func appVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
}

// run executes the command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).main(args)
}

// newApp returns an app writing to stdout and stderr. Both are
// serialized: the IMAP traces of both hosts and the engine's workers
// write to them concurrently. Both copy what they write into the run's
// log file once startRun opened one (logfile.go).
func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	ctl := &runControl{}
	return &app{stdin: stdin, stdout: &syncWriter{w: stdout, ctl: ctl}, stderr: &syncWriter{w: stderr, ctl: ctl},
		getenv: os.Getenv, ctl: ctl, exit: os.Exit}
}

// syncWriter makes each Write atomic with respect to the others.
type syncWriter struct {
	mu  sync.Mutex
	w   io.Writer
	ctl *runControl // the run whose log gets a copy of every write
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.w.Write(p)
	s.ctl.copyToLog(p)
	return n, err
}

// main runs the command line under a context cancelled by the first
// SIGINT or SIGTERM (signals.go). It is the only place where errors
// become exit codes and are printed: one line on stderr. The final lines
// of a logged run (pidfile removal, log file name) follow it.
func (a *app) main(args []string) int {
	ctx, stop := a.watchSignals(context.Background())
	defer stop()
	conn.Version = appVersion()
	err := a.execute(ctx, args)
	if sig := a.ctl.stoppedBy(); err == nil && sig != "" && !a.ctl.exitLinePrinted() {
		err = exitcode.New(stopCode(sig), "interrupted by signal %s", sig)
	}
	code := exitcode.OK
	if err != nil {
		code = exitcode.Of(err)
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			code = stopCode(a.ctl.stoppedBy())
			if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
				err = fmt.Errorf("%w (%v)", cause, err)
			}
		}
		fmt.Fprintf(a.stderr, "imapshift: %s\n", oneLine(err.Error()))
	}
	a.endRun()
	return int(code)
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

func usageErrorf(format string, a ...any) error {
	return exitcode.New(exitcode.Usage, format, a...)
}
