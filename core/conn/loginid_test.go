package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLoginCarriesID checks that ID rides in the same write as LOGIN when
// the greeting announces ID: the scripted server reads the ID line before
// it answers LOGIN (a client waiting for LOGIN's answer would never send
// it), answers both, and the session keeps LOGIN's capabilities and the
// server's ID. A refused LOGIN is still an authentication failure, with
// ID's answer read; a password that needs a literal, or ID turned off,
// sends LOGIN alone (ID then after the login, or never).
func TestLoginCarriesID(t *testing.T) {
	for _, tc := range []struct {
		name       string
		password   string
		id         bool
		refuse     bool
		wantPiped  bool
		wantIDSent bool
	}{
		{name: "pipelined", password: "pw-joe-123", id: true, wantPiped: true, wantIDSent: true},
		{name: "refused login", password: "pw-joe-123", id: true, refuse: true, wantPiped: true, wantIDSent: true},
		{name: "password needs a literal", password: "pw-jöe-123", id: true, wantIDSent: true},
		{name: "no ID asked", password: "pw-joe-123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var piped, idSent bool
			s := startScript(t, func(sc *scriptConn) {
				sc.send("* OK [CAPABILITY IMAP4rev1 ID LITERAL+ AUTH=PLAIN] ready")
				l := sc.read()
				ltag, rest, _ := strings.Cut(l, " ")
				if strings.HasSuffix(rest, "}") { // the password as a literal
					sc.send("+ go on")
					sc.read()
				}
				// Is ID already on its way, before LOGIN is answered?
				sc.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				next := sc.read()
				sc.c.SetReadDeadline(time.Now().Add(20 * time.Second))
				piped = strings.Contains(next, " ID (")
				answerID := func(l string) {
					idSent = true
					tag, _, _ := strings.Cut(l, " ")
					sc.send(`* ID ("name" "script")`, tag+" OK [CAPABILITY IMAP4rev1] ID done")
				}
				if tc.refuse {
					sc.send(ltag + " NO [AUTHENTICATIONFAILED] no")
				} else {
					sc.send(ltag + " OK [CAPABILITY IMAP4rev1 UIDPLUS ID] logged in")
				}
				if piped {
					answerID(next)
				} else if next != "" {
					t.Errorf("unexpected line %q before LOGIN's answer", next)
				}
				for {
					l := sc.read()
					if l == "" {
						return
					}
					tag, rest, _ := strings.Cut(l, " ")
					switch {
					case strings.HasPrefix(rest, "ID ("):
						answerID(l)
					case rest == "LOGOUT":
						sc.send("* BYE bye", tag+" OK done")
						return
					default:
						sc.send(tag + " OK done")
					}
				}
			})
			var tr syncBuffer
			cfg := s.config(&tr)
			cfg.Password, cfg.ID = tc.password, tc.id
			c, err := Dial(context.Background(), cfg)
			mustNotContain(t, tr.String(), tc.password)
			if tc.refuse {
				var ce *Error
				if !errors.As(err, &ce) || ce.Stage != StageAuth {
					t.Fatalf("error %v, want an authentication failure", err)
				}
				if !idSent {
					t.Errorf("the pipelined ID was not read")
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, tr.String())
			}
			if err := c.Noop().Wait(); err != nil {
				t.Errorf("NOOP: %v", err)
			}
			if !c.Caps().Has("UIDPLUS") {
				t.Errorf("the authenticated capabilities are lost: %v", c.Caps())
			}
			c.Close()
			s.ln.Close()
			s.wg.Wait()
			if piped != tc.wantPiped || idSent != tc.wantIDSent {
				t.Errorf("ID in LOGIN's write %v, ID sent %v; want %v, %v\n%s", piped, idSent, tc.wantPiped, tc.wantIDSent, tr.String())
			}
			if tc.wantIDSent && c.ServerID != `ID ("name" "script")` {
				t.Errorf("server ID %q", c.ServerID)
			}
			if !strings.Contains(tr.String(), "LOGIN \"joe\" MASKED") && tc.wantPiped {
				t.Errorf("trace:\n%s", tr.String())
			}
		})
	}
}
