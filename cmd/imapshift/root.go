package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/exitcode"
)

// exitStatusLogin is the EXIT STATUS part of the help of the commands that
// log in.
const exitStatusLogin = `
EXIT STATUS
  0 success; 64 usage error; 66 unreadable --passfileN; 10 connection failure
  in justconnect mode; 101/102 cannot connect to host1/host2 (an implicit TLS
  handshake or certificate failure included); 12 STARTTLS failure;
  161/162 login failure on host1/host2 (when both sides fail, the most
  frequent error class decides, ties going to host1); 6 interrupted (SIGINT or
  SIGTERM: the first stops gracefully, a second within 2 s at once); 8 the
  pidfile names a live process (--pidfilelocking) or cannot be written.`

// newRootCommand builds the command tree with every command's options
// bound. The root command takes every option and syncs, as imapsync does;
// each subcommand is in its own file.
func (a *app) newRootCommand() *cobra.Command {
	root := a.newCommandTree()
	a.bindAll()
	return root
}

// newCommandTree builds the command tree, the options of the registry
// commands left to bind (a.bind, a.bindAll).
func (a *app) newCommandTree() *cobra.Command {
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
	a.bindRegistry(root, config.AllGroups, func(ctx context.Context, c *cobra.Command, s *config.Settings) error {
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
			config.WriteHelp(c.OutOrStdout(), c, appVersion(), commandGroups(c))
			return
		}
		defaultHelp(c, args)
	})
	root.AddCommand(a.newSyncCommand(), a.newFoldersCommand(), a.newSizesCommand(), a.newVerifyCommand(), a.newJustLoginCommand(),
		a.newJustConnectCommand(), a.newDemoCommand(), a.newVersionCommand(), a.newOptionsCommand(),
		a.newScriptCommand(), a.newPresetsCommand(), a.newPluginsCommand(), a.newOAuthCommand(), a.newBatchCommand())
	return root
}
