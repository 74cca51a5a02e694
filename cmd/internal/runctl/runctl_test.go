package runctl

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

// mustParse parses a command line with every option, as the root command
// does.
func mustParse(t *testing.T, args ...string) *config.Settings {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	p := config.Bind(fs, config.AllGroups)
	norm, err := config.NormalizeArgs(fs, args)
	if err == nil {
		err = fs.Parse(norm)
	}
	var s *config.Settings
	if err == nil {
		s, err = p.Settings(nil, args, &strings.Builder{})
	}
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return s
}

func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{
		`a*|?:"<>'b`:       "a________b",
		"a b ":             "a_b_",
		"a\tb\rc\nd\\e":    "a_b_c_d_e",
		"é":                "__",
		"dom/joe":          "dom_joe",
		"joe@example.org":  "joe@example.org",
		"first.last+tag-1": "first.last+tag-1",
	} {
		if got := fileSafe(in); got != want {
			t.Errorf("fileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLogFileName(t *testing.T) {
	start := time.Date(2024, 3, 5, 6, 7, 8, 9_500_000, time.Local)
	for _, tc := range []struct {
		u1, u2 string
		abort  bool
		want   string
	}{
		{"user1", "user2", false, "2024_03_05_06_07_08_009_user1_user2.txt"},
		{"dom/joe", "joe@b.org", false, "2024_03_05_06_07_08_009_dom_joe_joe@b.org.txt"},
		{"user1", "user2", true, "2024_03_05_06_07_08_009_user1_user2_abort.txt"},
		{"", "", false, "2024_03_05_06_07_08_009__.txt"},
	} {
		if got := logFileName(start, tc.u1, tc.u2, tc.abort); got != tc.want {
			t.Errorf("logFileName(%q, %q, %v) = %q, want %q", tc.u1, tc.u2, tc.abort, got, tc.want)
		}
	}
	s := mustParse(t, "--user1", "a", "--user2", "b")
	if got, want := logPath(s, start, false), filepath.Join(DefaultLogDir, "2024_03_05_06_07_08_009_a_b.txt"); got != want {
		t.Errorf("default log path %q, want %q", got, want)
	}
	s = mustParse(t, "--user1", "a", "--user2", "b", "--logdir", "/var/log/x")
	if got, want := logPath(s, start, false), "/var/log/x/2024_03_05_06_07_08_009_a_b.txt"; got != want {
		t.Errorf("--logdir: %q, want %q", got, want)
	}
	s = mustParse(t, "--user1", "a", "--user2", "b", "--logdir", "/var/log/x", "--logfile", "sub/my.log")
	if got, want := logPath(s, start, false), "/var/log/x/sub/my.log"; got != want {
		t.Errorf("--logdir --logfile: %q, want %q", got, want)
	}
	s = mustParse(t, "--user1", "a", "--user2", "b", "--logfile", "my.log")
	if got, want := logPath(s, start, false), "my.log"; got != want {
		t.Errorf("--logfile: %q, want %q", got, want)
	}
}

func TestPidFilePath(t *testing.T) {
	s := mustParse(t, "--user1", "dom/joe", "--user2", "joe@b.org", "--tmpdir", "/var/tmp")
	if got, want := pidFilePath(s), "/var/tmp/imapshift_dom_joe_joe@b.org.pid"; got != want {
		t.Errorf("default pidfile %q, want %q", got, want)
	}
	s = mustParse(t, "--user1", "a", "--user2", "b", "--pidfile", "/x/y.pid")
	if got := pidFilePath(s); got != "/x/y.pid" {
		t.Errorf("--pidfile: %q", got)
	}
	s = mustParse(t, "--user1", "a", "--user2", "b", "--pidfile", "")
	if got := pidFilePath(s); got != "" {
		t.Errorf(`--pidfile "": %q`, got)
	}
}

// TestPidFileContent: the pidfile holds the PID, then the log file,
// while the run holds it, and release removes it.
func TestPidFileContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.pid")
	// The pidfile while the run holds it: PID, then the log file.
	s := mustParse(t, "--user1", "gina", "--user2", "hugo", "--pidfile", path)
	pf, err := acquirePidFile(&strings.Builder{}, s, "LOG/x.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	abs, _ := filepath.Abs("LOG/x.txt")
	if string(b) != strconv.Itoa(os.Getpid())+"\n"+abs+"\n" {
		t.Errorf("pidfile content %q", b)
	}
	var out strings.Builder
	pf.release(&out)
	if _, err := os.Stat(path); !os.IsNotExist(err) || out.String() != "Removing pidfile "+path+"\n" {
		t.Errorf("release: %v %q", err, out.String())
	}

}
