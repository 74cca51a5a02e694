package main

import (
	"strings"
	"testing"

	"github.com/imapshift/imapshift/plugins"
)

// TestPluginsCommand: imapshift plugins lists every built-in hook with
// its kind, option and doc line, by kind and in the order a run applies
// them.
func TestPluginsCommand(t *testing.T) {
	r := runArgs(t, nil, "plugins")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(plugins.All())+1 || !strings.HasPrefix(lines[0], "HOOK") {
		t.Fatalf("want a header and %d hooks:\n%s", len(plugins.All()), r.stdout)
	}
	row := map[string]int{}
	for i, line := range lines[1:] {
		f := strings.Fields(line)
		row[f[0]] = i
	}
	for _, p := range plugins.All() {
		i, ok := row[p.Name]
		if !ok {
			t.Errorf("%s is not listed", p.Name)
			continue
		}
		f := strings.Fields(lines[i+1])
		if f[1] != p.Kind.String() || f[2] != "--"+p.Name || !strings.HasSuffix(lines[i+1], p.Doc) {
			t.Errorf("row of %s: %q", p.Name, lines[i+1])
		}
	}
	for _, order := range [][2]string{
		{"regextrans2", "maxsize"}, // folder hooks first
		{"maxsize", "minsize"}, {"minsize", "skipmess"}, {"skipmess", "maxlinelength"},
		{"maxlinelength", "regexmess"}, // skips before rewrites
		{"regexmess", "disarmreadreceipts"}, {"pipemess", "truncmess"},
		{"truncmess", "filterbuggyflags"}, // rewrites before flags
		{"filterbuggyflags", "regexflag"},
	} {
		if row[order[0]] >= row[order[1]] {
			t.Errorf("%s is not listed before %s:\n%s", order[0], order[1], r.stdout)
		}
	}
}
