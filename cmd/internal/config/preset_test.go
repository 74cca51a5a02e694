package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/imapshift/imapshift/core/exitcode"
)

// expand parses args and applies the presets, without the status check,
// so that expansions can be compared with imapsync's whatever is
// implemented yet. It returns the Settings and the printed lines.
func expandPresetsOnly(t *testing.T, args ...string) (*Settings, string, error) {
	t.Helper()
	vs := newValueSet(registry)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	vs.bind(fs, AllGroups)
	norm, err := NormalizeArgs(fs, args)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(norm); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	applied, err := expandPresets(vs, AllGroups, &out)
	if err != nil {
		return nil, out.String(), err
	}
	s, err := newSettings(vs, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.presets = applied
	return s, out.String(), nil
}

func mustExpandPresets(t *testing.T, args ...string) (*Settings, string) {
	t.Helper()
	s, out, err := expandPresetsOnly(t, args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return s, out
}

// fields picks Settings values by option name, for comparisons.
func settingsFields(s *Settings, names ...string) map[string]any {
	out := map[string]any{}
	var walk func(v reflect.Value, side string)
	walk = func(v reflect.Value, side string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sd, ok := sf.Tag.Lookup("side"); ok {
				walk(v.Field(i), sd)
				continue
			}
			if tag, ok := sf.Tag.Lookup("opt"); ok {
				out[strings.ReplaceAll(tag, "#", side)] = v.Field(i).Interface()
			}
		}
	}
	walk(reflect.ValueOf(s).Elem(), "")
	picked := map[string]any{}
	for _, n := range names {
		picked[n] = out[n]
	}
	return picked
}

// presetCheckedOptions are the options the built-in presets touch.
var presetCheckedOptions = strings.Fields(`host1 host2 ssl1 ssl2 maxbytespersecond maxbytesafter automap maxsleep
	skipcrossduplicates useheader regextrans2 folderlast exclude expunge1 addheader synclabels resynclabels
	maxsize appendlimit exitwhenover maxmessagespersecond disarmreadreceipts regexmess f1f2 regexflag sep1 sep2 prefix1 prefix2 messageidnodomain`)

// TestPresetExpansionsMatchSpec applies each built-in preset to an empty
// command line and compares every option it may touch.
func TestPresetExpansionsMatchSpec(t *testing.T) {
	empty, _ := mustExpandPresets(t)
	base := settingsFields(empty, presetCheckedOptions...)
	gmailRegex2 := []string{`s,\[Gmail\].,,`, `s,^ +| +$,,g`, `s,/ +| +/,/,g`, `s/['\\^"]/_/g`}
	wrap := `s,(.{10239}),$1\r\n,g`
	for _, tc := range []struct {
		args []string
		want map[string]any
		set  []string // also counted as given (Settings.IsSet)
	}{
		{[]string{"--gmail1"}, map[string]any{
			"host1": "imap.gmail.com", "ssl1": true, "maxbytespersecond": int64(40000), "maxbytesafter": int64(3000000000),
			"automap": true, "maxsleep": 2.0, "skipcrossduplicates": true, "useheader": []string{"X-Gmail-Received", "Message-Id"},
			"regextrans2": []string{`s,\[Gmail\].,,`}, "folderlast": []string{"[Gmail]/All Mail"},
			"exitwhenover": int64(2500000000),
		}, nil},
		{[]string{"--gmail2"}, map[string]any{
			"host2": "imap.gmail.com", "ssl2": true, "maxbytespersecond": int64(20000), "maxbytesafter": int64(1000000000),
			"automap": true, "expunge1": true, "addheader": true, "maxsleep": 2.0, "exclude": []string{`\[Gmail\]$`},
			"useheader": []string{"Message-Id"}, "regextrans2": gmailRegex2, "folderlast": []string{"[Gmail]/All Mail"},
			"maxsize": int64(35651584), "appendlimit": int64(26214400), "exitwhenover": int64(500000000),
		}, nil},
		{[]string{"--gmail1", "--gmail2"}, map[string]any{
			"host1": "imap.gmail.com", "host2": "imap.gmail.com", "ssl1": true, "ssl2": true,
			"maxbytespersecond": int64(20000), "maxbytesafter": int64(1000000000), "automap": true, "maxsleep": 2.0,
			"skipcrossduplicates": false, "useheader": []string{"X-Gmail-Received", "Message-Id"},
			"exclude": []string{`\[Gmail\]$`}, "folderlast": []string{"[Gmail]/All Mail"},
			"synclabels": true, "resynclabels": true,
			"maxsize": int64(35651584), "appendlimit": int64(26214400), "exitwhenover": int64(500000000),
		}, nil},
		{[]string{"--office1"}, map[string]any{"host1": "outlook.office365.com", "ssl1": true, "exclude": []string{"^Files$"}}, nil},
		{[]string{"--office2"}, map[string]any{
			"host2": "outlook.office365.com", "ssl2": true, "maxsize": int64(45000000), "maxmessagespersecond": 4.0,
			"disarmreadreceipts": true, "regexmess": []string{wrap}, "f1f2": []KV{{"Files", "Files_renamed_by_imapsync"}},
		}, nil},
		{[]string{"--exchange1"}, map[string]any{}, nil},
		{[]string{"--exchange2"}, map[string]any{
			"maxsize": int64(10000000), "maxmessagespersecond": 4.0, "disarmreadreceipts": true,
			"regexflag": []string{`s/\\Flagged//g`}, "regexmess": []string{wrap},
		}, nil},
		{[]string{"--domino1"}, map[string]any{"sep1": `\`, "prefix1": "", "messageidnodomain": true}, []string{"sep1", "prefix1"}},
		{[]string{"--domino2"}, map[string]any{"sep2": `\`, "prefix2": "", "messageidnodomain": true, "regextrans2": []string{`s,^Inbox\\(.*),$1,i`}}, []string{"sep2", "prefix2"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			s, _ := mustExpandPresets(t, tc.args...)
			got := settingsFields(s, presetCheckedOptions...)
			for _, n := range presetCheckedOptions {
				want, ok := tc.want[n]
				if !ok {
					want = base[n]
				}
				if fmt.Sprint(got[n]) != fmt.Sprint(want) || reflect.TypeOf(got[n]) != reflect.TypeOf(want) {
					t.Errorf("--%s = %#v, want %#v", n, got[n], want)
				}
			}
			for _, n := range tc.set {
				if !s.IsSet(n) {
					t.Errorf("--%s is not counted as given", n)
				}
			}
		})
	}
}

func TestPresetUserWins(t *testing.T) {
	s, out := mustExpandPresets(t, "--gmail1", "--host1", "imap.example.org", "--nossl1", "--useheader", "X-Id", "--maxbytespersecond", "1000", "--folderlast", "Last")
	want := map[string]any{
		"host1": "imap.example.org", "ssl1": false, "maxbytespersecond": int64(1000),
		"useheader":  []string{"X-Id", "X-Gmail-Received", "Message-Id"},
		"folderlast": []string{"Last", "[Gmail]/All Mail"},
	}
	got := settingsFields(s, "host1", "ssl1", "maxbytespersecond", "useheader", "folderlast")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if !strings.Contains(out, "Option --gmail1: kept your --host1 --ssl1 --maxbytespersecond\n") {
		t.Errorf("output:\n%s", out)
	}
	// The --noX options drop what a preset appends.
	s, out = mustExpandPresets(t, "--office2", "--noregexmess", "--nof1f2", "--office1", "--noexclude")
	if len(s.RegexMess) != 0 || len(s.F1F2) != 0 || len(s.Exclude) != 0 {
		t.Errorf("regexmess %q f1f2 %v exclude %q", s.RegexMess, s.F1F2, s.Exclude)
	}
	for _, line := range []string{
		"Option --office2: not adding --regexmess 's,(.{10239}),$1\\r\\n,g' because of --noregexmess",
		"Option --office1: not adding --exclude '^Files$' because of --noexclude",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
}

func TestPresetLines(t *testing.T) {
	_, out := mustExpandPresets(t, "--office2", "--gmail1")
	for _, line := range []string{
		"Option --gmail1 is like: --host1 imap.gmail.com --ssl1 --folderlast '[Gmail]/All Mail' --automap --regextrans2 's,\\[Gmail\\].,,' --useheader X-Gmail-Received --useheader Message-Id --skipcrossduplicates --maxbytespersecond 40000 --maxbytesafter 3000000000 --maxsleep 2 --exitwhenover 2500000000",
		"Option --gmail1: Gmail as source: a message with several labels is copied once (--skipcrossduplicates); --gmaillabels folders|keywords|header chooses how its labels arrive, --labelspriority which label keeps the copy. The run stops after 2,500 MB, Google's daily IMAP download budget (--exitwhenover): run again tomorrow to go on.",
		"Option --office2 is like: --host2 outlook.office365.com --ssl2 --f1f2 Files=Files_renamed_by_imapsync --maxsize 45000000 --regexmess 's,(.{10239}),$1\\r\\n,g' --disarmreadreceipts --maxmessagespersecond 4",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks\n%s\ngot\n%s", line, out)
		}
	}
	// --gmail1 --gmail2 says the label note once.
	_, out = mustExpandPresets(t, "--gmail1", "--gmail2")
	if n := strings.Count(out, "daily IMAP upload budget"); n != 1 || !strings.HasPrefix(out, "Option --gmail1 --gmail2 is like: --host1 imap.gmail.com --host2 imap.gmail.com --ssl1 --ssl2 ") {
		t.Errorf("%d label notes:\n%s", n, out)
	}
}

func TestPresetAliasesAndFiles(t *testing.T) {
	samePresets := func(a, b []string) {
		t.Helper()
		sa, _ := mustExpandPresets(t, a...)
		sb, _ := mustExpandPresets(t, b...)
		if fa, fb := fmt.Sprint(settingsFields(sa, presetCheckedOptions...)), fmt.Sprint(settingsFields(sb, presetCheckedOptions...)); fa != fb {
			t.Errorf("%q and %q differ:\n%s\n%s", a, b, fa, fb)
		}
	}
	samePresets([]string{"--office2"}, []string{"--preset2", "office365"})
	samePresets([]string{"--gmail1", "--gmail2"}, []string{"--gmail1", "--preset2", "gmail"})
	samePresets([]string{"--gmail1", "--gmail2"}, []string{"--preset1", "gmail", "--preset2", "gmail"})
	samePresets([]string{"--domino1"}, []string{"--domino1", "--preset1", "domino"})

	if _, _, err := expandPresetsOnly(t, "--gmail1", "--office1"); err == nil || !strings.Contains(err.Error(), "--gmail1 and --office1 ask for two presets on host1") {
		t.Errorf("two presets: %v", err)
	}
	if _, _, err := expandPresetsOnly(t, "--preset2", "nosuch"); err == nil || !strings.Contains(err.Error(), `--preset2 nosuch: no preset named "nosuch"`) {
		t.Errorf("unknown preset: %v", err)
	}

	dir := t.TempDir()
	src := `return {
  description = "our servers",
  side1 = { options = { ["host#"] = "imap.old.example", ["ssl#"] = true } },
  side2 = { options = { ["host#"] = "imap.new.example", exclude = {"^Shared"}, maxsize = 1e6 }, notes = {"Team preset."} },
}`
	if err := os.WriteFile(filepath.Join(dir, "team.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, out := mustExpandPresets(t, "--presetdir", dir, "--preset1", "team", "--preset2", filepath.Join(dir, "team.lua"))
	got := settingsFields(s, "host1", "ssl1", "host2", "exclude", "maxsize")
	if fmt.Sprint(got) != "map[exclude:[^Shared] host1:imap.old.example host2:imap.new.example maxsize:1000000 ssl1:true]" {
		t.Errorf("team preset: %v", got)
	}
	if !strings.Contains(out, "Option --preset2 "+filepath.Join(dir, "team.lua")+": Team preset.\n") {
		t.Errorf("output:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.lua")
	os.WriteFile(bad, []byte(`return { side1 = { options = { hosst1 = "x" } } }`), 0o644)
	if _, _, err := expandPresetsOnly(t, "--preset1", bad); err == nil || !strings.Contains(err.Error(), "sets --hosst1, which is not an option") {
		t.Errorf("bad option: %v", err)
	}
	os.WriteFile(bad, []byte(`return { side1 = { options = { port1 = "x" } } }`), 0o644)
	if _, _, err := expandPresetsOnly(t, "--preset1", bad); err == nil || !strings.Contains(err.Error(), `--port1 x: "x" is not an integer`) {
		t.Errorf("bad value: %v", err)
	}
	if _, _, err := expandPresetsOnly(t, "--preset2", bad); err == nil || !strings.Contains(err.Error(), "has nothing for host2") {
		t.Errorf("missing side: %v", err)
	}
	// Preset values are printed: a credential in a preset is refused,
	// and its value appears nowhere.
	os.WriteFile(bad, []byte(`return { side1 = { options = { password1 = "hunter2" } } }`), 0o644)
	if _, _, err := expandPresetsOnly(t, "--preset1", bad); err == nil || !strings.Contains(err.Error(), "sets --password1: a preset cannot carry credentials") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("credential in a preset: %v", err)
	}
}

// TestPresetNotImplementedRefused: a preset that sets an option not
// implemented yet makes the run refuse, naming the preset and how to run
// without the option.
func TestPresetNotImplementedRefused(t *testing.T) {
	defer func(saved map[string]Status) {
		for n, st := range saved {
			registry.Lookup(n).Status = st
		}
	}(map[string]Status{"maxsize": registry.Lookup("maxsize").Status, "disarmreadreceipts": registry.Lookup("disarmreadreceipts").Status,
		"regexmess": registry.Lookup("regexmess").Status, "noregexmess": registry.Lookup("noregexmess").Status,
		"maxmessagespersecond": registry.Lookup("maxmessagespersecond").Status})
	for _, n := range []string{"maxsize", "disarmreadreceipts"} {
		registry.Lookup(n).Status = NotImplemented
	}
	_, out, err := parseArgs("--office2")
	want := "--office2 sets options that are not implemented yet: --maxsize 45000000 --disarmreadreceipts. To run without them, give --maxsize 0 --nodisarmreadreceipts. (imapshift presets show office365)"
	if exitcode.Of(err) != exitcode.Usage || err.Error() != want || !strings.Contains(out, "Option --office2 is like:") {
		t.Fatalf("error %v\nwant  %q\noutput %s", err, want, out)
	}
	// The user's values, and the defaults given back, run.
	if _, _, err := parseArgs("--office2", "--maxsize", "0", "--nodisarmreadreceipts"); err != nil {
		t.Fatalf("overrides: %v", err)
	}
	// A list option that cannot be turned off.
	registry.Lookup("regexmess").Status = NotImplemented
	registry.Lookup("noregexmess").Status = NotImplemented
	registry.Lookup("maxmessagespersecond").Status = NotImplemented
	_, _, err = parseArgs("--exchange2", "--maxsize", "0", "--nodisarmreadreceipts")
	want = "--exchange2 sets options that are not implemented yet: --regexmess 's,(.{10239}),$1\\r\\n,g' --maxmessagespersecond 4. To run without them, give --maxmessagespersecond 0; --regexmess cannot be turned off yet: leave out --exchange2. (imapshift presets show exchange)"
	if exitcode.Of(err) != exitcode.Usage || err.Error() != want {
		t.Fatalf("error %v\nwant  %q", err, want)
	}
	// Options outside the command's groups are not applied, nor checked:
	// justlogin has no message options.
	justlogin := []Group{GroupConnection, GroupTLS, GroupAuth, GroupLogging, GroupDebug, GroupPresets, GroupMisc}
	if s, _, err := parseGroups(justlogin, "--office2", "--user1", "a", "--host1", "h", "--user2", "b"); err != nil || s.Host2.Host != "outlook.office365.com" || s.MaxSize != 0 {
		t.Fatalf("justlogin --office2: %v", err)
	}
}
