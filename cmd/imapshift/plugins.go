package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/plugins"
)

// newPluginsCommand is `imapshift plugins`: the built-in hooks.
func (a *app) newPluginsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "plugins",
		Short: "List the built-in hooks, in the order a run applies them",
		Long: `List the built-in hooks: each imapsync option that changes folder names,
skips messages, rewrites them or changes their flags is a hook, named after
its option. A run applies the hooks of each kind in the order listed; the
--script hooks run after them, or before them when their script asks to.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			return writePlugins(c.OutOrStdout())
		},
	}
}

// writePlugins prints every built-in hook with its kind and description:
// by kind (folder, skip, rewrite, flags), then in chain order, then by
// name for the hooks the chain order does not rank.
func writePlugins(w io.Writer) error {
	all := plugins.All()
	rank := func(p plugins.Plugin) int {
		if r := plugins.Rank(p.Kind, p.Name); r >= 0 {
			return r
		}
		return len(plugins.Order(p.Kind))
	}
	slices.SortStableFunc(all, func(x, y plugins.Plugin) int {
		if x.Kind != y.Kind {
			return int(x.Kind) - int(y.Kind)
		}
		return rank(x) - rank(y)
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOOK\tKIND\tOPTION\tDESCRIPTION")
	for _, p := range all {
		fmt.Fprintf(tw, "%s\t%s\t--%s\t%s\n", p.Name, p.Kind, p.Name, p.Doc)
	}
	return tw.Flush()
}
