// Package presets holds imapshift's presets: Lua files that describe a
// server (gmail, office365, exchange, domino are built in) as option
// values and, optionally, hooks.
//
// A preset file returns a table:
//
//	return {
//	  description = "one line",
//	  side1 = { options = {...}, notes = {...}, <hooks> },  -- --preset1 NAME
//	  side2 = { ... },                                       -- --preset2 NAME
//	  both  = { ... },  -- optional: used instead of side1 and side2 when
//	                    -- the preset is on both sides (--gmail1 --gmail2)
//	}
//
// options maps option names to values: a boolean, a number or a string
// for a single-valued option, a list of strings for a repeatable one
// (key=value strings for --f1f2). A "#" in a name is the side's number, so
// one table can serve both sides. A value only fills an option the user
// left unset; list values are appended. notes are lines printed when the
// preset is used. The hooks are functions named as in a script
// (map_folder, skip, rewrite, flags) and run like a script's.
//
// This package reads presets; cmd/imapshift applies them to the options.
package presets

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/imapshift/imapshift/scripting"
)

//go:embed *.lua
var builtin embed.FS

// Source of a built-in preset.
const BuiltIn = "built-in"

// Preset is one preset file, read and checked.
type Preset struct {
	Name        string
	Description string
	// Source is BuiltIn or the file's path.
	Source string
	src    []byte
	sides  map[string]*Side
}

// Side is what a preset does for one side (or for both at once).
type Side struct {
	// Key is "side1", "side2" or "both".
	Key string
	// Options in name order; names have their "#" replaced.
	Options []Setting
	Notes   []string
	// Hooks lists the hook functions the side defines.
	Hooks []string
}

// Setting is one option value of a preset.
type Setting struct {
	Name string
	// Value is a bool, a float64, a string or a []string (a list,
	// appended to the option's values).
	Value any
}

// String renders the value as on a command line ("true", "45000000").
func (s Setting) String() string {
	switch v := s.Value.(type) {
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	case []string:
		return strings.Join(v, " ")
	}
	return fmt.Sprint(s.Value)
}

// Builtin returns the names of the built-in presets, sorted.
func Builtin() []string {
	entries, _ := fs.Glob(builtin, "*.lua")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e, ".lua"))
	}
	sort.Strings(out)
	return out
}

// DefaultDir is where presets are looked up by name when --presetdir is
// not given: imapshift/presets under the user's configuration directory
// ("" when there is none).
func DefaultDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "imapshift", "presets")
}

// IsPath tells whether a --presetN value names a file rather than a
// preset: it has a path separator or ends with .lua.
func IsPath(arg string) bool {
	return strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) || strings.HasSuffix(arg, ".lua")
}

// Load finds and reads a preset: a file path, a built-in name, or the
// name of NAME.lua in dir. Built-in names come first.
func Load(arg, dir string) (*Preset, error) {
	if arg == "" {
		return nil, errors.New("empty preset name")
	}
	if IsPath(arg) {
		return loadFile(arg)
	}
	if src, err := builtin.ReadFile(arg + ".lua"); err == nil {
		return parse(arg, BuiltIn, src)
	}
	if dir != "" {
		p := filepath.Join(dir, arg+".lua")
		if _, err := os.Stat(p); err == nil {
			return loadFile(p)
		}
	}
	where := "the built-in ones are " + strings.Join(Builtin(), ", ")
	if dir != "" {
		where += "; there is no " + filepath.Join(dir, arg+".lua")
	}
	return nil, fmt.Errorf("no preset named %q (%s)", arg, where)
}

func loadFile(path string) (*Preset, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("preset %s: %w", path, err)
	}
	return parse(strings.TrimSuffix(filepath.Base(path), ".lua"), path, src)
}

