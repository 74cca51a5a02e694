package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
)

func writeScriptFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustParse parses a command line that must be valid.
func mustParse(t *testing.T, args ...string) *Settings {
	t.Helper()
	s, _, err := parseArgs(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return s
}

// TestScriptHooks checks the chain handed to the engine: preset hooks, then
// scripts in --script order, those with run_before_plugins first; and the
// refusals at start-up.
func TestScriptHooks(t *testing.T) {
	dir := t.TempDir()
	a := writeScriptFile(t, dir, "a.lua", `function skip(msg) end function rewrite(msg) end`)
	b := writeScriptFile(t, dir, "b.lua", `run_before_plugins = true function skip(msg) end function map_folder(f) end`)
	c := writeScriptFile(t, dir, "c.lua", `function flags(msg, f) return f end`)
	team := writeScriptFile(t, dir, "team.lua", `return { side2 = { options = { host2 = "h" }, skip = function(msg) end } }`)
	s := mustParse(t, "--script", a, "--script", b, "--script", c, "--preset2", team)
	chain, err := scriptHooks(s)
	if err != nil {
		t.Fatal(err)
	}
	names := func(n int, name func(i int) string) string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, filepath.Base(name(i)))
		}
		return strings.Join(out, ",")
	}
	got := strings.Join([]string{
		names(len(chain.Folders), func(i int) string { return chain.Folders[i].Name }),
		names(len(chain.Skips), func(i int) string { return chain.Skips[i].Name }),
		names(len(chain.Rewrites), func(i int) string { return chain.Rewrites[i].Name }),
		names(len(chain.Flags), func(i int) string { return chain.Flags[i].Name }),
	}, " | ")
	if got != "b.lua | b.lua,preset team (side2),a.lua | a.lua | c.lua" {
		t.Errorf("chain: %s", got)
	}
	set, err := loadScripts(s)
	if err != nil || len(set.Before.Skips) != 1 || len(set.After.Skips) != 2 {
		t.Errorf("before/after: %v %+v", err, set)
	}
	if !chain.Skips[0].Hook.(hooks.HeaderOnly).HeaderOnly() {
		t.Error("a header-only script's skip hook must say so")
	}
	// Refusals at start-up, exit 64.
	for src, want := range map[string]string{
		"function skip(":         "syntax error",
		"function rewrite() end": "rewrite is defined with 0 parameter(s)",
	} {
		bad := writeScriptFile(t, dir, "bad.lua", src)
		_, err := scriptHooks(mustParse(t, "--script", a, "--script", bad))
		var ec *exitcode.Error
		if !errors.As(err, &ec) || ec.Code != exitcode.Usage || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--script "+bad) {
			t.Errorf("%q: %v", src, err)
		}
	}
	if _, err := scriptHooks(mustParse(t, "--script", filepath.Join(dir, "nope.lua"))); err == nil || exitcode.Of(err) != exitcode.Usage {
		t.Errorf("missing script: %v", err)
	}
	// Log lines go to the run's output.
	logger := writeScriptFile(t, dir, "log.lua", `function skip(msg) log.warn("odd", msg.uid) end`)
	s = mustParse(t, "--script", logger)
	var out bytes.Buffer
	s.Trace = &out
	chain, err = scriptHooks(s)
	if err != nil {
		t.Fatal(err)
	}
	m := hooks.NewMessage([]byte("Subject: x\r\n\r\n"), nil, nil)
	m.Folder, m.UID = "INBOX", 9
	chain.Skip(m)
	if got := strings.ReplaceAll(out.String(), dir+"/", ""); got != "Script log.lua [INBOX uid 9] warning: odd 9\n" {
		t.Errorf("log: %q", got)
	}
}

// scriptHooks loads the hooks of the presets in use and of the --script
// files, compiled once each, in one chain: first the scripts that set
// run_before_plugins (in --script order), then the presets' hooks, then
// the other scripts in --script order. The engine appends the folder
// hooks after its built-in rules and the message hooks after the built-in
// plugins; loadScripts gives the two groups apart. An unreadable script,
// a syntax error or a hook with the wrong arity is a usage error (64).
func scriptHooks(s *Settings) (*hooks.Chain, error) {
	set, err := loadScripts(s)
	if err != nil {
		return nil, err
	}
	return hooks.Concat(set.Before, set.After), nil
}
