package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// NormalizeArgs rewrites a command line written for imapsync (Perl's
// Getopt::Long) into one pflag parses the same way:
//
//   - -opt works like --opt, option names are case-insensitive and may be
//     abbreviated to a unique prefix (--justfoldersi);
//   - a valued option always takes the next argument, even one starting with
//     a dash, so it is attached as --opt=value;
//   - unknown options and leftover arguments are usage errors;
//   - the pair "--delete 2" is refused as imapsync does.
//
// Only the flags defined on fs are known.
func NormalizeArgs(fs *pflag.FlagSet, args []string) ([]string, error) {
	if err := checkDelete2(args); err != nil {
		return nil, err
	}
	var out, extra []string
	var unknown string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			extra = append(extra, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			extra = append(extra, a)
			continue
		}
		if len(a) == 2 && fs.ShorthandLookup(a[1:]) != nil { // -h
			out = append(out, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f, err := resolveFlag(fs, name)
		if err != nil {
			if unknown == "" {
				unknown = err.Error()
			}
			continue
		}
		switch {
		case hasVal:
			out = append(out, "--"+f.Name+"="+val)
		case f.NoOptDefVal != "":
			out = append(out, "--"+f.Name)
		case i+1 < len(args):
			i++
			out = append(out, "--"+f.Name+"="+args[i])
		default:
			return nil, usageErrorf("option --%s needs a value", f.Name)
		}
	}
	if unknown != "" {
		return nil, usageErrorf("%s", unknown)
	}
	if len(extra) > 0 {
		return nil, usageErrorf("Found %d extra arguments : [%s] It usually means a quoting issue in the command line or some misspelling options.", len(extra), strings.Join(extra, " "))
	}
	return out, nil
}

// checkDelete2 catches "--delete 2", which Getopt would read as --delete1
// followed by a stray 2.
func checkDelete2(args []string) error {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--delete" && args[i+1] == "2" {
			return usageErrorf("May be you mean --delete2 instead of --delete 2")
		}
	}
	return nil
}

// resolveFlag finds the flag a Getopt-style name designates: an exact
// name, a case-insensitive name, or a unique case-insensitive prefix.
func resolveFlag(fs *pflag.FlagSet, name string) (*pflag.Flag, error) {
	if f := fs.Lookup(name); f != nil && name != "" {
		return f, nil
	}
	lower := strings.ToLower(name)
	var exact, prefix []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		n := strings.ToLower(f.Name)
		switch {
		case n == lower:
			exact = append(exact, f)
		case strings.HasPrefix(n, lower):
			prefix = append(prefix, f)
		}
	})
	if len(exact) == 1 {
		return exact[0], nil
	}
	if name != "" && len(exact) == 0 {
		if f := uniqueOption(prefix); f != nil {
			return f, nil
		}
	}
	if len(exact)+len(prefix) > 1 && name != "" {
		return nil, fmt.Errorf("option --%s is ambiguous (%s)", name, flagList(append(exact, prefix...)))
	}
	return nil, fmt.Errorf("unknown option --%s%s", name, suggest(fs, lower))
}

// uniqueOption returns the flag when all candidates are spellings of one
// option with the same polarity (--subscribe_a matches one alias only).
func uniqueOption(cands []*pflag.Flag) *pflag.Flag {
	if len(cands) == 0 {
		return nil
	}
	var first flagRef
	for i, f := range cands {
		ref, ok := registry.spellings[f.Name]
		if !ok {
			if len(cands) == 1 {
				return f
			}
			return nil
		}
		if i == 0 {
			first = ref
		} else if ref != first {
			return nil
		}
	}
	return cands[0]
}

func flagList(fl []*pflag.Flag) string {
	var names []string
	for _, f := range fl {
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
	}
	if len(names) == 0 {
		for _, f := range fl {
			names = append(names, "--"+f.Name)
		}
	}
	sort.Strings(names)
	if len(names) > 6 {
		names = append(names[:6], "...")
	}
	return strings.Join(names, " ")
}

// suggest returns a "did you mean" hint for a misspelled option.
func suggest(fs *pflag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if d := editDistance(name, strings.ToLower(f.Name)); d < bestD || (d == bestD && best != "" && f.Name < best) {
			best, bestD = f.Name, d
		}
	})
	if best != "" && bestD <= 2 {
		return " (did you mean --" + best + "?)"
	}
	return " (see imapshift --help or imapshift options)"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
