package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// app holds what the commands share: the standard streams and the
// command line being run.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	prefix []string // the subcommand name, if any
	raw    []string // the arguments after it, as typed
	ran    bool     // a command's RunE started (errors before are usage errors)

	// intercept, when set, receives the Settings of a registry command
	// instead of running it (tests of the parsing).
	intercept func(*Settings) error

	// Run control (logfile.go, pidfile.go, signals.go): the log file,
	// pidfile and signal state of the run; exit ends the process on a
	// second signal; restoreTerm gives the terminal its state back then.
	ctl         *runControl
	exit        func(int)
	restoreTerm func()
	// signals is where the exit signals (and the abort file, as a
	// pseudo-signal) are delivered.
	signals chan os.Signal
}

// The engine's entry points (the lead's); tests replace them.
var (
	syncRunner    = runSync
	foldersRunner = runFolders
	sizesRunner   = runSizes
)

// annGroups is the annotation holding the option groups of a command built
// from the registry.
const annGroups = "imapshift/groups"

const exitStatusLogin = `
EXIT STATUS
  0 success; 64 usage error; 66 unreadable --passfileN; 10 connection failure
  in justconnect mode; 101/102 cannot connect to host1/host2; 12 TLS failure;
  161/162 login failure on host1/host2 (when both sides fail, the most
  frequent error class decides, ties going to host1); 6 interrupted (SIGINT or
  SIGTERM: the first stops gracefully, a second within 2 s at once); 8 the
  pidfile names a running imapshift (--pidfilelocking) or cannot be written.`

