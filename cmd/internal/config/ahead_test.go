package config

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestDialAhead: both logins start at once when nothing before the
// engine can change them: passwords on the command line or in the
// environment, no SSL probe due, no IMAP trace. EngineOptions hands them
// to the engine with their configurations, and abandoning them closes
// the connections. Otherwise nothing is dialled ahead.
func TestDialAhead(t *testing.T) {
	s1, s2 := imapmem.StartT(t, imapmem.Options{}), imapmem.StartT(t, imapmem.Options{})
	s1.AddUser("u1", "p1")
	s2.AddUser("u2", "p2")
	base := []string{"--host1", s1.Host(), "--port1", strconv.Itoa(s1.Port()), "--user1", "u1", "--password1", "p1",
		"--host2", s2.Host(), "--port2", strconv.Itoa(s2.Port()), "--user2", "u2", "--nostate"}
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	ctx := context.Background()
	waitClosed := func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for s1.ActiveConnections()+s2.ActiveConnections() != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := s1.ActiveConnections() + s2.ActiveConnections(); n != 0 {
			t.Errorf("%d connections left open", n)
		}
	}

	s := mustParse(t, append(base, "--password2", "p2")...)
	abandon := s.DialAhead(ctx, env(nil))
	if s.Dialed[0] == nil || s.Dialed[1] == nil {
		t.Fatalf("passwords on the command line: nothing dialled ahead")
	}
	o, cleanup, err := s.EngineOptions(ctx, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Host1 != s.Dialed[0].Config() || o.Host2 != s.Dialed[1].Config() || o.Dialed != s.Dialed {
		t.Errorf("EngineOptions does not hand over the logins begun ahead")
	}
	if o.Host2.Password != "p2" || o.Host2.User != "u2" || o.Host1.Port != s1.Port() {
		t.Errorf("configuration of the logins begun ahead: %+v", o.Host2)
	}
	cleanup()
	for i, p := range s.Dialed {
		if c, err, ok := p.Take(ctx); !ok || err != nil {
			t.Errorf("side %d: login begun ahead: %v", i+1, err)
		} else {
			c.Close()
		}
	}
	abandon() // taken: nothing left to do
	waitClosed()

	// The password from the environment.
	s = mustParse(t, base...)
	abandon = s.DialAhead(ctx, env(map[string]string{"IMAPSYNC_PASSWORD2": "p2"}))
	if s.Dialed[1] == nil || s.Host2.Password != "p2" {
		t.Errorf("password in the environment: dialled %v, password %q", s.Dialed[1] != nil, s.Host2.Password)
	}
	abandon()
	waitClosed()

	passfile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passfile, []byte("p2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"no password for user2": base,
		"--passfile2":           append(base, "--passfile2", passfile),
		"--debugimap2":          append(base, "--password2", "p2", "--debugimap2"),
		"SSL probe due":         {"--host1", s1.Host(), "--user1", "u1", "--password1", "p1", "--host2", s2.Host(), "--port2", strconv.Itoa(s2.Port()), "--user2", "u2", "--password2", "p2"},
		"--oauthaccesstoken1":   append(base, "--password2", "p2", "--oauthaccesstoken1", "tok"),
	} {
		s := mustParse(t, args...)
		abandon := s.DialAhead(ctx, env(nil))
		if s.Dialed[0] != nil || s.Dialed[1] != nil {
			t.Errorf("%s: dialled ahead", name)
		}
		abandon()
	}
	waitClosed()
}
