package conn

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestGreeting covers the greetings a client meets: OK (capabilities
// asked for or taken from the greeting), PREAUTH (no login at all), BYE
// and garbage (a connection failure of that side, with its exit code).
func TestGreeting(t *testing.T) {
	ctx := context.Background()
	t.Run("OK from imapmem", func(t *testing.T) {
		srv := imapmem.StartT(t, imapmem.Options{})
		srv.AddUser("bob", "pw-bob")
		c, err := Connect(ctx, memConfig(srv, "bob", "pw-bob", nil))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Greeting, "OK") || !slices.Contains(c.PreAuthCaps, "IMAP4rev1") || !slices.Contains(c.PreAuthCaps, "AUTH=PLAIN") {
			t.Errorf("greeting %q, caps %v", c.Greeting, c.PreAuthCaps)
		}
	})
	t.Run("BYE from imapmem", func(t *testing.T) {
		srv := imapmem.StartT(t, imapmem.Options{})
		srv.AddUser("bob", "pw-bob")
		srv.Faults().RefuseGreetings(1, imapmem.TooManyConnectionsBye)
		_, err := Dial(ctx, memConfig(srv, "bob", "pw-bob", nil))
		var ce *Error
		if !errors.As(err, &ce) || ce.Stage != StageConnect || ce.ExitCode() != exitcode.ConnFailureHost2 ||
			!strings.Contains(err.Error(), "server refused the connection: BYE Too many connections") {
			t.Fatalf("error: %v", err)
		}
		if n := srv.Faults().Count("*"); n != 0 {
			t.Errorf("%d commands sent after a BYE greeting", n)
		}
	})

	for _, tc := range []struct {
		name, greeting string
		mech           string
		wantErr        string
		wantMech       string
	}{
		{name: "PREAUTH skips login", greeting: "* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] welcome joe", wantMech: "PREAUTH"},
		{name: "PREAUTH asked, OK given", greeting: "* OK [CAPABILITY IMAP4rev1] hi", mech: "PREAUTH", wantErr: "did not pre-authenticate"},
		{name: "garbage", greeting: "HTTP/1.1 400 Bad Request", wantErr: "unexpected greeting"},
		{name: "BYE", greeting: "* BYE Too many connections", wantErr: "server refused the connection: BYE Too many connections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan []string, 1)
			s := startScript(t, func(sc *scriptConn) {
				sc.send(tc.greeting)
				sc.answerAll()
				got <- sc.lines
			})
			cfg := s.config(nil)
			cfg.AuthMech = tc.mech
			c, err := Dial(ctx, cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Mech != tc.wantMech || !c.Caps().Has(imap.CapUIDPlus) {
				t.Errorf("mech %q, caps %v", c.Mech, c.Caps())
			}
			if err := c.Noop().Wait(); err != nil {
				t.Errorf("NOOP: %v", err)
			}
			c.Logout().Wait()
			c.Close()
			lines := <-got
			for _, l := range lines {
				if strings.Contains(l, "LOGIN") || strings.Contains(l, "AUTHENTICATE") || strings.Contains(l, "CAPABILITY") {
					t.Errorf("client sent %q to a pre-authenticated session", l)
				}
			}
		})
	}
}

