package config

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

const syntaxNote = `Options follow imapsync's syntax: --opt value or --opt=value; booleans also take
--noopt or --no-opt; repeatable options may be given several times; numbers
accept _ separators (20_000). [not implemented yet] options are refused when
given; [no effect] options are accepted and ignored. "imapshift options" lists
every option with its default and status.`

// WriteHelp prints the help of a command built from the registry: its
// description, its subcommands and the options of groups.
func WriteHelp(w io.Writer, c *cobra.Command, version string, groups []Group) {
	fmt.Fprintf(w, "imapshift %s: %s\n\n", version, c.Short)
	if c.Long != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(c.Long))
	}
	use := c.Use
	if c.HasParent() {
		use = c.Parent().CommandPath() + " " + use
	}
	fmt.Fprintf(w, "Usage:\n  %s\n", use)
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "  %s <command> [options]\n\nCommands:\n", c.CommandPath())
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(tw, "  %s\t%s\n", sub.Name(), sub.Short)
			}
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\n%s\n", syntaxNote)
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s options:\n", groupTitles[g])
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, o := range registry.Options() {
			if o.Group == g {
				fmt.Fprintf(tw, "  %s\t%s\n", o.Usage(), o.description())
			}
		}
		tw.Flush()
	}
}

// usage is the option as typed: --name arg, or --[no]name for a boolean
// that is on by default.
func (o *Option) Usage() string {
	name := "--" + o.Name
	if o.Short != "" {
		name = "-" + o.Short + ", " + name
	}
	if o.Kind == Bool && o.Default == true && len(o.negations()) > 0 {
		name = "--[no]" + o.Name
	}
	if a := o.arg(); a != "" {
		name += " " + a
	}
	return name
}

// description is the help text with the default, aliases and status.
func (o *Option) description() string {
	d := o.Help
	if def := o.defaultString(); def != "" && def != "off" {
		d += " (default " + def + ")"
	}
	if len(o.Aliases) > 0 {
		d += " (also --" + strings.Join(o.Aliases, ", --") + ")"
	}
	switch o.Status {
	case NotImplemented:
		d += " [not implemented yet]"
	case Accepted:
		d += " [no effect]"
	}
	return d
}

// WriteOptionsText prints every option as a table: usage, group, default,
// status and description (imapshift options).
func WriteOptionsText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OPTION\tGROUP\tDEFAULT\tSTATUS\tDESCRIPTION")
	for _, o := range registry.Options() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Usage(), o.Group, o.defaultString(), o.Status, o.Help+aliasNote(o))
	}
	tw.Flush()
}

// WriteOptionsMarkdown prints every option as a Markdown table.
func WriteOptionsMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| Option | Group | Default | Status | Description |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	esc := strings.NewReplacer("|", `\|`)
	for _, o := range registry.Options() {
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", o.Usage(), o.Group, esc.Replace(o.defaultString()), o.Status, esc.Replace(o.Help+aliasNote(o)))
	}
}

func aliasNote(o *Option) string {
	if len(o.Aliases) == 0 {
		return ""
	}
	return " (also --" + strings.Join(o.Aliases, ", --") + ")"
}
