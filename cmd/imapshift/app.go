package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/cmd/internal/runctl"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// runner is the body of a command that works on both accounts: it gets
// the Settings with the passwords resolved and writes its report to out.
type runner func(ctx context.Context, s *config.Settings, out io.Writer) error

// app holds what the commands share: the standard streams, the command
// line being run, the runners of the commands and the run control.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	prefix []string // the subcommand name, if any
	raw    []string // the arguments after it, as typed
	ran    bool     // a command's RunE started (errors before are usage errors)

	// intercept, when set, receives the Settings of a registry command
	// instead of running it (tests of the parsing).
	intercept func(*config.Settings) error

	// The runners of sync, folders (--justfolders) and sizes
	// (--justfoldersizes); tests replace them.
	runSync, runFolders, runSizes runner

	// ctl is the run control: the log file, pidfile and signal state of
	// the run. stdout and stderr are its writers.
	ctl *runctl.Control

	// observers are told how a batch advances, besides its display.
	observers []fleet.Observer

	// unbound holds, for each registry command whose options are not
	// bound yet, the function that binds them (bindRegistry defers the
	// binding: execute binds only the command that runs, since binding
	// every option of every command costs milliseconds at each start).
	unbound map[*cobra.Command]func()
}

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

// newApp returns an app writing to stdout and stderr through its run
// control (runctl.New): both are serialized, and copied into the run's
// log file once the run opened one.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	ctl := runctl.New(stdout, stderr, appVersion())
	return &app{stdin: stdin, stdout: ctl.Stdout, stderr: ctl.Stderr, getenv: os.Getenv, ctl: ctl,
		runSync: runSync, runFolders: runFolders, runSizes: runSizes}
}

// main runs the command line under a context cancelled by the first
// SIGINT or SIGTERM (runctl.Control.WatchSignals). It is the only place where errors
// become exit codes and are printed: one line on stderr. The final lines
// of a logged run (pidfile removal, log file name) follow it.
func (a *app) main(args []string) int {
	ctx, stop := a.ctl.WatchSignals(context.Background(), a.stdin)
	defer stop()
	conn.Version = appVersion()
	code, _ := a.finish(ctx, a.execute(ctx, args))
	return code
}

// runArgs runs one command line as main does, in this process, under
// parent and with the exit signals delivered on sigs instead of the
// process's own (a batch runs each account so). It returns the exit code
// and the error printed, if any.
func (a *app) runArgs(parent context.Context, args []string, sigs <-chan os.Signal) (int, error) {
	ctx, stop := a.ctl.HandleSignals(parent, sigs)
	defer stop()
	return a.finish(ctx, a.execute(ctx, args))
}

// finish turns the error of a command line run under ctx into its exit
// code and prints it, then ends the run control (final lines).
func (a *app) finish(ctx context.Context, err error) (int, error) {
	if sig := a.ctl.StoppedBy(); err == nil && sig != "" && !a.ctl.ExitLinePrinted() {
		err = exitcode.New(runctl.StopCode(sig), "interrupted by signal %s", sig)
	}
	code := exitcode.OK
	if err != nil {
		code = exitcode.Of(err)
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			code = runctl.StopCode(a.ctl.StoppedBy())
			if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
				err = fmt.Errorf("%w (%v)", cause, err)
			}
		}
		fmt.Fprintf(a.stderr, "imapshift: %s\n", oneLine(err.Error()))
	}
	a.ctl.End()
	return int(code), err
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

func usageErrorf(format string, a ...any) error {
	return exitcode.New(exitcode.Usage, format, a...)
}

// annGroups is the annotation holding the option groups of a command built
// from the registry.
const annGroups = "imapshift/groups"

// execute runs the command line. The options of a command built from the
// registry are first rewritten from imapsync's syntax (config.NormalizeArgs).
func (a *app) execute(ctx context.Context, args []string) error {
	root := a.newCommandTree()
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	target, n := root, 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		for _, c := range root.Commands() {
			if c.Name() == args[0] || c.HasAlias(args[0]) {
				target, n = c, 1
			}
		}
	}
	cmdline := args
	completing := len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd)
	if _, ok := target.Annotations[annGroups]; ok && !completing {
		a.bind(target)
	} else {
		// Completion, help on a command, and the commands outside the
		// registry: every command keeps its options, as cobra expects.
		a.bindAll()
	}
	if _, ok := target.Annotations[annGroups]; ok && !completing {
		norm, err := config.NormalizeArgs(target.Flags(), args[n:])
		if err != nil {
			return err
		}
		a.prefix, a.raw = args[:n], args[n:]
		cmdline = append(append([]string(nil), args[:n]...), norm...)
		// The names are resolved: nothing shows the options in pflag's
		// order from here on (the help is config.WriteHelp's), so cobra's
		// walks over them (the required options' check) need not sort
		// several hundred names first.
		target.Flags().SortFlags = false
	}
	root.SetArgs(cmdline)
	_, err := root.ExecuteContextC(ctx)
	if err != nil && !a.ran {
		if _, ok := exitcode.Find(err); !ok {
			err = exitcode.Wrap(exitcode.Usage, err)
		}
	}
	return err
}

