package config

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/scripting"
)

// scriptSet is the hooks of a run's scripts and presets: Before runs
// before the built-in plugins, After after them.
type scriptSet struct {
	Before, After *hooks.Chain
	Scripts       []*scripting.Script
}

// loadScripts compiles the presets' hooks and the --script files.
func loadScripts(s *Settings) (*scriptSet, error) {
	if s.ScriptMaxMem < 0 {
		return nil, exitcode.New(exitcode.Usage, "--scriptmaxmemory %d: give a number of MB, or 0 for no budget", s.ScriptMaxMem)
	}
	opts := scripting.Options{Timeout: s.ScriptTimeout, MaxMemory: scriptMaxMemory(s.ScriptMaxMem), Log: ScriptLogger(s.Trace)}
	set := &scriptSet{Before: &hooks.Chain{}, After: &hooks.Chain{}}
	for _, ap := range s.presets {
		sc, err := ap.preset.Hooks(ap.side, opts)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("%s: %w", ap.flag, err))
		}
		if sc != nil {
			set.Scripts = append(set.Scripts, sc)
			sc.AppendTo(set.After)
		}
	}
	for _, path := range s.Script {
		sc, err := scripting.Load(path, opts)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("--script %w", err))
		}
		set.Scripts = append(set.Scripts, sc)
		if sc.BeforePlugins() {
			sc.AppendTo(set.Before)
		} else {
			sc.AppendTo(set.After)
		}
	}
	return set, nil
}

// ScriptLogger prints the scripts' log lines to w (stdout when nil):
// "Script NAME [folder uid N]: text", "Script NAME warning: ...".
func ScriptLogger(w io.Writer) func(scripting.Entry) {
	if w == nil {
		w = os.Stdout
	}
	return func(e scripting.Entry) {
		where := ""
		switch {
		case e.Hook != "" && e.UID != 0:
			where = fmt.Sprintf(" [%s uid %d]", e.Folder, e.UID)
		case e.Hook != "" && e.Folder != "":
			where = fmt.Sprintf(" [folder %s]", e.Folder)
		}
		level := ""
		if e.Level == scripting.Warn {
			level = " warning"
		}
		for _, line := range strings.Split(e.Text, "\n") {
			fmt.Fprintf(w, "Script %s%s%s: %s\n", e.Script, where, level, line)
		}
	}
}

// scriptMaxMemory turns --scriptmaxmemory (MB, 0 for none) into
// scripting.Options.MaxMemory.
func scriptMaxMemory(mb int) int64 {
	if mb <= 0 {
		return -1
	}
	return int64(mb) << 20
}
