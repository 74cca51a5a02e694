package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/engine"
)

// newSizesCommand is `imapshift sizes`, the --justfoldersizes run.
func (a *app) newSizesCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sizes [options]",
		Short: "Print the folder sizes of both hosts and exit (--justfoldersizes)",
		Long:  "Log in to both hosts and print the size of each folder, as --justfoldersizes does.\n" + exitStatusLogin,
	}
	a.bindRegistry(c, config.Without(config.GroupFlags, config.GroupDeletion), func(ctx context.Context, c *cobra.Command, s *config.Settings) error {
		s.JustFolderSizes = true
		return a.loginRun(ctx, c, s, a.runSizes)
	})
	return c
}

// runSizes prints the folder sizes of both hosts.
func runSizes(ctx context.Context, s *config.Settings, out io.Writer) error {
	return runEngine(ctx, s, out, func(o *engine.Options) { o.JustFolderSizes = true })
}
