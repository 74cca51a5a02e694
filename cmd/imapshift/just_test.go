package main

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// closedPort returns a local port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	// Port 1 (tcpmux) is privileged and unused here: unlike a port freed
	// after Listen, no test server started in parallel can take it.
	if c, err := net.DialTimeout("tcp", "127.0.0.1:1", time.Second); err == nil {
		c.Close()
		t.Skip("something listens on 127.0.0.1:1")
	}
	return "1"
}

// hostArgs are the options reaching side n of srv as user with pass.
func hostArgs(n int, port string, user, pass string) []string {
	d := strconv.Itoa(n)
	args := []string{"--host" + d, "127.0.0.1", "--port" + d, port, "--user" + d, user}
	if pass != "" {
		args = append(args, "--password"+d, pass)
	}
	return args
}

func TestJustLogin(t *testing.T) {
	srv1 := imapmem.StartT(t, imapmem.Options{})
	srv1.AddUser("alice", "secret-a")
	srv2 := imapmem.StartT(t, imapmem.Options{})
	srv2.AddUser("bob", "secret-b")
	p1, p2 := strconv.Itoa(srv1.Port()), strconv.Itoa(srv2.Port())
	closed := closedPort(t)

	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout []string
	}{
		{"success", append(hostArgs(1, p1, "alice", "secret-a"), hostArgs(2, p2, "bob", "secret-b")...), 0, []string{
			"Host1: connecting and login on host1 [127.0.0.1] port [" + p1 + "] with user [alice]",
			"Host1 banner: * OK",
			"Host1: success login on [127.0.0.1] with user [alice] auth [LOGIN]",
			"Host1 capability once authenticated: IMAP4rev1",
			"Host2: success login on [127.0.0.1] with user [bob] auth [LOGIN]",
			"Exiting because of --justlogin",
		}},
		{"wrong password host1", append(hostArgs(1, p1, "alice", "nope"), hostArgs(2, p2, "bob", "secret-b")...), 161, []string{
			"Host1 failure: Error login on [127.0.0.1] with user [alice] auth [LOGIN]",
			"Host2: success login on [127.0.0.1] with user [bob]",
		}},
		{"wrong password host2", append(hostArgs(1, p1, "alice", "secret-a"), hostArgs(2, p2, "bob", "nope")...), 162, []string{
			"Host1: success login", "Host2 failure: Error login on [127.0.0.1] with user [bob]",
		}},
		{"both wrong: host1 wins the tie", append(hostArgs(1, p1, "alice", "nope"), hostArgs(2, p2, "bob", "nope")...), 161, []string{
			"Host1 failure: Error login", "Host2 failure: Error login",
		}},
		{"closed port host1", append(hostArgs(1, closed, "alice", "x"), hostArgs(2, p2, "bob", "secret-b")...), 101, []string{
			"Host1 failure: can not open imap connection on host1 [127.0.0.1] with user [alice]", "Host2: success login",
		}},
		{"closed port host2", append(hostArgs(1, p1, "alice", "secret-a"), hostArgs(2, closed, "bob", "x")...), 102, []string{
			"Host2 failure: can not open imap connection on host2",
		}},
		// ERR_AUTHENTICATION_FAILURE_USER2 sorts before ERR_CONNECTION_FAILURE_HOST1.
		{"closed host1, wrong password host2", append(hostArgs(1, closed, "alice", "x"), hostArgs(2, p2, "bob", "nope")...), 162, []string{
			"Host1 failure: can not open", "Host2 failure: Error login",
		}},
	}
	for _, tt := range tests {
		for _, via := range [][]string{{"--justlogin"}, {"justlogin"}} {
			t.Run(tt.name+" "+via[0], func(t *testing.T) {
				args := tt.args
				if via[0] == "justlogin" {
					args = append(via, args...)
				} else {
					args = append(append([]string(nil), args...), via...)
				}
				r := runArgs(t, nil, args...)
				if r.code != tt.code {
					t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
				}
				for _, w := range tt.wantStdout {
					if !strings.Contains(r.stdout, w) {
						t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
					}
				}
				if tt.code != 0 {
					oneErrorLine(t, r)
				} else if r.stderr != "" {
					t.Errorf("stderr %q", r.stderr)
				}
				for _, secret := range []string{"secret-a", "secret-b", "nope"} {
					if strings.Contains(r.stdout+r.stderr, secret) {
						t.Errorf("output shows a password %q", secret)
					}
				}
			})
		}
	}
}

