// Package config is imapshift's command line: the registry of every
// option (imapsync's and imapshift's own), the imapsync-style parsing
// (NormalizeArgs, Bind), the presets, the typed Settings, and the step
// that turns Settings into the engine's options and hook chain
// (Settings.EngineOptions). The commands that use them live in
// cmd/imapshift.
package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Kind is the type of value an option takes.
type Kind int

const (
	Bool     Kind = iota // --opt, --noopt, --no-opt
	String               // --opt str
	Int                  // --opt 20_000
	Int64                // --opt 5_000_000_000
	Bytes                // --opt 64MiB (an int64 count of bytes)
	Float                // --opt 2.5
	Seconds              // --opt 1.5 (float seconds, a time.Duration)
	List                 // repeatable --opt str
	KeyValue             // repeatable --opt key=value
)

func (k Kind) String() string {
	return [...]string{"bool", "string", "int", "int64", "bytes", "float", "seconds", "list", "key=value"}[k]
}

// Group sorts options in help output and selects the options of a command.
type Group string

const (
	GroupConnection Group = "connection"
	GroupTLS        Group = "tls"
	GroupAuth       Group = "auth"
	GroupFolders    Group = "folders"
	GroupMessages   Group = "messages"
	GroupFlags      Group = "flags"
	GroupDeletion   Group = "deletion"
	GroupLimits     Group = "limits"
	GroupLogging    Group = "logging"
	GroupDebug      Group = "debug"
	GroupPresets    Group = "presets"
	GroupMisc       Group = "misc"
	// GroupVerify holds the options of `imapshift verify` alone; it is
	// not in AllGroups, so no other command takes them.
	GroupVerify Group = "verify"
)

// AllGroups are the option groups, in help order.
var AllGroups = []Group{
	GroupConnection, GroupTLS, GroupAuth, GroupFolders, GroupMessages, GroupFlags,
	GroupDeletion, GroupLimits, GroupLogging, GroupDebug, GroupPresets, GroupMisc,
}

var groupTitles = map[Group]string{
	GroupConnection: "Connection",
	GroupTLS:        "Encryption (SSL/TLS)",
	GroupAuth:       "Authentication",
	GroupFolders:    "Folders",
	GroupMessages:   "Messages",
	GroupFlags:      "Flags and labels",
	GroupDeletion:   "Deletion and expunge",
	GroupLimits:     "Limits and throttling",
	GroupLogging:    "Logging and reports",
	GroupDebug:      "Debugging and tests",
	GroupPresets:    "Presets",
	GroupMisc:       "Miscellaneous",
	GroupVerify:     "Verify",
}

// Status tells what imapshift does with an option today.
type Status int

const (
	// Implemented options do what imapsync's manual says.
	Implemented Status = iota
	// NotImplemented options parse, but giving one with a value other than
	// its default is refused with exit code 64.
	NotImplemented
	// Accepted options parse and are documented as having no effect.
	Accepted
)

func (s Status) String() string {
	switch s {
	case NotImplemented:
		return "not implemented yet"
	case Accepted:
		return "accepted, no effect"
	}
	return "implemented"
}

// Option declares one command-line option. The registry of options is the
// only place options are declared: flags, help, `imapshift options` and the
// Settings struct all derive from it.
type Option struct {
	Name    string
	Aliases []string // other spellings accepted by imapsync (Getopt "a|b")
	Kind    Kind
	// Default is a bool, string, int, int64, float64, time.Duration or
	// []string matching Kind; nil means the zero value.
	Default any
	Arg     string // placeholder in help (str, int, reg, ...); derived from Kind when empty
	Group   Group
	Status  Status
	Help    string
	Secret  bool   // the value is masked in the printed command line
	Short   string // one-letter shorthand
	NoNeg   bool   // a Bool without --noX / --no-X forms
}

// KV is one key=value pair of a KeyValue option, in command-line order.
type KV struct {
	Key, Value string
}

// flagRef says which option a flag spelling sets, and whether the spelling
// is a negation (--noX, --no-X).
type flagRef struct {
	opt *Option
	neg bool
}

// Registry holds every option.
type Registry struct {
	opts   []*Option
	byName map[string]*Option
	// spellings maps every accepted flag name (names, aliases, negations)
	// to its option.
	spellings map[string]flagRef
}

