package main

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

func TestParseValues(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*Settings) any // returns the value compared with want
		want  any
	}{
		{"opt value", []string{"--host1", "a.org", "--port1", "993"}, func(s *Settings) any { return []any{s.Host1.Host, s.Host1.Port} }, []any{"a.org", 993}},
		{"opt=value", []string{"--host2=b.org", "--port2=143"}, func(s *Settings) any { return []any{s.Host2.Host, s.Host2.Port} }, []any{"b.org", 143}},
		{"underscore int", []string{"--errorsmax", "20_000"}, func(s *Settings) any { return s.ErrorsMax }, 20000},
		{"underscore int64", []string{"--bodybudget=1_000_000"}, func(s *Settings) any { return s.BodyBudget }, int64(1000000)},
		{"bytes unit", []string{"--bodybudget", "2MiB"}, func(s *Settings) any { return s.BodyBudget }, int64(2 << 20)},
		{"bytes default", []string{"--dry"}, func(s *Settings) any { return s.BodyBudget }, int64(8 << 20)},
		{"bool", []string{"--dry"}, func(s *Settings) any { return s.Dry }, true},
		{"noopt", []string{"--dry", "--nodry"}, func(s *Settings) any { return s.Dry }, false},
		{"no-opt", []string{"--dry", "--no-dry"}, func(s *Settings) any { return s.Dry }, false},
		{"noopt default on", []string{"--nofoldersizes"}, func(s *Settings) any { return []bool{s.FolderSizes, s.FolderSizesAtEnd} }, []bool{false, true}},
		{"bool=false", []string{"--foldersizesatend=false"}, func(s *Settings) any { return s.FolderSizesAtEnd }, false},
		{"nolog noid noreleasecheck", []string{"--nolog", "--noid", "--noreleasecheck"}, func(s *Settings) any { return []bool{s.Log, s.ID, s.ReleaseCheck} }, []bool{false, false, false}},
		{"repeatable", []string{"--folder", "INBOX", "--folder", "Sent Items"}, func(s *Settings) any { return s.Folder }, []string{"INBOX", "Sent Items"}},
		{"list keeps commas", []string{"--exclude", "^a|b,c"}, func(s *Settings) any { return s.Exclude }, []string{"^a|b,c"}},
		{"list replaces default", []string{"--useheader", "Message-Id"}, func(s *Settings) any { return s.UseHeader }, []string{"Message-Id"}},
		{"list default", []string{"--dry"}, func(s *Settings) any { return s.UseHeader }, []string{"Message-Id", "Received"}},
		{"key=value", []string{"--f1f2", "a=b=c", "--f1f2", "Sent=Sent Items"}, func(s *Settings) any { return s.F1F2 }, []config.KV{{Key: "a", Value: "b=c"}, {Key: "Sent", Value: "Sent Items"}}},
		{"value starting with dash", []string{"--exclude", "--weird"}, func(s *Settings) any { return s.Exclude }, []string{"--weird"}},
		{"single dash", []string{"-host1", "a.org", "-justlogin"}, func(s *Settings) any { return []any{s.Host1.Host, s.JustLogin} }, []any{"a.org", true}},
		{"case-insensitive", []string{"--HOST1", "a.org", "--fixinboxinbox"}, func(s *Settings) any { return []any{s.Host1.Host, s.FixInboxINBOX} }, []any{"a.org", true}},
		{"unique abbreviation", []string{"--justfoldersi"}, func(s *Settings) any { return s.JustFolderSizes }, true},
		{"alias", []string{"--subscribe_all", "--ipv4"}, func(s *Settings) any { return []bool{s.SubscribeAll, s.Inet4} }, []bool{true, true}},
		{"timeout both", []string{"--timeout", "1.5"}, func(s *Settings) any { return []time.Duration{s.Host1.Timeout, s.Host2.Timeout} }, []time.Duration{1500 * time.Millisecond, 1500 * time.Millisecond}},
		{"timeoutN wins", []string{"--timeout", "10", "--timeout2", "0"}, func(s *Settings) any { return []time.Duration{s.Host1.Timeout, s.Host2.Timeout} }, []time.Duration{10 * time.Second, 0}},
		{"timeout default", []string{"--dry"}, func(s *Settings) any { return s.Host1.Timeout }, 120 * time.Second},
		{"debugimap both", []string{"--debugimap"}, func(s *Settings) any { return []bool{s.Host1.DebugIMAP, s.Host2.DebugIMAP} }, []bool{true, true}},
		{"debugimap2", []string{"--debugimap2"}, func(s *Settings) any { return []bool{s.Host1.DebugIMAP, s.Host2.DebugIMAP} }, []bool{false, true}},
		{"sanitize", []string{"--host1", " imap.exam  ple.org/ ", "--user1", " joe "}, func(s *Settings) any { return []string{s.Host1.Host, s.Host1.User} }, []string{"imap.example.org", "joe"}},
		{"nosanitize", []string{"--host1", " h ", "--nosanitize"}, func(s *Settings) any { return s.Host1.Host }, " h "},
		{"idatefromheader", []string{"--idatefromheader"}, func(s *Settings) any { return s.SyncInternalDates }, false},
		{"accepted no-ops", []string{"--releasecheck", "--nomodulesversion", "--buffersize", "8192000"}, func(s *Settings) any { return s.BufferSize }, 8192000},
		{"not implemented at default", []string{"--nosyncacls", "--nodelete2", "--debugssl", "1", "--pidfile", ""}, func(s *Settings) any { return s.SyncACLs }, false},
		{"is set", []string{"--prefix1", ""}, func(s *Settings) any { return []bool{s.IsSet("prefix1"), s.IsSet("prefix2")} }, []bool{true, false}},
		{"sync subcommand", []string{"sync", "--host1", "x"}, func(s *Settings) any { return s.Host1.Host }, "x"},
		{"args recorded", []string{"sync", "--host1", "x"}, func(s *Settings) any { return s.Args }, []string{"sync", "--host1", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.args...)
			if got := tt.check(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q: got %#v, want %#v", tt.args, got, tt.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown option", []string{"--xyz"}, 64, "unknown option --xyz"},
		{"unknown one-letter option", []string{"-x"}, 64, "unknown option --x"},
		{"unknown option hint", []string{"--hots1", "a"}, 64, "did you mean --host1?"},
		{"extra args", []string{"--host1", "a", "b", "c"}, 64, "Found 2 extra arguments : [b c] It usually means a quoting issue"},
		{"extra after --", []string{"--dry", "--", "--host1"}, 64, "Found 1 extra arguments : [--host1]"},
		{"stray word", []string{"synk"}, 64, "Found 1 extra arguments : [synk]"},
		{"delete 2", []string{"--host1", "a", "--delete", "2"}, 64, "May be you mean --delete2 instead of --delete 2"},
		{"bad int", []string{"--port1", "abc"}, 64, `"--port1"`},
		{"bad float", []string{"--timeout1", "soon"}, 64, "--timeout1"},
		{"bad bytes", []string{"--bodybudget", "lots"}, 64, "--bodybudget"},
		{"negative seconds", []string{"--timeout", "-1"}, 64, "--timeout"},
		{"bad key=value", []string{"--f1f2", "INBOX"}, 64, "key=value"},
		{"missing value", []string{"--host1"}, 64, "option --host1 needs a value"},
		{"ambiguous", []string{"--passf", "x"}, 64, "option --passf is ambiguous (--passfile1 --passfile2)"},
		{"gmaillabels", []string{"--gmaillabels", "tags"}, 64, "--gmaillabels tags: must be folders, keywords or header"},
		{"proxyauth without authuser", []string{"--proxyauth1"}, 64, "--proxyauth1 requires --authuser1"},
		{"sslargs unknown key", []string{"--sslargs1", "SSL_foo=1"}, 64, "unsupported key SSL_foo (supported: SSL_verify_mode, SSL_ca_file"},
		{"sslargs bad version", []string{"--sslargs2", "SSL_version=TLSv9"}, 64, "--sslargs2 SSL_version=TLSv9"},
		{"sslargs unknown cipher", []string{"--sslargs1", "SSL_cipher_list=FOO-BAR"}, 64, "unknown cipher FOO-BAR"},
		{"sslargs missing ca file", []string{"--sslargs1", "SSL_ca_file=/nonexistent.pem"}, 64, "SSL_ca_file"},
		{"parallel", []string{"--parallel", "0"}, 64, "--parallel"},
		{"subcommand groups", []string{"justconnect", "--folder", "INBOX"}, 64, "unknown option --folder"},
		{"completion args", []string{"completion", "bash", "extra"}, 64, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parse(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("%q: exit %d, want %d (stderr %q)", tt.args, r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%q: stderr %q does not contain %q", tt.args, r.stderr, tt.want)
			}
			if !strings.HasPrefix(r.stderr, "imapshift: ") {
				t.Errorf("%q: stderr %q lacks the imapshift: prefix", tt.args, r.stderr)
			}
			oneErrorLine(t, r)
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "Usage:\n  imapshift [options]"},
		{[]string{"--help"}, "Connection options:"},
		{[]string{"-h"}, "Connection options:"},
		{[]string{"sync", "--help"}, "Usage:\n  imapshift sync [options]"},
		{[]string{"justconnect", "--help"}, "Encryption (SSL/TLS) options:"},
		{[]string{"help", "justlogin"}, "Usage:\n  imapshift justlogin [options]"},
		{[]string{"version"}, appVersion() + "\n"},
		{[]string{"options"}, "OPTION"},
		{[]string{"options", "--markdown"}, "| Option | Group | Default | Status | Description |"},
		{[]string{"completion", "bash"}, "complete -o default -F __start_imapshift imapshift"},
	}
	for _, tt := range tests {
		r := runArgs(t, nil, tt.args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%q: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, tt.want) {
			t.Errorf("%q: stdout does not contain %q:\n%.2000s", tt.args, tt.want, r.stdout)
		}
	}
	for _, args := range [][]string{{"--version"}, {"--host1", "x", "--version"}, {"sync", "--version"}} {
		r := runArgs(t, nil, args...)
		if r.code != 0 || r.stdout != appVersion()+"\n" {
			t.Errorf("%q: exit %d, stdout %q, want just the version", args, r.code, r.stdout)
		}
	}
	// The help of justlogin leaves out the flag options it does not take.
	r := runArgs(t, nil, "justlogin", "--help")
	if strings.Contains(r.stdout, "--folder ") || !strings.Contains(r.stdout, "--password1") {
		t.Errorf("justlogin help lists the wrong groups:\n%s", r.stdout)
	}
}

func TestOptionsCommandListsEverything(t *testing.T) {
	r := runArgs(t, nil, "options")
	md := runArgs(t, nil, "options", "--markdown")
	for _, name := range []string{"--synclabels", "--resynclabels", "--debuglabels"} {
		if !regexp.MustCompile(`(?m)^` + name + ` .* implemented `).MatchString(r.stdout) {
			t.Errorf("options does not show %s as implemented", name)
		}
	}
	for _, o := range config.Options() {
		if !strings.Contains(r.stdout, o.Usage()) {
			t.Errorf("options: --%s missing", o.Name)
		}
		if !strings.Contains(md.stdout, "`"+o.Usage()+"`") {
			t.Errorf("options --markdown: --%s missing", o.Name)
		}
	}
	for _, want := range []string{"accepted, no effect", "implemented", "8 MiB", "Message-Id, Received"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("options output lacks %q", want)
		}
	}
}

// TestCommandsHelp parses --help on every command, which also catches
// duplicate flags (pflag panics on them).
func TestCommandsHelp(t *testing.T) {
	a := newApp(strings.NewReader(""), &strings.Builder{}, &strings.Builder{})
	root := a.newRootCommand()
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	sort.Strings(names)
	want := []string{"batch", "demo", "folders", "justconnect", "justlogin", "oauth", "options", "plugins", "presets", "script", "sizes", "sync", "verify", "version"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("commands %v, want %v", names, want)
	}
	for _, n := range append(want, "completion") {
		if n == "demo" {
			continue
		}
		r := runArgs(t, nil, n, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s --help: exit %d, stderr %q", n, r.code, r.stderr)
		}
	}
}
