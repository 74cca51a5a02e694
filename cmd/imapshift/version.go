package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newVersionCommand is `imapshift version`.
func (a *app) newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			fmt.Fprintln(c.OutOrStdout(), appVersion())
			return nil
		},
	}
}