// TestStartTLS covers automatic STARTTLS (used when offered), TLS
// refused by configuration, required STARTTLS on a server without it, a
// server refusing STARTTLS, an untrusted certificate (exit code and
// advice), and implicit TLS.
func TestStartTLS(t *testing.T) {
	serverTLS, clientTLS, err := imapmem.NewTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := imapmem.StartT(t, imapmem.Options{TLSConfig: serverTLS})
	tlsSrv.AddUser("bob", "pw-bob")
	plainSrv := imapmem.StartT(t, imapmem.Options{})
	plainSrv.AddUser("bob", "pw-bob")

	for _, tc := range []struct {
		name        string
		srv         *imapmem.Server
		mode        TLSMode
		implicit    bool
		tls         *tls.Config
		refuse      bool
		wantSecure  bool
		wantErr     string
		wantAdvice  bool
		wantStartTL bool
		wantCode    exitcode.Code // of a failure; TLSFailure when zero
	}{
		{name: "auto uses STARTTLS", srv: tlsSrv, mode: TLSAuto, tls: clientTLS, wantSecure: true, wantStartTL: true},
		{name: "auto without STARTTLS stays plain", srv: plainSrv, mode: TLSAuto, tls: clientTLS},
		{name: "none ignores STARTTLS", srv: tlsSrv, mode: TLSNone, tls: clientTLS},
		{name: "required but not offered", srv: plainSrv, mode: TLSStartTLS, tls: clientTLS, wantErr: "does not offer STARTTLS (use --notls2"},
		{name: "refused by the server", srv: tlsSrv, mode: TLSAuto, tls: clientTLS, refuse: true, wantErr: "NO Refused by test fault"},
		{name: "untrusted certificate", srv: tlsSrv, mode: TLSAuto, tls: &tls.Config{}, wantErr: "certificate", wantAdvice: true},
		{name: "implicit", srv: tlsSrv, mode: TLSImplicit, implicit: true, tls: clientTLS, wantSecure: true},
		{name: "implicit untrusted certificate", srv: tlsSrv, mode: TLSImplicit, implicit: true, tls: &tls.Config{}, wantErr: "can not open imap connection on host2", wantAdvice: true, wantCode: exitcode.ConnFailureHost2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.srv.Faults().Reset()
			if tc.refuse {
				tc.srv.Faults().RefuseCommand("STARTTLS", 1, nil)
			}
			var tr syncBuffer
			cfg := memConfig(tc.srv, "bob", "pw-bob", &tr)
			cfg.Mode, cfg.TLS = tc.mode, tc.tls
			if tc.implicit {
				cfg.Port = tc.srv.TLSPort()
			}
			c, err := Dial(context.Background(), cfg)
			if tc.wantErr != "" {
				var ce *Error
				code := tc.wantCode
				if code == 0 {
					code = exitcode.TLSFailure
				}
				if !errors.As(err, &ce) || ce.Stage != StageTLS || ce.Implicit != tc.implicit || ce.ExitCode() != code || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want a TLS failure with %q", err, tc.wantErr)
				}
				if tc.wantAdvice && !strings.Contains(err.Error(), "--sslargs2 SSL_ca_file=FILE") {
					t.Errorf("no advice in %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Secure != tc.wantSecure || c.StartTLS != tc.wantStartTL {
				t.Errorf("secure %v starttls %v", c.Secure, c.StartTLS)
			}
			if err := c.Noop().Wait(); err != nil {
				t.Errorf("NOOP: %v", err)
			}
			sentStartTLS := strings.Contains(tr.String(), "STARTTLS\n")
			if sentStartTLS != tc.wantStartTL {
				t.Errorf("STARTTLS sent: %v\n%s", sentStartTLS, tr.String())
			}
		})
	}
}

// TestAuthInMemory logs in with each mechanism imapmem offers and checks
// what went on the wire (SASL-IR used, the fallback to LOGIN) and that the
// trace masks the password.
func TestAuthInMemory(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{NTLMDomain: "CORP"})
	srv.AddUser("bob", "pw-bob-secret")
	for _, tc := range []struct {
		name      string
		cfg       func(*Config)
		arm       func(*imapmem.Faults)
		wantMech  string
		wantErr   string
		wantWire  string // a command line imapmem received
		wantNotes string
	}{
		{name: "LOGIN", cfg: func(*Config) {}, wantMech: "LOGIN", wantWire: "P1 LOGIN <redacted>"},
		{name: "PLAIN with SASL-IR", cfg: func(c *Config) { c.AuthMech = "PLAIN" }, wantMech: "PLAIN", wantWire: "P1 AUTHENTICATE PLAIN <redacted>"},
		{name: "NTLM", cfg: func(c *Config) { c.Domain = "CORP" }, wantMech: "NTLM", wantWire: "P1 AUTHENTICATE NTLM <redacted>"},
		{name: "wrong password", cfg: func(c *Config) { c.Password = "nope-nope" }, wantErr: "Error login on [127.0.0.1] with user [bob] auth [LOGIN]"},
		{name: "authuser refused", cfg: func(c *Config) { c.AuthUser = "admin" }, wantErr: "[AUTHORIZATIONFAILED] SASL identity not supported"},
		{name: "trylogin after a refused PLAIN", cfg: func(c *Config) { c.AuthMech, c.TryLogin = "PLAIN", true },
			arm: func(f *imapmem.Faults) { f.RefuseCommand("AUTHENTICATE", 1, nil) }, wantMech: "LOGIN", wantWire: "P2 LOGIN <redacted>", wantNotes: "PLAIN failed, retrying with LOGIN"},
		{name: "mechanism not advertised", cfg: func(c *Config) { c.AuthMech = "CRAM-MD5" }, wantErr: "auth [CRAM-MD5]", wantNotes: "does not advertise AUTH=CRAM-MD5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := srv.Faults()
			f.Reset()
			f.ResetCounts()
			if tc.arm != nil {
				tc.arm(f)
			}
			var tr syncBuffer
			cfg := memConfig(srv, "bob", "pw-bob-secret", &tr)
			tc.cfg(cfg)
			c, err := Dial(context.Background(), cfg)
			mustNotContain(t, tr.String(), cfg.Password, base64.StdEncoding.EncodeToString([]byte("\x00bob\x00pw-bob-secret")))
			if tc.wantErr != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Stage != StageAuth || ce.ExitCode() != exitcode.AuthFailureUser2 || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want an auth failure with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Mech != tc.wantMech {
				t.Errorf("mech %q", c.Mech)
			}
			if !slices.Contains(f.Commands(), tc.wantWire) {
				t.Errorf("server received %q, want %q", f.Commands(), tc.wantWire)
			}
			if tc.wantNotes != "" && !strings.Contains(strings.Join(c.Notes, "\n"), tc.wantNotes) {
				t.Errorf("notes %q", c.Notes)
			}
			if !c.Caps().Has(imap.CapUIDPlus) {
				t.Errorf("authenticated caps %v", c.Caps())
			}
		})
	}
}

