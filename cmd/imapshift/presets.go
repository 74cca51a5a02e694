package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/presets"
)

// newPresetsCommand is `imapshift presets list|show`.
func (a *app) newPresetsCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "presets",
		Short: "List the presets and show what they set (--gmail1, --office2, --preset1 NAME...)",
		Long: `Presets fill the options of one side that the user left unset, and append to
list options. --gmail1/2, --office1/2, --exchange1/2 and --domino1/2 are
--preset1/2 with the built-in gmail, office365, exchange and domino presets.
--preset1/2 also take a file, or the name of NAME.lua in --presetdir (default
imapshift/presets in the user's configuration directory), so a team can share
a preset as one Lua file.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			return c.Help()
		},
	}
	cmd.PersistentFlags().StringVar(&dir, "presetdir", presets.DefaultDir(), "directory of shared presets")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in presets and those of --presetdir",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			all, err := presets.List(dir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tOPTIONS\tSOURCE\tDESCRIPTION")
			for _, p := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, config.PresetFlags(p), p.Source, p.Description)
			}
			return tw.Flush()
		},
	}

	var side int
	show := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print exactly what a preset sets, per side",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a.ran = true
			if side != 0 && side != 1 && side != 2 {
				return usageErrorf("--side is 1 or 2")
			}
			p, err := presets.Load(args[0], dir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			return config.ShowPreset(c.OutOrStdout(), p, side)
		},
	}
	show.Flags().IntVar(&side, "side", 0, "show only host1 (1) or host2 (2)")
	cmd.AddCommand(list, show)
	return cmd
}
