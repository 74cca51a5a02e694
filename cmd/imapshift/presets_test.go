package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

// TestPresetNotImplementedRefused: a preset that sets an option not
// implemented yet makes the run refuse, naming the preset and how to run
// without the option.
func TestPresetNotImplementedRefused(t *testing.T) {
	defer func(saved map[string]config.Status) {
		for n, st := range saved {
			config.Lookup(n).Status = st
		}
	}(map[string]config.Status{"maxsize": config.Lookup("maxsize").Status, "disarmreadreceipts": config.Lookup("disarmreadreceipts").Status,
		"regexmess": config.Lookup("regexmess").Status, "noregexmess": config.Lookup("noregexmess").Status,
		"maxmessagespersecond": config.Lookup("maxmessagespersecond").Status})
	for _, n := range []string{"maxsize", "disarmreadreceipts"} {
		config.Lookup(n).Status = config.NotImplemented
	}
	r := parse(t, "--office2")
	want := "imapshift: --office2 sets options that are not implemented yet: --maxsize 45000000 --disarmreadreceipts. To run without them, give --maxsize 0 --nodisarmreadreceipts. (imapshift presets show office365)\n"
	if r.code != 64 || r.stderr != want || !strings.Contains(r.stdout, "Option --office2 is like:") {
		t.Fatalf("exit %d\nstderr %q\nwant   %q\nstdout %s", r.code, r.stderr, want, r.stdout)
	}
	// The user's values, and the defaults given back, run.
	if r := parse(t, "--office2", "--maxsize", "0", "--nodisarmreadreceipts"); r.code != 0 {
		t.Fatalf("overrides: exit %d %s", r.code, r.stderr)
	}
	// A list option that cannot be turned off.
	config.Lookup("regexmess").Status = config.NotImplemented
	config.Lookup("noregexmess").Status = config.NotImplemented
	config.Lookup("maxmessagespersecond").Status = config.NotImplemented
	r = parse(t, "--exchange2", "--maxsize", "0", "--nodisarmreadreceipts")
	want = "imapshift: --exchange2 sets options that are not implemented yet: --regexmess 's,(.{10239}),$1\\r\\n,g' --maxmessagespersecond 4. To run without them, give --maxmessagespersecond 0; --regexmess cannot be turned off yet: leave out --exchange2. (imapshift presets show exchange)\n"
	if r.code != 64 || r.stderr != want {
		t.Fatalf("exit %d\nstderr %q\nwant   %q", r.code, r.stderr, want)
	}
	// Options outside the command's groups are not applied, nor checked:
	// justlogin has no message options.
	if r := parse(t, "justlogin", "--office2", "--user1", "a", "--host1", "h", "--user2", "b"); r.code != 0 || r.s.Host2.Host != "outlook.office365.com" || r.s.MaxSize != 0 {
		t.Fatalf("justlogin --office2: exit %d %s", r.code, r.stderr)
	}
}

func TestPresetsCommand(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "team.lua"), []byte(`return { description = "ours", side2 = { options = { host2 = "imap.new.example" }, rewrite = function(msg) end } }`), 0o644)
	r := runArgs(t, nil, "presets", "list", "--presetdir", dir)
	if r.code != 0 {
		t.Fatalf("list: %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"NAME", "domino", "exchange", "--gmail1 --gmail2", "office365", "built-in", "team", "--preset1/2 team", filepath.Join(dir, "team.lua"), "ours"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runArgs(t, nil, "presets", "show", "office365", "--side", "2")
	want := `Preset office365 (built-in): Office 365: outlook.office365.com over SSL, its size, rate and line-length limits

Option --office2 is like: --host2 outlook.office365.com --ssl2 --f1f2 Files=Files_renamed_by_imapsync --maxsize 45000000 --regexmess 's,(.{10239}),$1\r\n,g' --disarmreadreceipts --maxmessagespersecond 4
  --host2 outlook.office365.com           unless --host2 is given
  --ssl2                                  unless --ssl2 or --nossl2 is given
  --f1f2 Files=Files_renamed_by_imapsync  appended to --f1f2 (not with --nof1f2)
  --maxsize 45000000                      unless --maxsize is given
  --regexmess 's,(.{10239}),$1\r\n,g'     appended to --regexmess (not with --noregexmess)
  --disarmreadreceipts                    unless --disarmreadreceipts or --nodisarmreadreceipts is given
  --maxmessagespersecond 4                unless --maxmessagespersecond is given
`
	if r.code != 0 || r.stdout != want {
		t.Errorf("show office365 --side 2: exit %d\n%s\nwant\n%s", r.code, r.stdout, want)
	}
	r = runArgs(t, nil, "presets", "show", "gmail")
	for _, w := range []string{"Option --gmail1 is like:", "Option --gmail2 is like:", "Option --gmail1 --gmail2 (together: replaces both lines above) is like:", "  Note: Gmail labels are not synced yet"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("show gmail lacks %q:\n%s", w, r.stdout)
		}
	}
	r = runArgs(t, nil, "presets", "show", "team", "--presetdir", dir)
	if !strings.Contains(r.stdout, "--preset1 team: not defined") || !strings.Contains(r.stdout, "  Hooks: rewrite (run before the --script hooks)") {
		t.Errorf("show team:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"presets", "show", "nosuch"}, {"presets", "show", "gmail", "--side", "3"}, {"presets", "show"}} {
		if r := runArgs(t, nil, args...); r.code != 64 {
			t.Errorf("%q: exit %d", args, r.code)
		}
	}
}
