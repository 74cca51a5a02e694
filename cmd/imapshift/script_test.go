package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gomessage "github.com/emersion/go-message"

	"github.com/imapshift/imapshift/scripting"
)

func writeScriptFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const scriptTestEML = "Message-ID: <a@example.org>\r\nSubject: hello\r\n\r\nbody\r\n"

func TestScriptTestErrors(t *testing.T) {
	dir := t.TempDir()
	msg := writeScriptFile(t, dir, "m.eml", scriptTestEML)
	for _, tc := range []struct {
		name, src string
		args      []string
		code      int
		want      string
	}{
		{"syntax", "function skip(msg", nil, 64, "syntax error"},
		{"arity", "function flags(msg) end", nil, 64, "flags is defined with 1 parameter(s) at line 1; it must be flags(msg, flags)"},
		{"runtime", "function rewrite(msg)\n  local x = nil\n  return x.y\nend", nil, 111, "rewrite s.lua: error: rewrite: s.lua:3: attempt to index a non-table object(nil) with key 'y'\n    stack traceback:"},
		{"timeout", "function skip(msg) while true do end end", []string{"--scripttimeout", "50ms"}, 111, "skip s.lua: error: skip: time limit exceeded (50ms)"},
		{"escape", "function skip(msg) return os.getenv('HOME') end", nil, 111, "attempt to index a non-table object(nil) with key 'getenv'"},
		{"no message", "function skip(msg) end", []string{"--message", filepath.Join(dir, "none.eml")}, 66, "cannot read --message"},
		{"bad date", "function skip(msg) end", []string{"--date", "yesterday"}, 64, `--date "yesterday" is not a date`},
		{"folder error", "function map_folder(f) return 7 end", nil, 111, "map_folder s.lua: error: map_folder: map_folder returned a number"},
		{"memory", "function skip(msg) local s = 'x' for i = 1, 40 do s = s .. s end end", []string{"--scriptmaxmemory", "64", "--scripttimeout", "60s"}, 111, "skip s.lua: error: skip: script used more than 64 MB (--scriptmaxmemory)"},
		{"mutation outside rewrite", "function skip(msg) msg:parts()[1]:set_header('X', 'y') end", nil, 111, "part:set_header can only be called in rewrite, not in skip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := writeScriptFile(t, dir, "s.lua", tc.src)
			args := append([]string{"script", "test", script}, tc.args...)
			if tc.name != "no message" {
				args = append(args, "--message", msg)
			}
			r := runArgs(t, nil, args...)
			out := strings.ReplaceAll(r.stdout+r.stderr, dir+"/", "")
			if r.code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s", r.code, tc.code, tc.want, out)
			}
		})
	}
	if r := runArgs(t, nil, "--host1", "h1", "--user1", "u", "--password1", "p", "--host2", "h2", "--user2", "u", "--password2", "p", "--scriptmaxmemory", "-1", "--script", msg, "--tmpdir", t.TempDir(), "--nolog"); r.code != 64 || !strings.Contains(r.stdout+r.stderr, "--scriptmaxmemory -1: give a number of MB, or 0 for no budget") {
		t.Errorf("--scriptmaxmemory -1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runArgs(t, nil, "script", "test", filepath.Join(dir, "missing.lua")); r.code != 64 || !strings.Contains(r.stderr, "cannot read the script: no such file or directory") {
		t.Errorf("missing script: %d %s", r.code, r.stderr)
	}
}

func TestScriptTestChain(t *testing.T) {
	dir := t.TempDir()
	a := writeScriptFile(t, dir, "a.lua", `
function map_folder(f) return "Archive/" .. f.target end
function rewrite(msg) msg:set_header("Subject", "[a] " .. msg:subject()) end`)
	b := writeScriptFile(t, dir, "b.lua", `
run_before_plugins = true
function map_folder(f) return f.target:lower() end
function flags(msg, flags) log.info("seen", #flags) return {"\\Seen"} end
function rewrite(msg) msg:add_header("X-B", msg:header("Subject")) end`)
	msg := writeScriptFile(t, dir, "m.eml", scriptTestEML)
	r := runArgs(t, nil, "script", "test", a, b, "--message", msg, "--folder", "Projects", "--flags", `\Flagged,$x`)
	want := `scripts: a.lua (map_folder, rewrite), b.lua (map_folder, rewrite, flags; before the plugins)
folder Projects:
  map_folder b.lua: Projects -> projects
  map_folder a.lua: projects -> Archive/projects
  => host2 folder Archive/projects
message m.eml: 53 bytes, uid 1, flags \Flagged $x
  rewrite b.lua: changed (53 -> 65 bytes)
  rewrite a.lua: changed (65 -> 69 bytes)
Script b.lua [Projects uid 1]: seen 2
  flags b.lua: \Flagged $x -> \Seen
  => copied with flags \Seen, rewritten:
--- m.eml
+++ m.eml (rewritten)
@@ -1,4 +1,5 @@
+X-B: hello
 Message-ID: <a@example.org>
-Subject: hello
+Subject: [a] hello
 
 body
`
	if got := strings.ReplaceAll(r.stdout, dir+"/", ""); r.code != 0 || got != want {
		t.Errorf("exit %d\n%s\nwant\n%s\nstderr %s", r.code, got, want, r.stderr)
	}
}

// TestStripAttachmentsIsValidMIME parses the result of strip_attachments
// with go-message: every part is readable and the note replaced the PDF.
func TestStripAttachmentsIsValidMIME(t *testing.T) {
	src, err := os.ReadFile("../../scripts/strip_attachments.lua")
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte("local MAX_BYTES = 10 * 1024 * 1024"), []byte("local MAX_BYTES = 2048"), 1)
	sc, err := scripting.Compile("strip.lua", src, scripting.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"large-pdf", "nested"} {
		c := readCase(t, "../../scripts/testdata/strip_attachments/"+name+".txt")
		raw := toCRLF([]byte(c.sections["message.eml"]))
		m, _, err := testMessage(raw, scriptTestOptions{Folder: "INBOX"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Chain().Rewrites[0].Hook.Rewrite(m); err != nil {
			t.Fatal(err)
		}
		out, _ := m.Raw()
		e, err := gomessage.Read(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var types []string
		var walk func(e *gomessage.Entity)
		walk = func(e *gomessage.Entity) {
			mt, _, _ := e.Header.ContentType()
			if mr := e.MultipartReader(); mr != nil {
				for {
					p, err := mr.NextPart()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					walk(p)
				}
				return
			}
			b, _ := io.ReadAll(e.Body)
			if strings.Contains(string(b), "was removed when this mailbox was migrated") {
				mt += "(note)"
			}
			types = append(types, mt)
		}
		walk(e)
		want := "text/plain,text/html,text/plain(note),text/plain"
		if name == "nested" {
			want = "text/plain," + want
		}
		if got := strings.Join(types, ","); got != want {
			t.Errorf("%s: parts %s, want %s", name, got, want)
		}
	}
}