func (a *app) execute(ctx context.Context, args []string) error {
	root := a.newRootCommand()
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
		norm, err := normalizeArgs(target.Flags(), args[n:])
		if err != nil {
			return err
		}
		a.prefix, a.raw = args[:n], args[n:]
		cmdline = append(append([]string(nil), args[:n]...), norm...)
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

func (a *app) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "imapshift [options]",
		Short: "Migrate IMAP accounts, one way, without duplicates (an imapsync successor)",
		Long: `imapshift copies the folders and messages of an IMAP account (host1) to another
(host2), incrementally and without duplicates. Its command line is imapsync's:
replace "imapsync" by "imapshift" in a script and it works the same.

  imapshift --host1 imap.a.org --user1 joe --password1 secret1 \
            --host2 imap.b.org --user2 joe --password2 secret2

With no subcommand it syncs (like "imapshift sync"). When one of --host1,
--user1, --host2, --user2 is missing it only connects to the hosts given
(like --justconnect). --justlogin, --justfoldersizes and --justfolders stop
after logging in, after printing folder sizes, and after the folders.
` + exitStatusLogin + `
  Sync failures exit with imapsync's codes: 111 errors, 113 over quota,
  114 append, 115 fetch, 116 create, 117 select, 118 --exitwhenover reached.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	a.bindRegistry(root, allGroups, func(ctx context.Context, c *cobra.Command, s *Settings) error {
		if c.Flags().NFlag() == 0 {
			return c.Help()
		}
		return a.runMain(ctx, s)
	})
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.Wrap(exitcode.Usage, err)
	})
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if _, ok := c.Annotations[annGroups]; ok {
			writeHelp(c.OutOrStdout(), c)
			return
		}
		defaultHelp(c, args)
	})

	sync := &cobra.Command{
		Use:   "sync [options]",
		Short: "Sync host1 to host2 (the default command)",
		Long:  "Sync the folders and messages of host1 to host2. \"imapshift sync ...\" is \"imapshift ...\".\n" + exitStatusLogin,
	}
	a.bindRegistry(sync, allGroups, func(ctx context.Context, _ *cobra.Command, s *Settings) error {
		return a.runMain(ctx, s)
	})

	folders := &cobra.Command{
		Use:   "folders [options]",
		Short: "Create the host1 folders on host2, ignoring messages (--justfolders)",
		Long:  "Log in to both hosts and create on host2 the folders of host1, as --justfolders does.\n" + exitStatusLogin + "\n  116 a folder could not be created.",
	}
	a.bindRegistry(folders, without(GroupMessages, GroupFlags), func(ctx context.Context, c *cobra.Command, s *Settings) error {
		s.JustFolders = true
		return a.loginRun(ctx, c, s, foldersRunner)
	})

	sizes := &cobra.Command{
		Use:   "sizes [options]",
		Short: "Print the folder sizes of both hosts and exit (--justfoldersizes)",
		Long:  "Log in to both hosts and print the size of each folder, as --justfoldersizes does.\n" + exitStatusLogin,
	}
	a.bindRegistry(sizes, without(GroupFlags, GroupDeletion), func(ctx context.Context, c *cobra.Command, s *Settings) error {
		s.JustFolderSizes = true
		return a.loginRun(ctx, c, s, sizesRunner)
	})

	justlogin := &cobra.Command{
		Use:   "justlogin [options]",
		Short: "Log in to both hosts and exit (--justlogin)",
		Long:  "Connect and log in to host1 and host2, print what the servers say, and exit. Both logins are always attempted.\n" + exitStatusLogin,
	}
	a.bindRegistry(justlogin, []Group{GroupConnection, GroupTLS, GroupAuth, GroupLogging, GroupDebug, GroupPresets, GroupMisc}, func(ctx context.Context, c *cobra.Command, s *Settings) error {
		s.JustLogin = true
		return a.loginRun(ctx, c, s, a.justLogin)
	})

	justconnect := &cobra.Command{
		Use:   "justconnect [options]",
		Short: "Connect to the hosts given, print banners and capabilities, and exit (--justconnect)",
		Long: `Connect (without logging in) to --host1 and/or --host2, print their addresses,
greeting, capabilities and ID, and exit.

EXIT STATUS
  0 success; 64 usage error; 10 a connection failed.`,
	}
	a.bindRegistry(justconnect, []Group{GroupConnection, GroupTLS, GroupLogging, GroupDebug, GroupPresets, GroupMisc}, func(ctx context.Context, _ *cobra.Command, s *Settings) error {
		if s.Host1.Host == "" && s.Host2.Host == "" {
			return usageErrorf("justconnect needs --host1 or --host2")
		}
		s.JustConnect = true
		return a.justConnect(ctx, s)
	})

	demo := &cobra.Command{
		Use:                "demo [args]",
		Short:              "Run a self-contained demonstration against in-process servers",
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			a.ran = true
			return runDemo(c.Context(), c.OutOrStdout(), args)
		},
	}

	versionCmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			fmt.Fprintln(c.OutOrStdout(), appVersion())
			return nil
		},
	}

	root.AddCommand(sync, folders, sizes, justlogin, justconnect, demo, versionCmd, a.newOptionsCommand())
	root.AddCommand(a.newScriptCommand(), a.newPresetsCommand()) // script.go, preset.go
	return root
}

// settingsRun is the body of a command built from the registry.
type settingsRun func(ctx context.Context, c *cobra.Command, s *Settings) error

// bindRegistry gives c the options of groups and a RunE that turns them
// into Settings before calling fn.
func (a *app) bindRegistry(c *cobra.Command, groups []Group, fn settingsRun) {
	vs := newValueSet(registry)
	vs.bind(c.Flags(), groups)
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
		if vs.get("version").b {
			fmt.Fprintln(c.OutOrStdout(), appVersion())
			return nil
		}
		applied, err := expandPresets(vs, groups, c.OutOrStdout()) // preset.go
		if err != nil {
			return err
		}
		if err := vs.checkStatus(); err != nil {
			return err
		}
		shown := append(append([]string(nil), a.prefix...), report.MaskArgs(a.raw, secretOptions(), vs.get("showpasswords").b)...)
		s, err := newSettings(vs, shown)
		if err != nil {
			return err
		}
		s.Trace = c.OutOrStdout()
		s.presets = applied
		if a.intercept != nil {
			return a.intercept(s)
		}
		// Run control options (logfile.go, pidfile.go): --tests and
		// --testslive exit 64, --abort stops another run, --tail follows
		// its log, --justbanner.
		if err := testsOption(s); err != nil {
			return err
		}
		if s.Abort {
			return a.abort(c.Context(), s)
		}
		if s.Tail {
			return a.tail(c.Context(), s)
		}
		if s.JustBanner {
			a.printBanner(c.OutOrStdout(), s, time.Now(), "")
			return nil
		}
		return fn(c.Context(), c, s)
	}
}

// commandGroups returns the option groups of a command built from the
// registry.
func commandGroups(c *cobra.Command) []Group {
	var out []Group
	for _, g := range strings.Split(c.Annotations[annGroups], ",") {
		if g != "" {
			out = append(out, Group(g))
		}
	}
	return out
}

func without(drop ...Group) []Group {
	var out []Group
	for _, g := range allGroups {
		keep := true
		for _, d := range drop {
			keep = keep && g != d
		}
		if keep {
			out = append(out, g)
		}
	}
	return out
}

func secretOptions() []string {
	var out []string
	for _, o := range registry.Options() {
		if o.Secret {
			out = append(out, o.Name)
		}
	}
	return out
}

// runMain is imapsync's flow: connect only when credentials are missing
// or with --justconnect, else log in and stop where a --just option says.
func (a *app) runMain(ctx context.Context, s *Settings) error {
	if s.JustConnect || len(s.missingCredentials()) > 0 {
		return a.justConnect(ctx, s)
	}
	run := syncRunner
	switch {
	case s.JustLogin:
		return a.login(ctx, s, a.justLogin)
	case s.JustFolderSizes:
		run = sizesRunner
	case s.JustFolders:
		run = foldersRunner
	}
	return a.loggedLogin(ctx, s, run)
}

// loginRun runs a subcommand that needs both accounts.
func (a *app) loginRun(ctx context.Context, c *cobra.Command, s *Settings, run func(context.Context, *Settings, io.Writer) error) error {
	if missing := s.missingCredentials(); len(missing) > 0 {
		return usageErrorf("imapshift %s needs --host1, --user1, --host2 and --user2 (missing %s)", c.Name(), strings.Join(missing, ", "))
	}
	if s.JustLogin {
		return a.login(ctx, s, run)
	}
	return a.loggedLogin(ctx, s, run)
}

// loggedLogin is login for the runs that work on both accounts (sync,
// folders, sizes): they log to a file, print the banner and hold the
// pidfile (logfile.go).
func (a *app) loggedLogin(ctx context.Context, s *Settings, run func(context.Context, *Settings, io.Writer) error) error {
	if err := a.startRun(s, false); err != nil {
		return err
	}
	return a.login(ctx, s, run)
}

// login runs the SSL probe, obtains the passwords and calls run.
func (a *app) login(ctx context.Context, s *Settings, run func(context.Context, *Settings, io.Writer) error) error {
	s.ProbeSSL(ctx, a.stdout)
	if err := s.resolvePasswords(passwordSource{stdin: a.stdin, prompt: a.stderr, getenv: a.getenv}); err != nil {
		return err
	}
	return run(ctx, s, a.stdout)
}
