package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	for _, w := range []string{"Option --gmail1 is like:", "Option --gmail2 is like:", "Option --gmail1 --gmail2 (together: replaces both lines above) is like:", "  Note: Gmail as source", "--synclabels --resynclabels"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("show gmail lacks %q:\n%s", w, r.stdout)
		}
	}
	r = runArgs(t, nil, "presets", "show", "gmail", "--side", "2")
	for _, w := range []string{"--maxsize 35651584", "--appendlimit 26214400", "--exitwhenover 500000000", "  Note: Gmail as destination: messages over 25 MB are left out", "500 MB, Google's daily IMAP upload budget"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("show gmail --side 2 lacks %q:\n%s", w, r.stdout)
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
