package config

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/imapshift/imapshift/core/exitcode"
)

// needsPassword tells whether side n logs in with a password.
func (h *HostOptions) needsPassword() bool {
	return h.OAuthAccessToken == "" && h.OAuthDirect == "" && !h.usesOAuth2() && !strings.EqualFold(strings.TrimSpace(h.AuthMech), "PREAUTH")
}

// PasswordSource is what ResolvePasswords may read from.
type PasswordSource struct {
	Stdin  io.Reader           // read with a prompt when it is a terminal
	Prompt io.Writer           // where the prompt goes
	Getenv func(string) string // the environment
}

// ResolvePasswords fills HostN.Password for each side that needs one:
// --passwordN, else the first line of --passfileN, else $IMAPSYNC_PASSWORDN,
// else $IMAPSHIFT_PASSWORDN, else a prompt when stdin is a terminal.
func (s *Settings) ResolvePasswords(src PasswordSource) error {
	for n := 1; n <= 2; n++ {
		h, d := s.HostN(n), strconv.Itoa(n)
		if !h.needsPassword() || s.IsSet("password"+d) {
			continue
		}
		if h.PassFile != "" {
			b, err := os.ReadFile(h.PassFile)
			if err != nil {
				return exitcode.New(exitcode.NoInput, "Failure: can not open --passfile%s %s: %v", d, h.PassFile, unwrapPathError(err))
			}
			line, _, _ := strings.Cut(string(b), "\n")
			h.Password = strings.TrimRight(line, "\r")
			continue
		}
		if p, ok := lookupEnv(src.Getenv, "IMAPSYNC_PASSWORD"+d, "IMAPSHIFT_PASSWORD"+d); ok {
			h.Password = p
			continue
		}
		f, ok := src.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return usageErrorf("no password for user%s: give --password%s, --passfile%s or $IMAPSYNC_PASSWORD%s (standard input is not a terminal, so no prompt)", d, d, d, d)
		}
		fmt.Fprintf(src.Prompt, "What's the password for %s@%s? ", h.User, h.Host)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(src.Prompt)
		if err != nil {
			return exitcode.New(exitcode.NoInput, "reading the password of user%s: %v", d, err)
		}
		h.Password = string(b)
	}
	return nil
}

func lookupEnv(getenv func(string) string, names ...string) (string, bool) {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v, true
		}
	}
	return "", false
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
