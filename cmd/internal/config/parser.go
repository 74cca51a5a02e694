package config

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/imapshift/imapshift/core/report"
)

// Parser binds the options of some groups to a flag set and turns what
// the flag set parsed into Settings.
type Parser struct {
	vs     *valueSet
	groups []Group
}

// Bind defines on fs the options of groups (and --help and --version):
// each option under its name, and its aliases and negations as hidden
// flags.
func Bind(fs *pflag.FlagSet, groups []Group) *Parser {
	vs := newValueSet(registry)
	vs.bind(fs, groups)
	return &Parser{vs: vs, groups: groups}
}

// Version tells whether --version was given.
func (p *Parser) Version() bool { return p.vs.get("version").b }

// Settings applies the presets asked for (writing their "Option --gmail1
// is like: ..." lines to out), refuses the options that are not
// implemented yet, and returns the Settings. prefix (the subcommand) and
// args (the options as typed) are recorded in Settings.Args, with secrets
// masked unless --showpasswords.
func (p *Parser) Settings(prefix, args []string, out io.Writer) (*Settings, error) {
	applied, err := expandPresets(p.vs, p.groups, out)
	if err != nil {
		return nil, err
	}
	if err := p.vs.checkStatus(); err != nil {
		return nil, err
	}
	shown := append(append([]string(nil), prefix...), report.MaskArgs(args, secretOptions(), p.vs.get("showpasswords").b)...)
	s, err := newSettings(p.vs, shown)
	if err != nil {
		return nil, err
	}
	s.presets = applied
	return s, nil
}

// Without returns the groups except drop, in help order.
func Without(drop ...Group) []Group {
	var out []Group
	for _, g := range AllGroups {
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

// Options returns every option in declaration order.
func Options() []*Option { return registry.Options() }
