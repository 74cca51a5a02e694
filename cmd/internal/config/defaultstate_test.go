package config

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/exitcode"
)

// TestDefaultStateFile: without any state option the state is kept in
// $XDG_CACHE_HOME/imapshift/state, in a file named by both hosts with
// their ports and both users; a damaged file there is set aside as
// <name>.damaged with a one-line warning and the run goes on with an
// empty state; an explicit --usecache the file cannot be opened for is a
// usage error, the default state only a warning.
func TestDefaultStateFile(t *testing.T) {
	args := []string{"--host1", "h1.example", "--port1", "1143", "--user1", "u1", "--password1", "p1",
		"--host2", "h2.example", "--user2", "u2", "--password2", "p2", "--nosslcheck"}
	open := func(extra ...string) (string, error) {
		s := mustParse(t, append(append([]string(nil), args...), extra...)...)
		var out bytes.Buffer
		_, cleanup, err := s.EngineOptions(context.Background(), &out)
		if err == nil {
			cleanup()
		}
		return out.String(), err
	}
	if out, err := open(); err != nil || out != "" {
		t.Fatalf("default state: %v, output %q", err, out)
	}
	dir := filepath.Join(cacheHome, "imapshift", "state")
	files, _ := filepath.Glob(filepath.Join(dir, "h1.example_1143_u1__h2.example_143_u2_*.db"))
	if len(files) != 1 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("state files %v; the directory holds %v", files, entries)
	}
	path := files[0]

	// Damaged: set aside, one warning line, the run goes on.
	if err := os.Truncate(path, 5000); err != nil {
		t.Fatal(err)
	}
	out, err := open()
	if err != nil {
		t.Fatalf("damaged state: %v", err)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "Warning: ") || !strings.Contains(out, "damaged") {
		t.Errorf("damaged state: output %q, want one warning line", out)
	}
	if _, err := os.Stat(path + ".damaged"); err != nil {
		t.Errorf("damaged file not set aside: %v", err)
	}
	if out, err := open(); err != nil || out != "" {
		t.Errorf("after the reset: %v, output %q", err, out)
	}

	// A state directory that cannot be created: the default state warns,
	// an explicit --usecache fails.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", blocker)
	if out, err := open(); err != nil || !strings.HasPrefix(out, "Warning: no sync state kept this run") {
		t.Errorf("default state in an impossible place: %v, output %q", err, out)
	}
	if _, err := open("--usecache"); exitcode.Of(err) != exitcode.CatchAll {
		t.Errorf("--usecache in an impossible place: %v, want an error", err)
	}
}
