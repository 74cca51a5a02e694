package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

func side(t *testing.T, n int, args ...string) *conn.Config {
	t.Helper()
	s := mustParse(t, args...)
	cfg, err := s.Side(n)
	if err != nil {
		t.Fatalf("%q: Side(%d): %v", args, n, err)
	}
	return cfg
}

func TestSideModes(t *testing.T) {
	tests := []struct {
		args []string
		n    int
		want conn.TLSMode
	}{
		{[]string{"--host1", "h"}, 1, conn.TLSAuto},
		{[]string{"--ssl1"}, 1, conn.TLSImplicit},
		{[]string{"--tls2"}, 2, conn.TLSStartTLS},
		{[]string{"--notls1"}, 1, conn.TLSNone},
		{[]string{"--no-tls1"}, 1, conn.TLSNone},
		{[]string{"--notls1", "--ssl1"}, 1, conn.TLSImplicit},
		{[]string{"--nossl1"}, 1, conn.TLSAuto},
		{[]string{"--tls1"}, 2, conn.TLSAuto},
	}
	for _, tt := range tests {
		if got := side(t, tt.n, tt.args...).Mode; got != tt.want {
			t.Errorf("%q side %d: mode %v, want %v", tt.args, tt.n, got, tt.want)
		}
	}
}

func TestSideConfig(t *testing.T) {
	cfg := side(t, 2, "--host2", "b.org", "--port2", "1143", "--user2", "bob", "--password2", "pw",
		"--timeout2", "2.5", "--nokeepalive2", "--inet6", "--noid", "--authuser2", "admin", "--authmech2", "plain",
		"--notrylogin", "--oauthaccesstoken2", "tok")
	want := conn.Config{Side: 2, Host: "b.org", Port: 1143, User: "bob", Password: "pw", Timeout: 2500 * time.Millisecond,
		KeepAlive: false, Network: "tcp6", ID: false, AuthUser: "admin", AuthMech: "PLAIN", TryLogin: false, OAuthAccessToken: "tok"}
	got := *cfg
	got.TLS, got.Secrets, got.Mode = nil, nil, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Side(2) =\n%+v\nwant\n%+v", got, want)
	}
	if !strings.Contains(strings.Join(cfg.Secrets, " "), "tok") {
		t.Errorf("secrets %q lack the token", cfg.Secrets)
	}
	if cfg.TLS == nil || cfg.TLS.InsecureSkipVerify || cfg.Insecure {
		t.Errorf("TLS must verify by default: %+v", cfg.TLS)
	}

	d := side(t, 1, "--host1", "a")
	if !d.KeepAlive || !d.ID || !d.TryLogin || d.Timeout != 120*time.Second || d.Network != "tcp" || d.Trace != nil {
		t.Errorf("defaults wrong: %+v", d)
	}
	if c := side(t, 1, "--authmd5"); c.AuthMech != "CRAM-MD5" {
		t.Errorf("--authmd5: mech %q", c.AuthMech)
	}
	if c := side(t, 2, "--authmd52", "--authmech2", "LOGIN"); c.AuthMech != "LOGIN" {
		t.Errorf("--authmech2 must beat --authmd52: %q", c.AuthMech)
	}
	if c := side(t, 1, "--debugimap1"); c.Trace == nil {
		t.Errorf("--debugimap1: no trace writer")
	}
	if c := side(t, 2, "--debugimap1"); c.Trace != nil {
		t.Errorf("--debugimap1 traced host2")
	}
}

