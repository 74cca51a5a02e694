package dovecot

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// RequireEnv, when set to "1", turns a missing Dovecot into a test failure
// instead of a skip (CI sets it so tests can never be skipped silently).
const RequireEnv = "IMAPSHIFT_REQUIRE_DOVECOT"

// SkipLogEnv names a file to which StartT appends its SKIP lines, because
// "go test ./..." hides the output of passing packages (make test prints
// the file at the end).
const SkipLogEnv = "IMAPSHIFT_SKIP_LOG"

// StartT starts an instance for a test and stops it in t.Cleanup. When
// Dovecot is not installed the test is skipped with a line beginning
// "SKIP: dovecot not available: " (also written to stderr and to the file
// named by IMAPSHIFT_SKIP_LOG), unless IMAPSHIFT_REQUIRE_DOVECOT=1, in
// which case the test fails. Any other start failure fails the test.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		if errors.Is(err, ErrNotInstalled) {
			if os.Getenv(RequireEnv) == "1" {
				t.Fatalf("dovecot not available: %v (%s=1 forbids skipping)", err, RequireEnv)
			}
			msg := fmt.Sprintf("SKIP: dovecot not available: %v (%s)", err, t.Name())
			fmt.Fprintln(os.Stderr, msg)
			if p := os.Getenv(SkipLogEnv); p != "" {
				if f, ferr := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); ferr == nil {
					fmt.Fprintln(f, msg)
					f.Close()
				}
			}
			t.Skip(msg)
		}
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("dovecot stop: %v", err)
		}
	})
	return s
}
