package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

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
// write to them concurrently.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: &syncWriter{w: stdout}, stderr: &syncWriter{w: stderr}, getenv: os.Getenv}
}

// syncWriter makes each Write atomic with respect to the others.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// main runs the command line under a context cancelled by SIGINT and
// SIGTERM. It is the only place where errors become exit codes and are
// printed: one line on stderr.
func (a *app) main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conn.Version = appVersion()
	err := a.execute(ctx, args)
	if err == nil {
		return int(exitcode.OK)
	}
	code := exitCodeOf(err)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		code = exitcode.BySignal
	}
	fmt.Fprintf(a.stderr, "imapshift: %s\n", oneLine(err.Error()))
	return int(code)
}

// exitCoder is an error that knows its exit code, like *conn.Error.
type exitCoder interface{ ExitCode() exitcode.Code }

// exitCodeOf returns the code of the first error in err's tree that
// carries one (*exitcode.Error or an exitCoder), else EXIT_CATCH_ALL.
func exitCodeOf(err error) exitcode.Code {
	if c, ok := findCode(err); ok {
		return c
	}
	return exitcode.CatchAll
}

func findCode(err error) (exitcode.Code, bool) {
	if err == nil {
		return 0, false
	}
	if e, ok := err.(*exitcode.Error); ok {
		return e.Code, true
	}
	if ec, ok := err.(exitCoder); ok {
		return ec.ExitCode(), true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return findCode(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if c, ok := findCode(e); ok {
				return c, true
			}
		}
	}
	return 0, false
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

func usageErrorf(format string, a ...any) error {
	return exitcode.New(exitcode.Usage, format, a...)
}
