package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/engine"
)

// newFoldersCommand is `imapshift folders`, the --justfolders run.
func (a *app) newFoldersCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "folders [options]",
		Short: "Create the host1 folders on host2, ignoring messages (--justfolders)",
		Long:  "Log in to both hosts and create on host2 the folders of host1, as --justfolders does.\n" + exitStatusLogin + "\n  116 a folder could not be created.",
	}
	a.bindRegistry(c, config.Without(config.GroupMessages, config.GroupFlags), func(ctx context.Context, c *cobra.Command, s *config.Settings) error {
		s.JustFolders = true
		return a.loginRun(ctx, c, s, a.runFolders)
	})
	return c
}

// runFolders creates the host2 folders (or, with --dry, shows what would
// be created) and lists each folder's fate (finishRun prints the table).
func runFolders(ctx context.Context, s *config.Settings, out io.Writer) error {
	return runEngine(ctx, s, out, func(o *engine.Options) { o.JustFolders = true })
}
