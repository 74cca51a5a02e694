package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBindsOnlyTheRunningCommand checks that a run binds the options of
// the command it runs and leaves the other registry commands unbound
// (binding them all cost milliseconds at each start), while completion
// and help on a subcommand still see every option.
func TestBindsOnlyTheRunningCommand(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		wantBound   []string // commands whose options must be bound
		wantUnbound []string
	}{
		{args: []string{"--host1", "a", "--user1", "u", "--host2", "b", "--user2", "v", "--nofoldersizes"}, wantBound: []string{"imapshift"}, wantUnbound: []string{"sync", "folders", "sizes", "verify", "justlogin", "justconnect"}},
		{args: []string{"sync", "--host1", "a", "--user1", "u", "--host2", "b", "--user2", "v"}, wantBound: []string{"sync"}, wantUnbound: []string{"imapshift", "folders", "sizes", "verify"}},
		{args: []string{"help", "sizes"}, wantBound: []string{"imapshift", "sync", "folders", "sizes", "verify", "justlogin", "justconnect"}},
	} {
		var out, errb bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errb)
		a.getenv = func(string) string { return "" }
		a.intercept = func(*Settings) error { return nil }
		if code := a.main(tc.args); code != 0 {
			t.Fatalf("%q: exit %d, stderr %q", tc.args, code, errb.String())
		}
		unbound := map[string]bool{}
		for c := range a.unbound {
			unbound[c.Name()] = true
		}
		for _, n := range tc.wantBound {
			if unbound[n] {
				t.Errorf("%q: %s's options are not bound", tc.args, n)
			}
		}
		for _, n := range tc.wantUnbound {
			if !unbound[n] {
				t.Errorf("%q: %s's options were bound", tc.args, n)
			}
		}
		if tc.args[0] == "help" && !strings.Contains(out.String(), "--host1") {
			t.Errorf("help sizes lacks the options:\n%s", out.String())
		}
	}
	// Completion of a subcommand's option.
	r := runArgs(t, nil, "__complete", "sizes", "--hos")
	if r.code != 0 || !strings.Contains(r.stdout, "--host2") {
		t.Errorf("completion: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
