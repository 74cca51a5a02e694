package config

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/imapshift/imapshift/presets"
)

// presetAliases are the imapsync options that name a built-in preset:
// --gmail1 is --preset1 gmail.
var presetAliases = []struct{ flag, preset string }{
	{"gmail", "gmail"},
	{"office", "office365"},
	{"exchange", "exchange"},
	{"domino", "domino"},
}

// appliedPreset is one preset part used for a run: a side of a preset, or
// its "both" part when the same preset is on both sides.
type appliedPreset struct {
	flag   string // how it was asked for: "--office2", "--gmail1 --gmail2", "--preset2 team"
	preset *presets.Preset
	side   *presets.Side
	// set are the options it filled or appended to, in registry order;
	// kept those it left alone because the user gave them; dropped the
	// list values a --noX option refused.
	set, kept, dropped []presetValue
}

// presetValue is one option value of a preset as applied.
type presetValue struct {
	opt    *Option
	values []string // one for a single-valued option
}

// expandPresets applies the presets asked for by --presetN and its
// aliases to vs, before the options become Settings: a preset fills the
// options the user left unset and appends to list options (unless the
// matching --noX is given). Options outside groups (those the command does
// not have) are left alone. It returns the presets applied; their
// "is like" lines are written to out.
func expandPresets(vs *valueSet, groups []Group, out io.Writer) ([]*appliedPreset, error) {
	parts, err := requestedPresets(vs)
	if err != nil || len(parts) == 0 {
		return nil, err
	}
	user := map[string]bool{}
	for name, v := range vs.vals {
		user[name] = v.set
	}
	for _, ap := range parts {
		if err := ap.apply(vs, groups, user); err != nil {
			return nil, err
		}
		ap.explain(out)
	}
	if err := checkPresetStatus(vs, parts); err != nil {
		return nil, err
	}
	return parts, nil
}

// requestedPresets loads the presets of both sides. The same preset on
// both sides with a "both" part gives that part alone.
func requestedPresets(vs *valueSet) ([]*appliedPreset, error) {
	var asked [3]struct {
		name, flag string
		p          *presets.Preset
	}
	dir := presets.DefaultDir()
	if v := vs.get("presetdir"); v.set {
		dir = v.s
	}
	for n := 1; n <= 2; n++ {
		d := strconv.Itoa(n)
		a := &asked[n]
		want := func(name, flag string) error {
			if a.name != "" && a.name != name {
				return usageErrorf("%s and %s ask for two presets on host%s; give one", a.flag, flag, d)
			}
			if a.name == "" {
				a.name, a.flag = name, flag
			}
			return nil
		}
		if v := vs.get("preset" + d); v.set && v.s != "" {
			if err := want(v.s, "--preset"+d+" "+v.s); err != nil {
				return nil, err
			}
		}
		for _, al := range presetAliases {
			if v := vs.get(al.flag + d); v.set && v.b {
				if err := want(al.preset, "--"+al.flag+d); err != nil {
					return nil, err
				}
			}
		}
		if a.name == "" {
			continue
		}
		p, err := presets.Load(a.name, dir)
		if err != nil {
			return nil, usageErrorf("%s: %v", a.flag, err)
		}
		a.p = p
	}
	p1, p2 := asked[1].p, asked[2].p
	if p1 != nil && p2 != nil && p1.Source == p2.Source && p1.Name == p2.Name && p1.Both() != nil {
		return []*appliedPreset{{flag: asked[1].flag + " " + asked[2].flag, preset: p1, side: p1.Both()}}, nil
	}
	var out []*appliedPreset
	for n, p := range []*presets.Preset{p1, p2} {
		if p == nil {
			continue
		}
		side := p.Side(n + 1)
		if side == nil {
			return nil, usageErrorf("%s: preset %s has nothing for host%d", asked[n+1].flag, p.Name, n+1)
		}
		out = append(out, &appliedPreset{flag: asked[n+1].flag, preset: p, side: side})
	}
	return out, nil
}

