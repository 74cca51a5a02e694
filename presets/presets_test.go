package presets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/scripting"
)

func render(s *Side) string {
	if s == nil {
		return "<none>"
	}
	var b strings.Builder
	for _, o := range s.Options {
		if l, ok := o.Value.([]string); ok {
			fmt.Fprintf(&b, "%s+=%q\n", o.Name, l)
		} else {
			fmt.Fprintf(&b, "%s=%s\n", o.Name, o)
		}
	}
	return b.String()
}

// TestBuiltinsMatchImapsync checks each built-in preset, value by value,
// against the options imapsync 2.229's preset sets: for the source side
// alone, the destination side alone, and both sides. Gmail adds Google's
// daily IMAP budgets (exitwhenover) and its 25 MB APPEND limit
// (appendlimit) to imapsync's values, and imapsync's 35 MB constant
// (maxsize) that its FAQ shows.
func TestBuiltinsMatchImapsync(t *testing.T) {
	want := map[string][3]string{
		"gmail": {
			`automap=true
exitwhenover=2500000000
folderlast+=["[Gmail]/All Mail"]
host1=imap.gmail.com
maxbytesafter=3000000000
maxbytespersecond=40000
maxsleep=2
regextrans2+=["s,\\[Gmail\\].,,"]
skipcrossduplicates=true
ssl1=true
useheader+=["X-Gmail-Received" "Message-Id"]
`, `addheader=true
appendlimit=26214400
automap=true
exclude+=["\\[Gmail\\]$"]
exitwhenover=500000000
expunge1=true
folderlast+=["[Gmail]/All Mail"]
host2=imap.gmail.com
maxbytesafter=1000000000
maxbytespersecond=20000
maxsize=35651584
maxsleep=2
regextrans2+=["s,\\[Gmail\\].,," "s,^ +| +$,,g" "s,/ +| +/,/,g" "s/['\\\\^\"]/_/g"]
ssl2=true
useheader+=["Message-Id"]
`, `appendlimit=26214400
automap=true
exclude+=["\\[Gmail\\]$"]
exitwhenover=500000000
folderlast+=["[Gmail]/All Mail"]
host1=imap.gmail.com
host2=imap.gmail.com
maxbytesafter=1000000000
maxbytespersecond=20000
maxsize=35651584
maxsleep=2
resynclabels=true
skipcrossduplicates=false
ssl1=true
ssl2=true
synclabels=true
useheader+=["X-Gmail-Received" "Message-Id"]
`},
		"office365": {
			`exclude+=["^Files$"]
host1=outlook.office365.com
ssl1=true
`, `disarmreadreceipts=true
f1f2+=["Files=Files_renamed_by_imapsync"]
host2=outlook.office365.com
maxmessagespersecond=4
maxsize=45000000
regexmess+=["s,(.{10239}),$1\\r\\n,g"]
ssl2=true
`, "<none>"},
		"exchange": {"", `disarmreadreceipts=true
maxmessagespersecond=4
maxsize=10000000
regexflag+=["s/\\\\Flagged//g"]
regexmess+=["s,(.{10239}),$1\\r\\n,g"]
`, "<none>"},
		"domino": {`messageidnodomain=true
prefix1=
sep1=\
`, `messageidnodomain=true
prefix2=
regextrans2+=["s,^Inbox\\\\(.*),$1,i"]
sep2=\
`, "<none>"},
	}
	if got := strings.Join(Builtin(), ","); got != "domino,exchange,gmail,office365" {
		t.Fatalf("Builtin() = %s", got)
	}
	for name, w := range want {
		p, err := Load(name, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Source != BuiltIn || p.Description == "" {
			t.Errorf("%s: source %q, description %q", name, p.Source, p.Description)
		}
		for i, s := range []*Side{p.Side(1), p.Side(2), p.Both()} {
			if got := render(s); got != w[i] {
				t.Errorf("%s side %d:\n%s\nwant\n%s", name, i+1, got, w[i])
			}
		}
	}
	g, _ := Load("gmail", "")
	for _, s := range []*Side{g.Side(1), g.Side(2), g.Both()} {
		if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "daily IMAP") {
			t.Errorf("gmail %s notes: %q", s.Key, s.Notes)
		}
	}
}

