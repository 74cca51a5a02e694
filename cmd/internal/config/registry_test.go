package config

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/exitcode"
)

// optionNames reads --option names from a testdata file: the manual's
// option lines (every --name on them) or a plain list of names.
func optionNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`--([a-zA-Z][a-zA-Z0-9_-]*)`)
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		var names []string
		if strings.Contains(line, "--") {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				names = append(names, m[1])
			}
		} else if n := strings.TrimSpace(line); n != "" {
			names = append(names, n)
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("%s: only %d option names, the extraction is broken", path, len(out))
	}
	return out
}

// TestRegistryCoversImapsync checks that every option name in imapsync's
// manual, and every option whose default imapsync documents, is accepted.
func TestRegistryCoversImapsync(t *testing.T) {
	for _, file := range []string{"testdata/manual-options.txt", "testdata/spec-options.txt"} {
		for _, n := range optionNames(t, file) {
			if _, ok := registry.spellings[n]; !ok {
				t.Errorf("%s: --%s is not in the registry", file, n)
			}
		}
	}
}

// TestManualOptionsParse gives each manual option to the parser.
func TestManualOptionsParse(t *testing.T) {
	for _, n := range optionNames(t, "testdata/manual-options.txt") {
		ref := registry.spellings[n]
		if ref.opt == nil || n == "help" || n == "version" {
			continue
		}
		args := []string{"--" + n}
		if ref.opt.Kind != Bool {
			args = append(args, sampleValue(ref.opt.Kind))
		}
		_, _, err := parseArgs(args...)
		code := exitcode.Of(err)
		switch {
		case ref.opt.Status == NotImplemented && code == exitcode.Usage && strings.Contains(err.Error(), "not implemented yet"):
		case err == nil:
		case (n == "proxyauth1" || n == "proxyauth2") && code == exitcode.Usage:
		default:
			t.Errorf("%q: exit %d, error %v", args, code, err)
		}
	}
}

func sampleValue(k Kind) string {
	switch k {
	case Int, Int64, Bytes, Float, Seconds:
		return "7"
	case KeyValue:
		return "SSL_verify_mode=1"
	}
	return "x"
}

// TestSettingsFields checks that every option has exactly one Settings
// field of the right type, and every tagged field an option.
func TestSettingsFields(t *testing.T) {
	fields := map[string]reflect.Type{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, side string) {
		for i := 0; i < typ.NumField(); i++ {
			sf := typ.Field(i)
			if sd, ok := sf.Tag.Lookup("side"); ok {
				walk(sf.Type, sd)
				continue
			}
			tag, ok := sf.Tag.Lookup("opt")
			if !ok {
				continue
			}
			name := strings.ReplaceAll(tag, "#", side)
			if _, dup := fields[name]; dup {
				t.Errorf("option %s has two fields", name)
			}
			fields[name] = sf.Type
		}
	}
	walk(reflect.TypeFor[Settings](), "")
	for _, o := range registry.Options() {
		typ, ok := fields[o.Name]
		if !ok {
			t.Errorf("option --%s has no Settings field", o.Name)
			continue
		}
		if typ != kindType(o.Kind) {
			t.Errorf("option --%s: field is %s, want %s", o.Name, typ, kindType(o.Kind))
		}
		delete(fields, o.Name)
	}
	for n := range fields {
		t.Errorf("Settings field tagged %q has no option", n)
	}
}

// TestRegistryDeclarations checks the declarations themselves.
func TestRegistryDeclarations(t *testing.T) {
	groups := map[Group]bool{GroupVerify: true}
	for _, g := range AllGroups {
		groups[g] = true
	}
	for _, o := range registry.Options() {
		if !groups[o.Group] {
			t.Errorf("--%s: unknown group %q", o.Name, o.Group)
		}
		if o.Help == "" || strings.Contains(o.Help, "%d") || strings.Contains(o.Name, "%") {
			t.Errorf("--%s: bad help or name %q", o.Name, o.Help)
		}
		if reflect.TypeOf(o.Default) != reflect.TypeOf(zeroDefault(o.Kind)) && !(o.Default == nil) {
			t.Errorf("--%s: default %T does not fit kind %s", o.Name, o.Default, o.Kind)
		}
	}
	// The statuses "imapshift options" shows for these options.
	implemented := strings.Fields(`host1 host2 port1 port2 user1 user2 password1 password2 passfile1 passfile2
		ssl1 ssl2 tls1 tls2 insecure1 insecure2 sslargs1 sslargs2 sslcheck authmech1 authmech2 authuser1 authuser2
		proxyauth1 proxyauth2 oauthaccesstoken1 oauthaccesstoken2 oauthdirect1 oauthdirect2 authmd5 authmd51 authmd52
		timeout timeout1 timeout2 debugimap debugimap1 debugimap2 showpasswords tmpdir justconnect justlogin
		justfolders justfoldersizes foldersizes foldersizesatend dry folder include exclude subscribed subscribe
		subscribeall sep1 sep2 prefix1 prefix2 fixslash2 f1f2 subfolder1 subfolder2 folderrec folderfirst folderlast
		automap skipemptyfolders checkfoldersexist useheader syncduplicates addheader syncinternaldates
		idatefromheader resyncflags skipsize errorsmax parallel json bodybudget reconnectretry1 reconnectretry2
		id log version help`)
	for _, n := range implemented {
		if o := registry.Lookup(n); o == nil || o.Status != Implemented {
			t.Errorf("--%s should be Implemented", n)
		}
	}
	for _, n := range []string{"releasecheck", "modulesversion"} {
		if registry.Lookup(n).Status != Accepted {
			t.Errorf("--%s should be Accepted", n)
		}
	}
	for _, n := range []string{"synclabels", "resynclabels", "debuglabels", "gmaillabels", "labelspriority"} {
		if registry.Lookup(n).Status != Implemented {
			t.Errorf("--%s should be Implemented", n)
		}
	}
}