// TestAuthScripted covers the mechanisms imapmem lacks against a
// scripted server that checks what the client sends: XOAUTH2 (with and
// without SASL-IR, and its failure challenge), CRAM-MD5, PLAIN without
// SASL-IR, and the trace masking of each.
func TestAuthScripted(t *testing.T) {
	xoauth := base64.StdEncoding.EncodeToString([]byte("user=joe\x01auth=Bearer tok-abc-123\x01\x01"))
	cram := func(challenge string) string {
		m := hmac.New(md5.New, []byte("pw-joe-123"))
		m.Write([]byte(challenge))
		return base64.StdEncoding.EncodeToString([]byte("joe " + hex.EncodeToString(m.Sum(nil))))
	}
	const challenge = "<1896.697170952@imap.example>"
	plain := base64.StdEncoding.EncodeToString([]byte("\x00joe\x00pw-joe-123"))
	for _, tc := range []struct {
		name    string
		caps    string
		cfg     func(*Config)
		serve   func(sc *scriptConn, tag, rest string) bool // true: authenticated
		wantErr string
	}{
		{name: "XOAUTH2 with SASL-IR", caps: "IMAP4rev1 SASL-IR AUTH=XOAUTH2", cfg: func(c *Config) { c.OAuthAccessToken = "tok-abc-123" },
			serve: func(sc *scriptConn, tag, rest string) bool { return rest == "AUTHENTICATE XOAUTH2 "+xoauth }},
		{name: "XOAUTH2 without SASL-IR", caps: "IMAP4rev1 AUTH=XOAUTH2", cfg: func(c *Config) { c.OAuthAccessToken = "tok-abc-123" },
			serve: func(sc *scriptConn, tag, rest string) bool {
				if rest != "AUTHENTICATE XOAUTH2" {
					return false
				}
				sc.send("+ ")
				return sc.read() == xoauth
			}},
		{name: "XOAUTH2 refused", caps: "IMAP4rev1 SASL-IR AUTH=XOAUTH2", cfg: func(c *Config) { c.OAuthAccessToken = "tok-abc-123" },
			serve: func(sc *scriptConn, tag, rest string) bool {
				sc.send("+ " + base64.StdEncoding.EncodeToString([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`)))
				if sc.read() != "" {
					return false
				}
				sc.send(tag + " NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
				return false
			}, wantErr: "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"},
		{name: "CRAM-MD5", caps: "IMAP4rev1 SASL-IR AUTH=CRAM-MD5", cfg: func(c *Config) { c.AuthMech = "CRAM-MD5" },
			serve: func(sc *scriptConn, tag, rest string) bool {
				if rest != "AUTHENTICATE CRAM-MD5" {
					return false
				}
				sc.send("+ " + base64.StdEncoding.EncodeToString([]byte(challenge)))
				return sc.read() == cram(challenge)
			}},
		{name: "PLAIN without SASL-IR", caps: "IMAP4rev1 AUTH=PLAIN", cfg: func(c *Config) { c.AuthMech = "PLAIN" },
			serve: func(sc *scriptConn, tag, rest string) bool {
				if rest != "AUTHENTICATE PLAIN" {
					return false
				}
				sc.send("+ ")
				return sc.read() == plain
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startScript(t, func(sc *scriptConn) {
				sc.send("* OK [CAPABILITY " + tc.caps + "] ready")
				l := sc.read()
				tag, rest, _ := strings.Cut(l, " ")
				if !tc.serve(sc, tag, rest) {
					sc.send(tag + " NO [AUTHENTICATIONFAILED] unexpected " + rest)
					return
				}
				sc.send(tag + " OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in")
				sc.answerAll()
			})
			var tr syncBuffer
			cfg := s.config(&tr)
			tc.cfg(cfg)
			c, err := Dial(context.Background(), cfg)
			mustNotContain(t, tr.String(), "tok-abc-123", "pw-joe-123", xoauth, plain)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, tr.String())
			}
			defer c.Close()
			if !strings.Contains(tr.String(), "MASKED") {
				t.Errorf("trace shows no masking:\n%s", tr.String())
			}
			if err := c.Noop().Wait(); err != nil {
				t.Errorf("NOOP: %v", err)
			}
		})
	}
}

// TestCompressScripted swaps the socket for a deflating one after COMPRESS
// DEFLATE: the commands after it, from go-imap and from an Appender, go
// through the compressor; a refusal leaves the session uncompressed with
// a note; imapmem, which lacks COMPRESS, gets a note and no COMPRESS.
func TestCompressScripted(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		got := make(chan []string, 1)
		s := startScript(t, func(sc *scriptConn) {
			sc.send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready")
			tag, _, _ := strings.Cut(sc.read(), " ") // LOGIN
			sc.send(tag + " OK [CAPABILITY IMAP4rev1 UIDPLUS COMPRESS=DEFLATE] in")
			tag, _, _ = strings.Cut(sc.read(), " ")
			if refuse {
				sc.send(tag + " NO not now")
			} else {
				sc.send(tag + " OK DEFLATE active")
				sc.deflate()
			}
			sc.answerAll()
			got <- sc.lines
		})
		var tr syncBuffer
		cfg := s.config(&tr)
		cfg.Compress = true
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Noop().Wait(); err != nil {
			t.Fatalf("NOOP: %v", err)
		}
		c.Logout().Wait()
		c.Close()
		lines := <-got
		want := "compression is on"
		if refuse {
			want = "COMPRESS DEFLATE refused (NO not now): not compressing"
		}
		if !strings.Contains(strings.Join(c.Notes, "\n"), want) {
			t.Errorf("refuse=%v: notes %q", refuse, c.Notes)
		}
		if len(lines) < 3 || lines[1] != "P2 COMPRESS DEFLATE" || !strings.HasSuffix(lines[2], " NOOP") {
			t.Errorf("refuse=%v: server read %q", refuse, lines)
		}
		if !strings.Contains(tr.String(), "NOOP") {
			t.Errorf("the trace lost the commands after COMPRESS:\n%s", tr.String())
		}
	}

	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("bob", "pw-bob")
	cfg := memConfig(srv, "bob", "pw-bob", nil)
	cfg.Compress = true
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(strings.Join(c.Notes, "\n"), "does not offer COMPRESS=DEFLATE") || srv.Faults().Count("COMPRESS") != 0 {
		t.Errorf("notes %q, COMPRESS sent %d times", c.Notes, srv.Faults().Count("COMPRESS"))
	}
}

// TestInactivityTimeout: with --timeout, a command that gets no answer
// fails after the timeout, while an idle connection with nothing pending
// stays open however long it waits; a server that never greets fails the
// connection after the timeout.
func TestInactivityTimeout(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("bob", "pw-bob")
	cfg := memConfig(srv, "bob", "pw-bob", nil)
	cfg.Timeout = 300 * time.Millisecond
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(3 * cfg.Timeout) // idle: nothing pending
	if err := c.Noop().Wait(); err != nil {
		t.Fatalf("NOOP after idling: %v", err)
	}
	srv.Faults().Delay("NOOP", 5*time.Second)
	start := time.Now()
	err = c.Noop().Wait()
	if err == nil {
		t.Fatal("a NOOP answered after 5 s did not time out")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timed out after %v, want about %v", d, cfg.Timeout)
	}

	silent := startScript(t, func(sc *scriptConn) { sc.read() })
	scfg := silent.config(nil)
	scfg.Timeout = 300 * time.Millisecond
	start = time.Now()
	_, err = Dial(context.Background(), scfg)
	var ce *Error
	if !errors.As(err, &ce) || ce.Stage != StageConnect || !strings.Contains(err.Error(), "reading the greeting") {
		t.Fatalf("silent server: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("greeting timeout after %v", d)
	}
}
