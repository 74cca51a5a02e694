package config

import (
	"bytes"

	"github.com/spf13/pflag"
)

// parseArgs parses an imapsync command line with every option, as the
// root command does, and returns its Settings and what the presets
// printed.
func parseArgs(args ...string) (*Settings, string, error) {
	return parseGroups(AllGroups, args...)
}

// parseGroups is parseArgs for a command that has the options of groups.
func parseGroups(groups []Group, args ...string) (*Settings, string, error) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	p := Bind(fs, groups)
	norm, err := NormalizeArgs(fs, args)
	if err != nil {
		return nil, "", err
	}
	if err := fs.Parse(norm); err != nil {
		return nil, "", err
	}
	var out bytes.Buffer
	s, err := p.Settings(nil, args, &out)
	return s, out.String(), err
}
