package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestNTLMLogin logs in with NTLMv2 to a server that checks the proof
// (Debian's Dovecot has no NTLM): --domain1 alone selects NTLM, a wrong
// password is refused (exit 161, no fallback to LOGIN
// with --notrylogin), and the password never shows in the trace.
func TestNTLMLogin(t *testing.T) {
	srv1 := imapmem.StartT(t, imapmem.Options{NTLMDomain: "EXAMPLE"})
	srv1.AddUser("alice", "secret-a")
	srv2 := imapmem.StartT(t, imapmem.Options{})
	srv2.AddUser("bob", "secret-b")
	p1, p2 := strconv.Itoa(srv1.Port()), strconv.Itoa(srv2.Port())
	side2 := hostArgs(2, p2, "bob", "secret-b")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"--domain1 selects NTLM", append(hostArgs(1, p1, "alice", "secret-a"), "--domain1", "EXAMPLE"), 0, "Host1: success login on [127.0.0.1] with user [alice] auth [NTLM]"},
		{"--authmech1 NTLM without a domain", append(hostArgs(1, p1, "alice", "secret-a"), "--authmech1", "NTLM"), 0, "auth [NTLM]"},
		{"wrong password", append(hostArgs(1, p1, "alice", "nope"), "--domain1", "EXAMPLE", "--notrylogin"), 161, "Host1 failure: Error login on [127.0.0.1] with user [alice] auth [NTLM]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, nil, append(append([]string{"--justlogin", "--debugimap1"}, tc.args...), side2...)...)
			out := r.stdout + r.stderr
			if r.code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", r.code, tc.code, tc.want, out)
			}
			if !strings.Contains(out, "AUTHENTICATE NTLM") {
				t.Errorf("no AUTHENTICATE NTLM in the trace:\n%s", out)
			}
			if strings.Contains(out, "secret-a") {
				t.Errorf("the password shows in the output:\n%s", out)
			}
		})
	}
}