// settingsRun is the body of a command built from the registry.
type settingsRun func(ctx context.Context, c *cobra.Command, s *config.Settings) error

// bindRegistry gives c the options of groups and a RunE that turns them
// into Settings before calling fn. The run-control options act first:
// --version, --tests, --abort, --tail and --justbanner each do only what
// they say.
//
// The options are bound when a.bind(c) or a.bindAll is called: cobra
// parses c's command line only after that.
func (a *app) bindRegistry(c *cobra.Command, groups []config.Group, fn settingsRun) {
	var p *config.Parser
	if a.unbound == nil {
		a.unbound = map[*cobra.Command]func(){}
	}
	a.unbound[c] = func() { p = config.Bind(c.Flags(), groups) }
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = string(g)
	}
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[annGroups] = strings.Join(names, ",")
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(c *cobra.Command, args []string) error {
		a.ran = true
		if len(args) > 0 {
			return usageErrorf("Found %d extra arguments : [%s] It usually means a quoting issue in the command line or some misspelling options.", len(args), strings.Join(args, " "))
		}
		if p.Version() {
			fmt.Fprintln(c.OutOrStdout(), appVersion())
			return nil
		}
		s, err := p.Settings(a.prefix, a.raw, c.OutOrStdout())
		if err != nil {
			return err
		}
		s.Trace = c.OutOrStdout()
		if a.intercept != nil {
			return a.intercept(s)
		}
		if err := runctl.TestsOption(s); err != nil {
			return err
		}
		if s.Abort {
			return a.ctl.Abort(c.Context(), s)
		}
		if s.Tail {
			return a.ctl.Tail(c.Context(), s)
		}
		if s.JustBanner {
			a.ctl.Banner(c.OutOrStdout(), s, time.Now(), "")
			return nil
		}
		return fn(c.Context(), c, s)
	}
}

// bind binds the options of c if bindRegistry deferred them.
func (a *app) bind(c *cobra.Command) {
	if f, ok := a.unbound[c]; ok {
		delete(a.unbound, c)
		f()
	}
}

// bindAll binds the options of every registry command.
func (a *app) bindAll() {
	for c := range a.unbound {
		a.bind(c)
	}
}

// commandGroups returns the option groups of a command built from the
// registry.
func commandGroups(c *cobra.Command) []config.Group {
	var out []config.Group
	for _, g := range strings.Split(c.Annotations[annGroups], ",") {
		if g != "" {
			out = append(out, config.Group(g))
		}
	}
	return out
}

// runMain is imapsync's flow: connect only when credentials are missing
// or with --justconnect, else log in and stop where a --just option says.
func (a *app) runMain(ctx context.Context, s *config.Settings) error {
	if s.JustConnect || len(s.MissingCredentials()) > 0 {
		return a.justConnect(ctx, s)
	}
	run := a.runSync
	switch {
	case s.JustLogin:
		return a.login(ctx, s, a.justLogin)
	case s.JustFolderSizes:
		run = a.runSizes
	case s.JustFolders:
		run = a.runFolders
	}
	return a.loggedLogin(ctx, s, run)
}

// loginRun runs a subcommand that needs both accounts.
func (a *app) loginRun(ctx context.Context, c *cobra.Command, s *config.Settings, run runner) error {
	if missing := s.MissingCredentials(); len(missing) > 0 {
		return usageErrorf("imapshift %s needs --host1, --user1, --host2 and --user2 (missing %s)", c.Name(), strings.Join(missing, ", "))
	}
	if s.JustLogin {
		return a.login(ctx, s, run)
	}
	return a.loggedLogin(ctx, s, run)
}

// loggedLogin is login for the runs that work on both accounts (sync,
// folders, sizes): they log to a file, print the banner and hold the
// pidfile (runctl.Control.Start). Both logins start first, when they can
// (config.Settings.DialAhead): the servers answer while the run starts.
func (a *app) loggedLogin(ctx context.Context, s *config.Settings, run runner) error {
	defer s.DialAhead(ctx, a.getenv)()
	if err := a.ctl.Start(s, false); err != nil {
		return err
	}
	return a.login(ctx, s, run)
}

// login runs the SSL probe, obtains the passwords and calls run.
func (a *app) login(ctx context.Context, s *config.Settings, run runner) error {
	s.ProbeSSL(ctx, a.stdout)
	if err := s.ResolvePasswords(config.PasswordSource{Stdin: a.stdin, Prompt: a.stderr, Getenv: a.getenv}); err != nil {
		return err
	}
	return run(ctx, s, a.stdout)
}
