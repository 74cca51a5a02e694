// Package plugins holds imapshift's built-in hooks. Each imapsync option
// that changes folders, messages or flags is a plugin here, configured
// from the option's values, and sits in the same hooks.Chain as Lua
// scripts.
package plugins

import (
	"fmt"
	"sort"
)

// Kind says which hook interface a plugin's hooks implement.
type Kind int

const (
	FolderHook  Kind = iota // hooks.FolderMapper
	SkipHook                // hooks.MessageSkipper
	RewriteHook             // hooks.MessageRewriter
	FlagHook                // hooks.FlagFilter
)

// String returns the kind's short name: "folder", "skip", "rewrite" or
// "flags".
func (k Kind) String() string {
	return [...]string{"folder", "skip", "rewrite", "flags"}[k]
}

// Plugin describes one built-in hook.
type Plugin struct {
	// Name is the plugin's name, normally the imapsync option it
	// implements ("regextrans2"); plans and errors show it.
	Name string
	Kind Kind
	// Doc is a one-line description of what the plugin does, for a
	// listing of the built-in plugins (see All).
	Doc string
	// New builds the hook from the option's values (one per occurrence of
	// a repeatable option). Errors are usage errors: the run refuses to
	// start.
	New func(values []string) (any, error)
}

var registry = map[string]Plugin{}

// register adds p; it panics on a duplicate name, which is a programming
// error.
func register(p Plugin) {
	if _, dup := registry[p.Name]; dup {
		panic("plugins: duplicate plugin " + p.Name)
	}
	registry[p.Name] = p
}

// Lookup returns the plugin named name.
func Lookup(name string) (Plugin, bool) {
	p, ok := registry[name]
	return p, ok
}

// All returns every plugin, sorted by name.
func All() []Plugin {
	out := make([]Plugin, 0, len(registry))
	for _, p := range registry {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Build instantiates the plugin named name with values.
func Build(name string, values []string) (any, error) {
	p, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no plugin named %q", name)
	}
	return p.New(values)
}