func write(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSharedPresets(t *testing.T) {
	dir := t.TempDir()
	team := write(t, dir, "team.lua", `
local common = { options = { ["host#"] = "imap.corp.example", ["ssl#"] = true, exclude = {"^Trash$"} } }
return {
  description = "our server",
  side1 = common,
  side2 = {
    options = { host2 = "imap.new.example", f1f2 = {"Old=New"} },
    notes = {"hello"},
    rewrite = function(msg) msg:add_header("X-Team", "1") end,
  },
}`)
	write(t, dir, "gmail.lua", `return { side1 = {} }`)
	for _, arg := range []string{"team", team, "./" + filepath.Base(team)} {
		if strings.HasPrefix(arg, "./") {
			wd, _ := os.Getwd()
			os.Chdir(dir)
			defer os.Chdir(wd)
		}
		p, err := Load(arg, dir)
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if got := render(p.Side(1)); got != "exclude+=[\"^Trash$\"]\nhost1=imap.corp.example\nssl1=true\n" {
			t.Errorf("%s side1:\n%s", arg, got)
		}
		if p.Name != "team" || p.Description != "our server" || strings.Join(p.Side(2).Hooks, ",") != "rewrite" || p.Side(1).Hooks != nil {
			t.Errorf("%s: %+v", arg, p)
		}
	}
	// A built-in name wins over the same name in the directory.
	if p, _ := Load("gmail", dir); p.Source != BuiltIn {
		t.Errorf("gmail from %s", p.Source)
	}
	all, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "domino,exchange,gmail,office365,team" {
		t.Errorf("List = %v", names)
	}

	// The preset's hooks run like a script's.
	p, _ := Load("team", dir)
	s, err := p.Hooks(p.Side(2), scripting.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if none, _ := p.Hooks(p.Side(1), scripting.Options{}); none != nil {
		t.Error("side1 has no hooks")
	}
	m := hooks.NewMessage(nil, []byte("Subject: x\r\n\r\nbody\r\n"), nil)
	if err := s.Chain().Rewrites[0].Hook.Rewrite(m); err != nil {
		t.Fatal(err)
	}
	if raw, _ := m.Raw(); string(raw) != "X-Team: 1\r\nSubject: x\r\n\r\nbody\r\n" {
		t.Errorf("rewritten %q", raw)
	}
	if s.Name() != "preset team (side2)" {
		t.Errorf("hook name %q", s.Name())
	}
}

func TestBadPresets(t *testing.T) {
	dir := t.TempDir()
	for src, want := range map[string]string{
		`return 3`:                           "must return a table",
		`return { sid1 = {} }`:               `unknown field "sid1"`,
		`return { side1 = { option = {} } }`: `side1: unknown field "option"`,
		`return { side1 = { options = { a = {1, {}} } } }`:                "a list holds strings",
		`return { side1 = { options = { a = function() end } } }`:         "a value is a boolean",
		`return { both = { options = { ["host#"] = "x" } }, side1 = {} }`: "cannot be used in both",
		`return { description = "x" }`:                                    "neither side1 nor side2",
		`return { side1 = { skip = 1 } }`:                                 "side1.skip must be a function",
		`return { side1 = { notes = "x" } }`:                              "notes must be a list",
		`return {`:                                                        "syntax error",
		`return { side1 = { skip = function() end } }`:                    "",
	} {
		p := write(t, dir, "bad.lua", src)
		pr, err := Load(p, "")
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", src, err)
				continue
			}
			if _, err := pr.Hooks(pr.Side(1), scripting.Options{}); err == nil || !strings.Contains(err.Error(), "it must be skip(msg)") {
				t.Errorf("%s: hooks: %v", src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
	if _, err := Load("nosuch", dir); err == nil || !strings.Contains(err.Error(), `no preset named "nosuch" (the built-in ones are domino, exchange, gmail, office365; there is no `) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Load("/nonexistent/p.lua", ""); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}
