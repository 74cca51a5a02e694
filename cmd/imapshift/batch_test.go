package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBatchBadLines: every malformed line is reported with its line
// number, before anything starts, and the batch exits 64 without
// creating its output directory.
func TestBatchBadLines(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts.txt")
	content := strings.Join([]string{
		"# host1;user1;password1;host2;user2;password2;options",
		"a.invalid;joe;sekrit1;b.invalid;joe;sekrit2",
		"a.invalid;ann;sekrit1;b.invalid",
		"a.invalid;bob;sekrit1;b.invalid;bob;sekrit2;--foldr INBOX",
		"a.invalid;cat;sekrit1;b.invalid;cat;sekrit2;--maxage abc",
		"a.invalid;dan;file:" + filepath.Join(dir, "missing") + ";b.invalid;dan;sekrit2",
		"",
		"a.invalid;eve;sekrit1;b.invalid;eve;env:EVE_PASSWORD",
		"a.invalid;joe;otherpw;b.invalid;joe;sekrit2",
	}, "\n")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := runArgs(t, nil, "batch", file, "--outdir", out)
	if r.code != 64 {
		t.Fatalf("exit %d, want 64\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		`accounts.txt:3: 4 fields, want 6 or 7`,
		`accounts.txt:4: .*foldr`,
		`accounts.txt:5: .*maxage`,
		`accounts.txt:6: password file .*missing: no such file or directory`,
		`accounts.txt:8: password variable EVE_PASSWORD is not set`,
		`accounts.txt:9: the same accounts as line 2`,
		`imapshift: 6 bad lines in .*accounts.txt: nothing was started`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stderr) {
			t.Errorf("stderr lacks %q\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "accounts.txt:2:") || strings.Contains(r.stderr, "sekrit") || strings.Contains(r.stderr, "otherpw") {
		t.Errorf("a good line reported, or a password shown:\n%s", r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the output directory was created: %v", err)
	}

	// A mistake in the common options is one error, not one per line.
	r = runArgs(t, nil, "batch", file, "--outdir", out, "--nosuchoption")
	if r.code != 64 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "nosuchoption") {
		t.Errorf("common option: exit %d\n%s", r.code, r.stderr)
	}
	// No file.
	r = runArgs(t, nil, "batch", filepath.Join(dir, "none.txt"))
	if r.code != 66 {
		t.Errorf("missing file: exit %d, want 66\n%s", r.code, r.stderr)
	}
}
