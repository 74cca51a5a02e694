package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateCases = flag.Bool("update", false, "rewrite the output sections of scripts/testdata cases")

// scriptCase is one scripts/testdata/<script>/<case>.txt file: a
// description, then sections introduced by "-- name --" lines:
//
//	args         arguments of `imapshift script test`, one per line
//	edit         "old => new" lines applied to a copy of the script
//	             (lowering a size threshold for a small test message)
//	message.eml  the message (--message points to it)
//	output       what the command prints (-update rewrites it)
type scriptCase struct {
	path     string
	comment  string
	sections map[string]string
	order    []string
}

func readCase(t *testing.T, path string) *scriptCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &scriptCase{path: path, sections: map[string]string{}}
	cur := ""
	var buf strings.Builder
	flush := func() {
		if cur == "" {
			c.comment = buf.String()
		} else {
			c.sections[cur] = buf.String()
		}
		buf.Reset()
	}
	for _, line := range strings.SplitAfter(string(b), "\n") {
		trim := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trim, "-- ") && strings.HasSuffix(trim, " --") && len(trim) > 6 {
			flush()
			cur = strings.TrimSuffix(strings.TrimPrefix(trim, "-- "), " --")
			c.order = append(c.order, cur)
			continue
		}
		buf.WriteString(line)
	}
	flush()
	return c
}

func (c *scriptCase) write() error {
	var b strings.Builder
	b.WriteString(c.comment)
	for _, s := range c.order {
		b.WriteString("-- " + s + " --\n")
		b.WriteString(c.sections[s])
	}
	return os.WriteFile(c.path, []byte(b.String()), 0o644)
}

// TestScriptExamples runs every example script of scripts/ on its cases
// through `imapshift script test` and compares the output. Every script
// must have at least two cases.
func TestScriptExamples(t *testing.T) {
	scripts, err := filepath.Glob("../../scripts/*.lua")
	if err != nil || len(scripts) < 8 {
		t.Fatalf("scripts/: %d scripts, %v", len(scripts), err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".lua")
		src, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(src), "-- "+filepath.Base(script)+": ") {
			t.Errorf("%s does not start with its header comment (-- %s: what it is for)", script, filepath.Base(script))
		}
		cases, _ := filepath.Glob(filepath.Join("../../scripts/testdata", name, "*.txt"))
		if len(cases) < 2 {
			t.Errorf("%s: %d test cases in scripts/testdata/%s, want at least 2", script, len(cases), name)
		}
		for _, path := range cases {
			t.Run(name+"/"+strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
				runScriptCase(t, script, path, string(src))
			})
		}
	}
}

func runScriptCase(t *testing.T, script, path, src string) {
	c := readCase(t, path)
	dir := t.TempDir()
	scriptArg := script
	if edits, ok := c.sections["edit"]; ok {
		for _, l := range strings.Split(strings.TrimSpace(edits), "\n") {
			old, repl, ok := strings.Cut(l, " => ")
			if !ok || !strings.Contains(src, old) {
				t.Fatalf("edit %q does not apply to %s", l, script)
			}
			src = strings.Replace(src, old, repl, 1)
		}
		scriptArg = filepath.Join(dir, filepath.Base(script))
		if err := os.WriteFile(scriptArg, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"script", "test", scriptArg}
	if m, ok := c.sections["message.eml"]; ok {
		p := filepath.Join(dir, "message.eml")
		if err := os.WriteFile(p, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--message", p)
	}
	for _, a := range strings.Split(strings.TrimSpace(c.sections["args"]), "\n") {
		if a != "" {
			args = append(args, a)
		}
	}
	r := runArgs(t, nil, args...)
	got := strings.NewReplacer(dir+string(filepath.Separator), "", "../../scripts/", "scripts/").Replace(r.stdout + r.stderr)
	if r.code != 0 {
		got += "exit " + strconv.Itoa(r.code) + "\n"
	}
	if *updateCases {
		if !slices.Contains(c.order, "output") {
			c.order = append(c.order, "output")
		}
		c.sections["output"] = got
		if err := c.write(); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := c.sections["output"]; got != want {
		t.Errorf("%s: output differs (go test -run TestScriptExamples -update rewrites it)\n got:\n%s\nwant:\n%s", path, got, want)
	}
	if bytes.Contains([]byte(got), []byte("panic")) {
		t.Errorf("%s: a panic in the output", path)
	}
}
