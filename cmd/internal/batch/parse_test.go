package batch

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Line // Account, passwords, options
	}{
		{"imapsync loop", "# a comment\n\nimap.a.org;joe;s3cret;imap.b.org;joe@b.org;other\n  \nimap.a.org;ann;p;imap.b.org;ann;q;--folder INBOX --exclude 'Junk Mail';\n",
			[]Line{
				{Password1: "s3cret", Password2: "other"},
				{Password1: "p", Password2: "q", Options: []string{"--folder", "INBOX", "--exclude", "Junk Mail"}},
			}},
		{"trailing separator", "a;u;p;b;v;q;\r\n", []Line{{Password1: "p", Password2: "q"}}},
		{"csv header", "user1,password1,host1,host2,user2,password2,options\njoe,\"pa,ss\",a.org,b.org,joe,env:P2,\"--folder INBOX\"\nann,file:/x,a.org,b.org,ann,q\n",
			[]Line{
				{Password1: "pa,ss", Password2: "env:P2", Options: []string{"--folder", "INBOX"}},
				{Password1: "file:/x", Password2: "q"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d lines, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, l := range got {
				w := tc.want[i]
				if l.Index != i || l.Password1 != w.Password1 || l.Password2 != w.Password2 || !reflect.DeepEqual(l.Options, w.Options) {
					t.Errorf("line %d: %+v, want passwords %q %q options %q", i, l, w.Password1, w.Password2, w.Options)
				}
				if l.Host1 == "" || l.User1 == "" || l.Host2 == "" || l.User2 == "" {
					t.Errorf("line %d: empty host or user: %+v", i, l.Account)
				}
			}
		})
	}
}

// TestParseBadLines reports every malformed line with its number.
func TestParseBadLines(t *testing.T) {
	in := "# accounts\na;u;p;b;v;q\na;u;p;b\n;u;p;b;v;q\na;u;p;b;v;q;--folder 'INBOX\n"
	lines, err := Parse(strings.NewReader(in))
	if len(lines) != 1 || lines[0].Line != 2 {
		t.Errorf("good lines: %+v", lines)
	}
	var errs LineErrors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want LineErrors", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"line 3: 4 fields, want 6 or 7 (host1;user1;password1;host2;user2;password2[;options])",
		"line 4: empty host1",
		`line 5: options "--folder 'INBOX": unterminated single quote`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pw")
	os.WriteFile(path, []byte("from-file\nsecond\n"), 0o600)
	env := map[string]string{"P": "from-env"}
	getenv := func(k string) string { return env[k] }
	for in, want := range map[string]string{"plain": "plain", "file:" + path: "from-file", "env:P": "from-env"} {
		if got, err := Secret(in, getenv); err != nil || got != want {
			t.Errorf("Secret(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"file:" + filepath.Join(dir, "none"), "env:UNSET"} {
		if _, err := Secret(in, getenv); err == nil {
			t.Errorf("Secret(%q): no error", in)
		}
	}
}

// TestReadFileWarns warns about a file that holds passwords and that
// others can read, and not about one that holds only references.
func TestReadFileWarns(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("a;u;secret;b;v;q\n"), 0o644)
	os.Chmod(open, 0o644)
	refs := filepath.Join(dir, "refs")
	os.WriteFile(refs, []byte("a;u;env:A;b;v;file:/p\n"), 0o644)
	os.Chmod(refs, 0o644)
	if _, w, err := ReadFile(open); err != nil || len(w) != 1 || !strings.Contains(w[0], "every user can read it") {
		t.Errorf("open file: warnings %q, err %v", w, err)
	}
	if _, w, err := ReadFile(refs); err != nil || len(w) != 0 {
		t.Errorf("references only: warnings %q, err %v", w, err)
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		"":                             nil,
		"--folder INBOX":               {"--folder", "INBOX"},
		`--exclude "Junk \"x\"" a\ b`:  {"--exclude", `Junk "x"`, "a b"},
		"--regextrans2 's,/,_,g'  -x ": {"--regextrans2", "s,/,_,g", "-x"},
	} {
		got, err := SplitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