// List returns the built-in presets, then those of dir (a name shadowed
// by a built-in one is left out), each read and checked.
func List(dir string) ([]*Preset, error) {
	var out []*Preset
	for _, n := range Builtin() {
		p, err := Load(n, "")
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if dir == "" {
		return out, nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.lua"))
	sort.Strings(files)
	for _, f := range files {
		if slices.Contains(Builtin(), strings.TrimSuffix(filepath.Base(f), ".lua")) {
			continue
		}
		p, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

var (
	topKeys  = []string{"description", "side1", "side2", "both"}
	sideKeys = []string{"options", "notes", scripting.HookMapFolder, scripting.HookSkip, scripting.HookRewrite, scripting.HookFlags}
)

func parse(name, source string, src []byte) (*Preset, error) {
	label := source
	if source == BuiltIn {
		label = name + ".lua"
	}
	v, err := scripting.Eval(label, src, scripting.Options{})
	if err != nil {
		return nil, fmt.Errorf("preset %w", err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("preset %s: %s", label, fmt.Sprintf(format, a...))
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, bad("the file must return a table with side1, side2 (and both)")
	}
	if k := unknownKey(top, topKeys); k != "" {
		return nil, bad("unknown field %q (known: %s)", k, strings.Join(topKeys, ", "))
	}
	p := &Preset{Name: name, Source: source, src: src, sides: map[string]*Side{}}
	if d, ok := top["description"].(string); ok {
		p.Description = d
	}
	for _, key := range topKeys[1:] {
		raw, ok := top[key]
		if !ok {
			continue
		}
		t, ok := raw.(map[string]any)
		if !ok {
			if l, isList := raw.([]any); isList && len(l) == 0 {
				t = map[string]any{} // an empty table
			} else {
				return nil, bad("%s must be a table", key)
			}
		}
		side, err := parseSide(key, t)
		if err != nil {
			return nil, bad("%v", err)
		}
		p.sides[key] = side
	}
	if p.sides["side1"] == nil && p.sides["side2"] == nil {
		return nil, bad("it defines neither side1 nor side2")
	}
	return p, nil
}

func unknownKey(t map[string]any, known []string) string {
	var keys []string
	for k := range t {
		if !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return keys[0]
	}
	return ""
}

func parseSide(key string, t map[string]any) (*Side, error) {
	if k := unknownKey(t, sideKeys); k != "" {
		return nil, fmt.Errorf("%s: unknown field %q (known: %s)", key, k, strings.Join(sideKeys, ", "))
	}
	s := &Side{Key: key}
	digit := ""
	switch key {
	case "side1":
		digit = "1"
	case "side2":
		digit = "2"
	}
	opts, err := table(t["options"])
	if err != nil {
		return nil, fmt.Errorf("%s.options: %v", key, err)
	}
	for name, val := range opts {
		if strings.Contains(name, "#") {
			if digit == "" {
				return nil, fmt.Errorf("%s.options: %q: # (the side number) cannot be used in both", key, name)
			}
			name = strings.ReplaceAll(name, "#", digit)
		}
		set := Setting{Name: name}
		switch v := val.(type) {
		case bool, float64, string:
			set.Value = v
		case []any:
			list := make([]string, 0, len(v))
			for i, e := range v {
				switch x := e.(type) {
				case string:
					list = append(list, x)
				case float64:
					list = append(list, strconv.FormatFloat(x, 'f', -1, 64))
				default:
					return nil, fmt.Errorf("%s.options.%s[%d]: a list holds strings, not %T", key, name, i+1, e)
				}
			}
			set.Value = list
		default:
			return nil, fmt.Errorf("%s.options.%s: a value is a boolean, a number, a string or a list of strings, not %T", key, name, val)
		}
		s.Options = append(s.Options, set)
	}
	sort.Slice(s.Options, func(i, j int) bool { return s.Options[i].Name < s.Options[j].Name })
	if n, ok := t["notes"]; ok {
		l, ok := n.([]any)
		if !ok {
			return nil, fmt.Errorf("%s.notes must be a list of strings", key)
		}
		for _, e := range l {
			line, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s.notes must be a list of strings", key)
			}
			s.Notes = append(s.Notes, line)
		}
	}
	for _, h := range sideKeys[2:] {
		switch t[h].(type) {
		case nil:
		case scripting.Function:
			s.Hooks = append(s.Hooks, h)
		default:
			return nil, fmt.Errorf("%s.%s must be a function", key, h)
		}
	}
	return s, nil
}

// table reads an options table ({} is read as an empty list by Eval).
func table(v any) (map[string]any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return t, nil
	case []any:
		if len(t) == 0 {
			return nil, nil
		}
	}
	return nil, errors.New("must be a table of option = value")
}

// Side returns the preset's part for side n (1 or 2), nil when it has none.
func (p *Preset) Side(n int) *Side { return p.sides["side"+strconv.Itoa(n)] }

// Both returns the part used when the preset is on both sides, nil when
// it has none (then Side(1) and Side(2) both apply).
func (p *Preset) Both() *Side { return p.sides["both"] }

// Hooks compiles the hooks of side (a Side of p) as a script named after
// the preset; nil when the side defines none.
func (p *Preset) Hooks(side *Side, opts scripting.Options) (*scripting.Script, error) {
	if side == nil || len(side.Hooks) == 0 {
		return nil, nil
	}
	opts.HookPath = []string{side.Key}
	opts.Chunk = p.Source
	if opts.Chunk == BuiltIn {
		opts.Chunk = p.Name + ".lua"
	}
	return scripting.Compile("preset "+p.Name+" ("+side.Key+")", p.src, opts)
}