// apply fills vs from the preset part. user tells which options the user
// gave; an option an earlier preset filled is not filled again.
func (ap *appliedPreset) apply(vs *valueSet, groups []Group, user map[string]bool) error {
	byName := map[string]presetValue{}
	for _, st := range ap.side.Options {
		ref, ok := registry.spellings[st.Name]
		if !ok || ref.neg {
			return usageErrorf("%s: preset %s sets --%s, which is not an option (negations are written name = false)", ap.flag, ap.preset.Name, st.Name)
		}
		o := ref.opt
		if o.Secret {
			// A preset's values are printed ("Option --presetN is
			// like: ..."): credentials belong on the command line.
			return usageErrorf("%s: preset %s sets --%s: a preset cannot carry credentials", ap.flag, ap.preset.Name, o.Name)
		}
		if !slices.Contains(groups, o.Group) {
			continue
		}
		v := vs.get(o.Name)
		bad := func(err error) error {
			return usageErrorf("%s: preset %s: --%s %s: %v", ap.flag, ap.preset.Name, o.Name, st, err)
		}
		if o.Kind == List || o.Kind == KeyValue {
			list, ok := st.Value.([]string)
			if !ok {
				list = []string{st.String()}
			}
			pv := presetValue{opt: o, values: list}
			if no := registry.Lookup("no" + o.Name); no != nil && vs.get(no.Name).b {
				ap.dropped = append(ap.dropped, pv)
				continue
			}
			if !v.set { // the preset's values replace the default list
				v.list, v.kv = nil, nil
				v.set, v.used = true, o.Name
			}
			for _, s := range list {
				if err := v.set1(s, false); err != nil {
					return bad(err)
				}
			}
			byName[o.Name] = pv
			continue
		}
		if _, isList := st.Value.([]string); isList {
			return bad(fmt.Errorf("--%s takes one value, not a list", o.Name))
		}
		pv := presetValue{opt: o, values: []string{st.String()}}
		if user[o.Name] {
			ap.kept = append(ap.kept, pv)
			continue
		}
		if v.set { // filled by an earlier preset: the first one wins
			continue
		}
		if err := v.set1(st.String(), false); err != nil {
			return bad(err)
		}
		v.set, v.used = true, o.Name
		byName[o.Name] = pv
	}
	ap.set = inRegistryOrder(ap.set, byName)
	ap.kept = inRegistryOrder(ap.kept, nil)
	return nil
}

// inRegistryOrder returns the values of byName (or pvs when byName is
// nil) in the order options are declared.
func inRegistryOrder(pvs []presetValue, byName map[string]presetValue) []presetValue {
	if byName == nil {
		byName = map[string]presetValue{}
		for _, pv := range pvs {
			byName[pv.opt.Name] = pv
		}
	}
	var out []presetValue
	for _, o := range registry.Options() {
		if pv, ok := byName[o.Name]; ok {
			out = append(out, pv)
		}
	}
	return out
}

// explain writes imapsync's "Option --office2 is like: ..." line, the
// options the user's values override, and the preset's notes.
func (ap *appliedPreset) explain(w io.Writer) {
	fmt.Fprintf(w, "Option %s is like: %s\n", ap.flag, strings.Join(renderValues(ap.set), " "))
	if len(ap.kept) > 0 {
		var names []string
		for _, pv := range ap.kept {
			names = append(names, "--"+pv.opt.Name)
		}
		fmt.Fprintf(w, "Option %s: kept your %s\n", ap.flag, strings.Join(names, " "))
	}
	for _, pv := range ap.dropped {
		fmt.Fprintf(w, "Option %s: not adding %s because of --no%s\n", ap.flag, strings.Join(renderValues([]presetValue{pv}), " "), pv.opt.Name)
	}
	for _, n := range ap.side.Notes {
		fmt.Fprintf(w, "Option %s: %s\n", ap.flag, n)
	}
}