func TestJustLoginTLS(t *testing.T) {
	srvTLS, _, err := imapmem.NewTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := imapmem.StartT(t, imapmem.Options{TLSConfig: srvTLS})
	srv.AddUser("alice", "secret-a")
	plain, implicit := strconv.Itoa(srv.Port()), strconv.Itoa(srv.TLSPort())
	ca := writeTestCA(t, t.TempDir()) // another certificate: verification fails

	tests := []struct {
		name  string
		host1 []string
		code  int
		want  string
	}{
		{"starttls insecure", []string{"--insecure1"}, 0, "Host1: going to ssl because STARTTLS is in CAPABILITY"},
		{"starttls unverified", nil, 12, "Host1 failure: Can not go to tls encryption on host1"},
		{"implicit insecure", []string{"--ssl1", "--port1", implicit, "--insecure1"}, 0, "Host1: success login"},
		{"implicit verify_mode=0", []string{"--ssl1", "--port1", implicit, "--sslargs1", "SSL_verify_mode=0"}, 0, "Host1: success login"},
		{"implicit wrong CA", []string{"--ssl1", "--port1", implicit, "--sslargs1", "SSL_ca_file=" + ca}, 101, "--sslargs1 SSL_ca_file=FILE"},
		{"implicit untrusted: host1 connection failure", []string{"--ssl1", "--port1", implicit}, 101, "Host1 failure: can not open imap connection on host1 [127.0.0.1] with user [alice]: TLS handshake failed"},
		{"notls", []string{"--notls1"}, 0, "Host1: success login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(hostArgs(1, plain, "alice", "secret-a"), tt.host1...)
			args = append(args, hostArgs(2, plain, "alice", "secret-a")...)
			args = append(args, "--insecure2", "justlogin")
			args = append([]string{args[len(args)-1]}, args[:len(args)-1]...)
			r := runArgs(t, nil, args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), want %q in\nstdout:\n%s\nstderr: %s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
		})
	}

	// Host2: implicit TLS with an untrusted certificate is a host2
	// connection failure (102), STARTTLS with one a TLS failure (12).
	for _, tt := range []struct {
		name  string
		host2 []string
		code  int
		want  string
	}{
		{"implicit untrusted host2", []string{"--ssl2", "--port2", implicit}, 102, "Host2 failure: can not open imap connection on host2"},
		{"starttls untrusted host2", []string{"--tls2", "--port2", plain}, 12, "Host2 failure: Can not go to tls encryption on host2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"justlogin", "--insecure1"}, hostArgs(1, plain, "alice", "secret-a")...)
			args = append(append(args, "--host2", "127.0.0.1", "--user2", "alice", "--password2", "secret-a"), tt.host2...)
			r := runArgs(t, nil, args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), want %q in\nstdout:\n%s\nstderr: %s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

func TestJustConnect(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	port := strconv.Itoa(srv.Port())
	closed := closedPort(t)

	r := runArgs(t, nil, "--justconnect", "--host1", "127.0.0.1", "--port1", port, "--host2", "127.0.0.1", "--port2", port)
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{
		"Host1: connecting on host1 [127.0.0.1] port [" + port + "]",
		"Host1 IP address: 127.0.0.1 Local IP address: 127.0.0.1",
		"Host1 banner: * OK",
		"Host1 capability before authentication: IMAP4rev1",
		"Host2: connecting on host2 [127.0.0.1]",
		"Exiting after a justconnect on host(s): 127.0.0.1 127.0.0.1",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}

	// Missing credentials imply justconnect on the hosts given, as in imapsync.
	r = runArgs(t, nil, "--host1", "127.0.0.1", "--port1", port, "--user1", "a", "--password1", "p")
	if r.code != 0 || !strings.Contains(r.stdout, "Exiting after a justconnect on host(s): 127.0.0.1\n") || strings.Contains(r.stdout, "Host2") {
		t.Errorf("implied justconnect: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, args := range [][]string{
		{"--justconnect", "--host1", "127.0.0.1", "--port1", closed},
		{"justconnect", "--host1", "127.0.0.1", "--port1", port, "--host2", "127.0.0.1", "--port2", closed},
		{"--host2", "127.0.0.1", "--port2", closed},
	} {
		r := runArgs(t, nil, args...)
		if r.code != 10 || !strings.Contains(r.stdout, "can not open imap connection") {
			t.Errorf("%q: exit %d, want 10\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		oneErrorLine(t, r)
	}
}

func TestDebugIMAPMasksSecrets(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("alice", "secret-a")
	port := strconv.Itoa(srv.Port())
	args := append([]string{"justlogin", "--debugimap1"}, hostArgs(1, port, "alice", "secret-a")...)
	args = append(args, hostArgs(2, port, "alice", "secret-a")...)
	r := runArgs(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Host1 C:") || strings.Contains(r.stdout, "Host2 C:") {
		t.Errorf("trace of host1 only expected:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "secret-a") {
		t.Errorf("trace shows the password:\n%s", r.stdout)
	}
}

func TestDispatch(t *testing.T) {
	var called string
	var got *Settings
	record := func(name string) func(context.Context, *Settings, io.Writer) error {
		return func(_ context.Context, s *Settings, _ io.Writer) error { called, got = name, s; return nil }
	}
	setup := func(a *app) { a.runSync, a.runFolders, a.runSizes = record("sync"), record("folders"), record("sizes") }

	base := append(hostArgs(1, "1143", "a", "p"), hostArgs(2, "2143", "b", "")...)
	base = base[:len(base):len(base)] // appends below must copy
	env := map[string]string{"IMAPSYNC_PASSWORD2": "q"}
	tests := []struct {
		args []string
		want string
		just [2]bool // JustFolders, JustFolderSizes
	}{
		{base, "sync", [2]bool{}},
		{append([]string{"sync"}, base...), "sync", [2]bool{}},
		{append(base, "--justfolders"), "folders", [2]bool{true, false}},
		{append(base, "--justfoldersizes"), "sizes", [2]bool{false, true}},
		{append(base, "--justfolders", "--justfoldersizes"), "sizes", [2]bool{true, true}},
		{append([]string{"folders"}, base...), "folders", [2]bool{true, false}},
		{append([]string{"sizes"}, base...), "sizes", [2]bool{false, true}},
	}
	for _, tt := range tests {
		called, got = "", nil
		r := runApp(t, env, setup, tt.args...)
		if r.code != 0 || called != tt.want {
			t.Errorf("%q: exit %d, called %q, want %q (%s)", tt.args, r.code, called, tt.want, r.stderr)
			continue
		}
		if [2]bool{got.JustFolders, got.JustFolderSizes} != tt.just || got.Host2.Password != "q" || got.Host1.Password != "p" {
			t.Errorf("%q: settings %v/%v, passwords %q %q", tt.args, got.JustFolders, got.JustFolderSizes, got.Host1.Password, got.Host2.Password)
		}
		if strings.Contains(strings.Join(got.Args, " "), " p ") || !strings.Contains(strings.Join(got.Args, " "), "--password1 MASKED") {
			t.Errorf("%q: command line not masked: %q", tt.args, got.Args)
		}
	}

	r := runApp(t, nil, setup, "folders", "--host1", "x")
	if r.code != 64 || !strings.Contains(r.stderr, "missing --user1, --host2, --user2") {
		t.Errorf("folders without credentials: exit %d, %q", r.code, r.stderr)
	}
	called = ""
	r = runApp(t, nil, setup, base...) // no password for user2, stdin not a terminal
	if r.code != 64 || !strings.Contains(r.stderr, "no password for user2") || called != "" {
		t.Errorf("no password: exit %d, %q", r.code, r.stderr)
	}
}

// TestCompressNotOffered: --compress1 on a server without
// COMPRESS=DEFLATE logs in uncompressed and says so.
func TestCompressNotOffered(t *testing.T) {
	srv1 := imapmem.StartT(t, imapmem.Options{})
	srv1.AddUser("alice", "secret-a")
	srv2 := imapmem.StartT(t, imapmem.Options{})
	srv2.AddUser("bob", "secret-b")
	args := append(append([]string{"--justlogin", "--compress1"}, hostArgs(1, strconv.Itoa(srv1.Port()), "alice", "secret-a")...), hostArgs(2, strconv.Itoa(srv2.Port()), "bob", "secret-b")...)
	r := runArgs(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "Host1: the server does not offer COMPRESS=DEFLATE: not compressing\n") || strings.Contains(r.stdout, "Host2: the server does not offer") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