func TestSSLArgs(t *testing.T) {
	dir := t.TempDir()
	ca := writeTestCA(t, dir)

	tests := []struct {
		args  []string
		check func(*conn.Config) bool
	}{
		{[]string{"--insecure1"}, func(c *conn.Config) bool { return c.TLS.InsecureSkipVerify && c.Insecure }},
		{[]string{"--sslargs1", "SSL_verify_mode=0"}, func(c *conn.Config) bool { return c.TLS.InsecureSkipVerify && c.Insecure }},
		{[]string{"--insecure1", "--sslargs1", "SSL_verify_mode=1"}, func(c *conn.Config) bool { return !c.TLS.InsecureSkipVerify }},
		{[]string{"--sslargs1", "SSL_hostname=imap.example.org"}, func(c *conn.Config) bool { return c.TLS.ServerName == "imap.example.org" }},
		{[]string{"--sslargs1", "SSL_version=TLSv1_2"}, func(c *conn.Config) bool {
			return c.TLS.MinVersion == tls.VersionTLS12 && c.TLS.MaxVersion == tls.VersionTLS12
		}},
		{[]string{"--sslargs1", "SSL_version=!SSLv2:!SSLv3"}, func(c *conn.Config) bool {
			return c.TLS.MinVersion == tls.VersionTLS10 && c.TLS.MaxVersion == tls.VersionTLS13
		}},
		{[]string{"--sslargs1", "SSL_version=SSLv23:!TLSv1:!TLSv1_1"}, func(c *conn.Config) bool {
			return c.TLS.MinVersion == tls.VersionTLS12 && c.TLS.MaxVersion == tls.VersionTLS13
		}},
		{[]string{"--sslargs1", "SSL_cipher_list=ECDHE-RSA-AES128-GCM-SHA256:DEFAULT:!DH"}, func(c *conn.Config) bool {
			return len(c.TLS.CipherSuites) == 1 && c.TLS.CipherSuites[0] == tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		}},
		{[]string{"--sslargs1", "SSL_cipher_list=DEFAULT:!DH"}, func(c *conn.Config) bool { return c.TLS.CipherSuites == nil }},
		{[]string{"--sslargs1", "SSL_ca_file=" + ca}, func(c *conn.Config) bool { return c.TLS.RootCAs != nil }},
		{[]string{"--sslargs1", "SSL_ca_path=" + dir}, func(c *conn.Config) bool { return c.TLS.RootCAs != nil }},
	}
	for _, tt := range tests {
		if c := side(t, 1, tt.args...); !tt.check(c) {
			t.Errorf("%q: unexpected TLS config %+v", tt.args, c.TLS)
		}
	}
}

// writeTestCA writes the certificate of a fresh test server configuration
// as PEM and returns the file name.
func writeTestCA(t *testing.T, dir string) string {
	t.Helper()
	srvTLS, _, err := imapmem.NewTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvTLS.Certificates[0].Certificate[0]})
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestProbeSSL(t *testing.T) {
	var probed []string
	probe := func(_ context.Context, network, host string) bool {
		probed = append(probed, host)
		return host == "secure.example"
	}
	s := mustParse(t, "--host1", "secure.example", "--host2", "plain.example")
	s.Probe = probe
	var out bytes.Buffer
	s.ProbeSSL(context.Background(), &out)
	want := "Host1: probing ssl on port 993 ( use --nosslcheck to avoid this ssl probe ) \n" +
		"Host1: sslcheck detected open ssl port 993 so turning ssl on (use --nossl1 --notls1 to turn off SSL and TLS wizardry)\n" +
		"Host2: probing ssl on port 993 ( use --nosslcheck to avoid this ssl probe ) \n" +
		"Host2: sslcheck did not detected open ssl port 993. Will use standard 143 port.\n"
	if out.String() != want {
		t.Errorf("probe output:\n%s\nwant:\n%s", out.String(), want)
	}
	c1, _ := s.Side(1)
	c2, _ := s.Side(2)
	if c1.Mode != conn.TLSImplicit || c1.EffectivePort() != 993 || c2.Mode != conn.TLSAuto || c2.EffectivePort() != 143 {
		t.Errorf("after probe: %v:%d and %v:%d", c1.Mode, c1.EffectivePort(), c2.Mode, c2.EffectivePort())
	}
	s.ProbeSSL(context.Background(), &out) // only once per side
	if len(probed) != 2 {
		t.Errorf("probed %v", probed)
	}

	for _, args := range [][]string{
		{"--host1", "secure.example", "--port1", "143"},
		{"--host1", "secure.example", "--nossl1"},
		{"--host1", "secure.example", "--notls1"},
		{"--host1", "secure.example", "--tls1"},
		{"--host1", "secure.example", "--nosslcheck"},
		{"--user1", "nohost"},
	} {
		probed = nil
		out.Reset()
		s := mustParse(t, args...)
		s.Probe = probe
		s.ProbeSSL(context.Background(), &out)
		if len(probed) != 0 || out.Len() != 0 {
			t.Errorf("%q: probed %v, printed %q", args, probed, out.String())
		}
	}
}