// renderValues writes preset values as command-line options.
func renderValues(pvs []presetValue) []string {
	var out []string
	for _, pv := range pvs {
		o := pv.opt
		for _, s := range pv.values {
			if o.Kind == Bool {
				b, _ := parseBool(s)
				switch {
				case b:
					out = append(out, "--"+o.Name)
				case len(o.negations()) > 0:
					out = append(out, "--no"+o.Name)
				default:
					out = append(out, "--"+o.Name+"=false")
				}
				continue
			}
			out = append(out, "--"+o.Name, shellQuote(s))
		}
	}
	return out
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkPresetStatus refuses to run when a preset set an option that is not
// implemented yet: the run would silently differ from imapsync's. The
// message says how to run without each such option, when that is
// possible.
func checkPresetStatus(vs *valueSet, parts []*appliedPreset) error {
	for _, ap := range parts {
		var missing []presetValue
		var without, stuck []string
		for _, pv := range ap.set {
			o := pv.opt
			if o.Status != NotImplemented || vs.get(o.Name).isDefault() {
				continue
			}
			missing = append(missing, pv)
			switch {
			case o.Kind == List || o.Kind == KeyValue:
				if no := registry.Lookup("no" + o.Name); no != nil && no.Status == Implemented {
					without = append(without, "--no"+o.Name)
				} else {
					stuck = append(stuck, "--"+o.Name)
				}
			case o.Kind == Bool:
				without = append(without, renderValues([]presetValue{{opt: o, values: []string{o.defaultString()}}})...)
			default:
				d := o.defaultString()
				if d == "" && o.Kind != String {
					d = "0"
				}
				without = append(without, "--"+o.Name, shellQuote(d))
			}
		}
		if len(missing) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s sets options that are not implemented yet: %s.", ap.flag, strings.Join(renderValues(missing), " "))
		if len(without) > 0 {
			msg += fmt.Sprintf(" To run without them, give %s", strings.Join(without, " "))
			if len(stuck) > 0 {
				msg += ";"
			} else {
				msg += "."
			}
		}
		if len(stuck) > 0 {
			msg += fmt.Sprintf(" %s cannot be turned off yet: leave out %s.", strings.Join(stuck, " "), ap.flag)
		}
		return usageErrorf("%s (imapshift presets show %s)", msg, ap.preset.Name)
	}
	return nil
}

// PresetFlags names the options that apply a preset: "--gmail1 --gmail2"
// for a built-in one, "--preset1/2 NAME" otherwise.
func PresetFlags(p *presets.Preset) string {
	if p.Source == presets.BuiltIn {
		for _, al := range presetAliases {
			if al.preset == p.Name {
				return "--" + al.flag + "1 --" + al.flag + "2"
			}
		}
	}
	arg := p.Name
	if p.Source != presets.BuiltIn && !strings.HasSuffix(p.Source, "/"+p.Name+".lua") {
		arg = p.Source
	}
	return "--preset1/2 " + arg
}

// ShowPreset prints the expansion of each side of p, or of side only (1
// or 2; 0 for both): the "is like" line, then each option with the rule
// that applies it, the preset's notes and its hooks.
func ShowPreset(w io.Writer, p *presets.Preset, only int) error {
	fmt.Fprintf(w, "Preset %s (%s): %s\n", p.Name, p.Source, p.Description)
	type part struct {
		title string
		side  *presets.Side
	}
	var parts []part
	flag := func(n int) string {
		if p.Source == presets.BuiltIn {
			for _, al := range presetAliases {
				if al.preset == p.Name {
					return "--" + al.flag + strconv.Itoa(n)
				}
			}
		}
		return "--preset" + strconv.Itoa(n) + " " + shellQuote(p.Name)
	}
	for n := 1; n <= 2; n++ {
		if only == 0 || only == n {
			parts = append(parts, part{flag(n), p.Side(n)})
		}
	}
	if b := p.Both(); b != nil && only == 0 {
		parts = append(parts, part{flag(1) + " " + flag(2) + " (together: replaces both lines above)", b})
	}
	for _, pt := range parts {
		fmt.Fprintln(w)
		if pt.side == nil {
			fmt.Fprintf(w, "%s: not defined (the preset has nothing for this side)\n", pt.title)
			continue
		}
		vs := newValueSet(registry)
		ap := &appliedPreset{flag: pt.title, preset: p, side: pt.side}
		if err := ap.apply(vs, AllGroups, map[string]bool{}); err != nil {
			return err
		}
		fmt.Fprintf(w, "Option %s is like: %s\n", pt.title, strings.Join(renderValues(ap.set), " "))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, pv := range ap.set {
			o := pv.opt
			rule := "unless --" + o.Name + " is given"
			switch {
			case o.Kind == List || o.Kind == KeyValue:
				rule = "appended to --" + o.Name
				if registry.Lookup("no"+o.Name) != nil {
					rule += " (not with --no" + o.Name + ")"
				}
			case len(o.negations()) > 0:
				rule = "unless --" + o.Name + " or --no" + o.Name + " is given"
			}
			if o.Status == NotImplemented {
				rule += "  [not implemented yet: the run refuses]"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", strings.Join(renderValues([]presetValue{pv}), " "), rule)
		}
		tw.Flush()
		for _, n := range pt.side.Notes {
			fmt.Fprintf(w, "  Note: %s\n", n)
		}
		if len(pt.side.Hooks) > 0 {
			fmt.Fprintf(w, "  Hooks: %s (run before the --script hooks)\n", strings.Join(pt.side.Hooks, ", "))
		}
	}
	return nil
}
