package conn

import (
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

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

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := writeTestCA(t, dir)
	arg := func(kv string) []TLSArg {
		k, v, _ := strings.Cut(kv, "=")
		return []TLSArg{{Key: k, Value: v}}
	}
	tests := []struct {
		name     string
		insecure bool
		args     []TLSArg
		check    func(*tls.Config) bool
		off      bool // verification is off
	}{
		{"insecure", true, nil, func(c *tls.Config) bool { return c.InsecureSkipVerify }, true},
		{"verify mode 0", false, arg("SSL_verify_mode=0"), func(c *tls.Config) bool { return c.InsecureSkipVerify }, true},
		{"verify mode NONE", false, arg("SSL_verify_mode=SSL_VERIFY_NONE"), func(c *tls.Config) bool { return c.InsecureSkipVerify }, true},
		{"verify mode 1 beats insecure", true, arg("SSL_verify_mode=1"), func(c *tls.Config) bool { return !c.InsecureSkipVerify }, false},
		{"hostname", false, arg("SSL_hostname=imap.example.org"), func(c *tls.Config) bool { return c.ServerName == "imap.example.org" }, false},
		{"one version", false, arg("SSL_version=TLSv1_2"), func(c *tls.Config) bool {
			return c.MinVersion == tls.VersionTLS12 && c.MaxVersion == tls.VersionTLS12
		}, false},
		{"negatives only", false, arg("SSL_version=!SSLv2:!SSLv3"), func(c *tls.Config) bool {
			return c.MinVersion == tls.VersionTLS10 && c.MaxVersion == tls.VersionTLS13
		}, false},
		{"SSLv23 minus old", false, arg("SSL_version=SSLv23:!TLSv1:!TLSv1_1"), func(c *tls.Config) bool {
			return c.MinVersion == tls.VersionTLS12 && c.MaxVersion == tls.VersionTLS13
		}, false},
		{"one cipher and keywords", false, arg("SSL_cipher_list=ECDHE-RSA-AES128-GCM-SHA256:DEFAULT:!DH"), func(c *tls.Config) bool {
			return len(c.CipherSuites) == 1 && c.CipherSuites[0] == tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		}, false},
		{"keywords only", false, arg("SSL_cipher_list=DEFAULT:!DH"), func(c *tls.Config) bool { return c.CipherSuites == nil }, false},
		{"IANA name", false, arg("SSL_cipher_list=TLS_RSA_WITH_AES_128_GCM_SHA256"), func(c *tls.Config) bool {
			return len(c.CipherSuites) == 1 && c.CipherSuites[0] == tls.TLS_RSA_WITH_AES_128_GCM_SHA256
		}, false},
		{"CA file", false, arg("SSL_ca_file=" + ca), func(c *tls.Config) bool { return c.RootCAs != nil }, false},
		{"CA path", false, arg("SSL_ca_path=" + dir), func(c *tls.Config) bool { return c.RootCAs != nil }, false},
	}
	for _, tt := range tests {
		c, off, err := TLSConfig(1, tt.insecure, tt.args)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.check(c) || off != tt.off {
			t.Errorf("%s: unexpected TLS config %+v (verification off %v)", tt.name, c, off)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	empty := t.TempDir()
	notPEM := filepath.Join(empty, "x.pem")
	os.WriteFile(notPEM, []byte("junk"), 0o600)
	tests := []struct {
		key, value, want string
	}{
		{"SSL_verify_mode", "maybe", "--sslargs2 SSL_verify_mode=maybe: not a verify mode"},
		{"SSL_version", "SSLv3", "--sslargs2 SSL_version=SSLv3: SSLv3 is not supported"},
		{"SSL_version", "TLSv9", "--sslargs2 SSL_version=TLSv9: unknown version TLSv9"},
		{"SSL_version", "!SSLv23", "no TLS version left"},
		{"SSL_cipher_list", "NOPE-CIPHER", "unknown cipher NOPE-CIPHER"},
		{"SSL_ca_file", filepath.Join(empty, "missing.pem"), "no such file or directory"},
		{"SSL_ca_file", notPEM, "no PEM certificate in " + notPEM},
		{"SSL_ca_path", t.TempDir(), "no PEM certificate in directory"},
		{"SSL_foo", "1", "--sslargs2: unsupported key SSL_foo (supported: SSL_verify_mode,"},
	}
	for _, tt := range tests {
		_, _, err := TLSConfig(2, false, []TLSArg{{Key: tt.key, Value: tt.value}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: error %v, want it to contain %q", tt.key, tt.value, err, tt.want)
		}
	}
}