func newRegistry(opts []*Option) *Registry {
	// Sized at once: grown by doubling, the maps of several hundred
	// options were rebuilt a few times at every start.
	r := &Registry{opts: opts, byName: make(map[string]*Option, len(opts)), spellings: make(map[string]flagRef, 3*len(opts))}
	add := func(name string, ref flagRef) {
		if _, dup := r.spellings[name]; dup {
			panic("duplicate option spelling --" + name)
		}
		r.spellings[name] = ref
	}
	for _, o := range opts {
		if o.Default == nil {
			o.Default = zeroDefault(o.Kind)
		}
		r.byName[o.Name] = o
		for _, n := range o.names() {
			add(n, flagRef{opt: o})
		}
		for _, n := range o.negations() {
			add(n, flagRef{opt: o, neg: true})
		}
	}
	return r
}

// Options returns every option in declaration order.
func (r *Registry) Options() []*Option { return r.opts }

// Lookup returns the option with that canonical name.
func (r *Registry) Lookup(name string) *Option { return r.byName[name] }

func (o *Option) names() []string { return append([]string{o.Name}, o.Aliases...) }

// negations are the --noX and --no-X spellings of a Bool. Options whose
// name already starts with "no" (--noexclude) have none.
func (o *Option) negations() []string {
	if o.Kind != Bool || o.NoNeg || strings.HasPrefix(o.Name, "no") {
		return nil
	}
	var out []string
	for _, n := range o.names() {
		out = append(out, "no"+n, "no-"+n)
	}
	return out
}

func (o *Option) arg() string {
	if o.Arg != "" {
		return o.Arg
	}
	switch o.Kind {
	case Bool:
		return ""
	case Int, Int64:
		return "int"
	case Bytes:
		return "size"
	case Float:
		return "flo"
	case Seconds:
		return "sec"
	case KeyValue:
		return "key=val"
	}
	return "str"
}

func zeroDefault(k Kind) any {
	switch k {
	case Bool:
		return false
	case String:
		return ""
	case Int:
		return 0
	case Int64, Bytes:
		return int64(0)
	case Float:
		return 0.0
	case Seconds:
		return time.Duration(0)
	}
	return []string(nil)
}

// defaultString renders the default for help and `imapshift options`.
func (o *Option) defaultString() string {
	switch d := o.Default.(type) {
	case bool:
		if d {
			return "on"
		}
		return "off"
	case string:
		return d
	case int:
		if d == 0 {
			return ""
		}
		return strconv.Itoa(d)
	case int64:
		if o.Kind == Bytes {
			return formatBytes(d)
		}
		if d == 0 {
			return ""
		}
		return strconv.FormatInt(d, 10)
	case float64:
		if d == 0 {
			return ""
		}
		return strconv.FormatFloat(d, 'f', -1, 64)
	case time.Duration:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	case []string:
		return strings.Join(d, ", ")
	}
	return ""
}

// value is the parsed state of one option.
type value struct {
	opt   *Option
	set   bool   // given on the command line
	used  string // spelling last used, for messages
	order int    // parse order of the last occurrence
	b     bool
	s     string
	i     int
	i64   int64
	f     float64
	d     time.Duration
	list  []string
	kv    []KV
}

func newValue(o *Option) *value {
	v := &value{opt: o}
	switch d := o.Default.(type) {
	case bool:
		v.b = d
	case string:
		v.s = d
	case int:
		v.i = d
	case int64:
		v.i64 = d
	case float64:
		v.f = d
	case time.Duration:
		v.d = d
	case []string:
		v.list = append([]string(nil), d...)
	}
	return v
}

