package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

// Settings is the parsed command line the tests look at.
type Settings = config.Settings

// result is what one in-process run printed and returned.
type result struct {
	code           int
	stdout, stderr string
	s              *Settings // the parsed settings, with parse
}

// runArgs runs the command line for real, with an empty, non-terminal
// stdin and an empty environment (env overrides it).
func runArgs(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runApp(t, env, nil, args...)
}

// runApp is runArgs with setup, when given, changing the app (its
// runners) before it runs.
func runApp(t *testing.T, env map[string]string, setup func(*app), args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.getenv = func(k string) string { return env[k] }
	if setup != nil {
		setup(a)
	}
	code := a.main(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// parse runs the command line up to the Settings and stops there.
func parse(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.getenv = func(string) string { return "" }
	var got *Settings
	a.intercept = func(s *Settings) error { got = s; return nil }
	code := a.main(args)
	return result{code: code, stdout: out.String(), stderr: errb.String(), s: got}
}

// mustParse parses a command line that must be valid.
func mustParse(t *testing.T, args ...string) *Settings {
	t.Helper()
	r := parse(t, args...)
	if r.code != 0 || r.s == nil {
		t.Fatalf("%q: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r.s
}

// oneErrorLine checks that stderr is exactly one line.
func oneErrorLine(t *testing.T, r result) {
	t.Helper()
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one line: %q", r.stderr)
	}
}