func TestPasswords(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "pass")
	os.WriteFile(pf, []byte("from file\r\nsecond line\n"), 0o600)
	tests := []struct {
		args []string
		env  map[string]string
		want [2]string
	}{
		{[]string{"--password1", "a", "--password2", "b"}, nil, [2]string{"a", "b"}},
		{[]string{"--passfile1", pf, "--password2", "b"}, nil, [2]string{"from file", "b"}},
		{[]string{"--password2", "b"}, map[string]string{"IMAPSYNC_PASSWORD1": "env1", "IMAPSHIFT_PASSWORD1": "x"}, [2]string{"env1", "b"}},
		{[]string{"--password1", "a"}, map[string]string{"IMAPSHIFT_PASSWORD2": "env2"}, [2]string{"a", "env2"}},
		{[]string{"--password1", "a", "--oauthaccesstoken2", "tok"}, nil, [2]string{"a", ""}},
		{[]string{"--password1", "a", "--authmech2", "preauth"}, nil, [2]string{"a", ""}},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.args...)
		err := s.ResolvePasswords(config.PasswordSource{Stdin: strings.NewReader(""), Prompt: &bytes.Buffer{}, Getenv: func(k string) string { return tt.env[k] }})
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if got := [2]string{s.Host1.Password, s.Host2.Password}; got != tt.want {
			t.Errorf("%q: passwords %q, want %q", tt.args, got, tt.want)
		}
	}
	s := mustParse(t, "--password1", "a")
	err := s.ResolvePasswords(config.PasswordSource{Stdin: strings.NewReader(""), Prompt: &bytes.Buffer{}, Getenv: func(string) string { return "" }})
	if err == nil || exitcode.Of(err) != 64 || !strings.Contains(err.Error(), "no password for user2") {
		t.Errorf("no password, no terminal: %v (exit %d)", err, exitcode.Of(err))
	}
}

func TestPassfileMissing(t *testing.T) {
	r := runArgs(t, nil, "--host1", "127.0.0.1", "--port1", "1", "--user1", "a", "--passfile1", "/nonexistent/pass",
		"--host2", "127.0.0.1", "--port2", "1", "--user2", "b", "--password2", "x", "--justlogin")
	if r.code != 66 || !strings.Contains(r.stderr, "--passfile1 /nonexistent/pass") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	oneErrorLine(t, r)
}

func TestMaskedArgs(t *testing.T) {
	args := []string{"--host1", "h", "--password1", "secret1", "--password2=secret2", "-oauthaccesstoken1", "tok1", "--OAUTHDIRECT2=tok2"}
	s := mustParse(t, args...)
	got := strings.Join(s.Args, " ")
	want := "--host1 h --password1 MASKED --password2=MASKED -oauthaccesstoken1 MASKED --OAUTHDIRECT2=MASKED"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("masked args %q, want %q", got, want)
	}
	s = mustParse(t, append(args, "--showpasswords")...)
	if got := strings.Join(s.Args, " "); got != strings.Join(append(args, "--showpasswords"), " ") {
		t.Errorf("--showpasswords: %q", got)
	}
}
