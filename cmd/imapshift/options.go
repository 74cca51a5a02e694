package main

import (
	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

// newOptionsCommand is `imapshift options`: every option of the registry.
func (a *app) newOptionsCommand() *cobra.Command {
	var markdown bool
	c := &cobra.Command{
		Use:   "options",
		Short: "List every option with its group, default, status and description",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			if markdown {
				config.WriteOptionsMarkdown(c.OutOrStdout())
			} else {
				config.WriteOptionsText(c.OutOrStdout())
			}
			return nil
		},
	}
	c.Flags().BoolVar(&markdown, "markdown", false, "print a Markdown table")
	return c
}