func (v *value) String() string {
	switch v.opt.Kind {
	case Bool:
		return strconv.FormatBool(v.b)
	case String:
		return v.s
	case Int:
		return strconv.Itoa(v.i)
	case Int64, Bytes:
		return strconv.FormatInt(v.i64, 10)
	case Float:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case Seconds:
		return strconv.FormatFloat(v.d.Seconds(), 'g', -1, 64)
	case List:
		return strings.Join(v.list, ",")
	case KeyValue:
		var parts []string
		for _, kv := range v.kv {
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// isDefault tells whether the value equals the option's default, so that
// giving a not-yet-implemented option with its default value (--nosyncacls)
// is harmless.
func (v *value) isDefault() bool {
	switch v.opt.Kind {
	case List, KeyValue:
		return !v.set || (len(v.list) == 0 && len(v.kv) == 0)
	}
	return v.String() == newValue(v.opt).String()
}

func (v *value) set1(s string, neg bool) error {
	o := v.opt
	switch o.Kind {
	case Bool:
		b, err := parseBool(s)
		if err != nil {
			return err
		}
		v.b = b != neg
	case String:
		v.s = s
	case Int:
		n, err := parseInt(s, strconv.IntSize)
		if err != nil {
			return err
		}
		v.i = int(n)
	case Int64:
		n, err := parseInt(s, 64)
		if err != nil {
			return err
		}
		v.i64 = n
	case Bytes:
		n, err := parseBytes(s)
		if err != nil {
			return err
		}
		v.i64 = n
	case Float:
		f, err := parseFloat(s)
		if err != nil {
			return err
		}
		v.f = f
	case Seconds:
		d, err := parseSeconds(s)
		if err != nil {
			return err
		}
		v.d = d
	case List:
		if !v.set {
			v.list = nil // a given list replaces the default one
		}
		v.list = append(v.list, s)
	case KeyValue:
		k, val, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not of the form key=value", s)
		}
		v.kv = append(v.kv, KV{Key: k, Value: val})
	}
	return nil
}

// flagValue is the pflag.Value behind one spelling of an option.
type flagValue struct {
	v        *value
	spelling string
	neg      bool
	counter  *int
}

func (f *flagValue) String() string {
	if f.neg {
		return strconv.FormatBool(!f.v.b)
	}
	return f.v.String()
}

func (f *flagValue) Set(s string) error {
	if err := f.v.set1(s, f.neg); err != nil {
		return err
	}
	*f.counter++
	f.v.set, f.v.used, f.v.order = true, f.spelling, *f.counter
	return nil
}

func (f *flagValue) Type() string {
	switch f.v.opt.Kind {
	case Bool:
		return "bool" // cobra reads --help through GetBool
	case List:
		return "stringArray"
	}
	return f.v.opt.Kind.String()
}

// valueSet holds the values of every option for one command invocation.
type valueSet struct {
	reg     *Registry
	vals    map[string]*value
	counter int
}

func newValueSet(reg *Registry) *valueSet {
	vs := &valueSet{reg: reg, vals: make(map[string]*value, len(reg.opts))}
	for _, o := range reg.opts {
		vs.vals[o.Name] = newValue(o)
	}
	return vs
}

func (vs *valueSet) get(name string) *value {
	v, ok := vs.vals[name]
	if !ok {
		panic("unknown option " + name)
	}
	return v
}

// bind registers the options of the given groups on fs. Aliases and
// negations are hidden flags sharing the option's value.
func (vs *valueSet) bind(fs *pflag.FlagSet, groups []Group) {
	want := map[Group]bool{}
	for _, g := range groups {
		want[g] = true
	}
	for _, o := range vs.reg.opts {
		if !want[o.Group] && o.Name != "help" && o.Name != "version" {
			continue
		}
		v := vs.vals[o.Name]
		add := func(name string, neg, hidden bool) {
			fv := &flagValue{v: v, spelling: name, neg: neg, counter: &vs.counter}
			short := ""
			if name == o.Name {
				short = o.Short
			}
			f := fs.VarPF(fv, name, short, o.Help)
			if o.Kind == Bool {
				f.NoOptDefVal = "true"
			}
			f.Hidden = hidden
		}
		add(o.Name, false, false)
		for _, a := range o.Aliases {
			add(a, false, true)
		}
		for _, n := range o.negations() {
			add(n, true, true)
		}
	}
}

// given returns the options given on the command line, in order.
func (vs *valueSet) given() []*value {
	var out []*value
	for _, v := range vs.vals {
		if v.set {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// checkStatus refuses not-yet-implemented options given with a value
// other than their default.
func (vs *valueSet) checkStatus() error {
	for _, v := range vs.given() {
		if v.opt.Status == NotImplemented && !v.isDefault() {
			return usageErrorf("option --%s is not implemented yet (see imapshift options)", v.used)
		}
	}
	return nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// numeric strips the _ separators Perl allows in numbers (20_000).
func numeric(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "_", "")
}

func parseInt(s string, bits int) (int64, error) {
	n, err := strconv.ParseInt(numeric(s), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(numeric(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

func parseSeconds(s string) (time.Duration, error) {
	f, err := parseFloat(s)
	if err != nil {
		d, derr := time.ParseDuration(strings.TrimSpace(s))
		if derr != nil {
			return 0, fmt.Errorf("%q is not a number of seconds", s)
		}
		f = d.Seconds()
	}
	if f < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// parseBytes reads a byte count: 1000, 20_000, 64MiB, 1.5G (K, M, G, T
// and KiB... are binary, KB, MB... decimal).
func parseBytes(s string) (int64, error) {
	t := strings.ToLower(numeric(s))
	mult := 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil && mult == 1 {
		if n < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size in bytes", s)
	}
	return int64(f * mult), nil
}

func formatBytes(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}
