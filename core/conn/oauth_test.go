package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/oauth"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
	"github.com/imapshift/imapshift/core/testenv/oauthfake"
)

// oauthPair is an OAuth authorization server and an IMAP server that
// checks its tokens.
func oauthPair(t *testing.T, o imapmem.OAuthOptions) (*oauthfake.Server, *imapmem.Server) {
	t.Helper()
	fake := oauthfake.StartT(t)
	o.Validate = fake.Validate
	srv := imapmem.StartT(t, imapmem.Options{OAuth: &o})
	srv.AddUser("ann@example.com", "unused-password")
	return fake, srv
}

func serviceSource(t *testing.T, fake *oauthfake.Server, user string) *countingSource {
	t.Helper()
	key, err := fake.NewServiceAccount("sa@proj.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	src, err := oauth.ServiceAccount(context.Background(), key, user)
	if err != nil {
		t.Fatal(err)
	}
	return &countingSource{src: src}
}

func TestOAuthMechanisms(t *testing.T) {
	for _, tc := range []struct {
		name     string
		bearer   bool
		noBearer bool
		want     string
		note     bool
	}{
		{"xoauth2 by default", false, false, "XOAUTH2", false},
		{"oauthbearer when asked and offered", true, false, "OAUTHBEARER", false},
		{"xoauth2 when oauthbearer is not offered", true, true, "XOAUTH2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := oauthPair(t, imapmem.OAuthOptions{NoOAuthBearer: tc.noBearer})
			src := serviceSource(t, fake, "ann@example.com")
			var tr syncBuffer
			cfg := &Config{Side: 1, Host: srv.Host(), Port: srv.Port(), Mode: TLSNone, User: "ann@example.com", OAuth: src, OAuthBearer: tc.bearer, Timeout: 10 * time.Second, Trace: &tr}
			c, err := Dial(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Mech != tc.want {
				t.Fatalf("mechanism %s, want %s", c.Mech, tc.want)
			}
			if got := strings.Contains(strings.Join(c.Notes, "\n"), "OAUTHBEARER"); got != tc.note {
				t.Fatalf("notes %q", c.Notes)
			}
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			st := srv.OAuthStats()
			if (tc.want == "XOAUTH2") != (st.XOAuth2 == 1) || (tc.want == "OAUTHBEARER") != (st.OAuthBearer == 1) {
				t.Fatalf("server saw %+v", st)
			}
			for _, tok := range src.tokens {
				if strings.Contains(tr.String(), tok) {
					t.Fatal("token in the trace")
				}
			}
			if !strings.Contains(tr.String(), "AUTHENTICATE "+tc.want) {
				t.Fatalf("trace:\n%s", tr.String())
			}
		})
	}
}

// TestOAuthTokenPerConnection: each connection asks the source, which
// refreshes an expired token: a token that has expired is never sent.
func TestOAuthTokenPerConnection(t *testing.T) {
	fake, srv := oauthPair(t, imapmem.OAuthOptions{})
	fake.SetLifetime(time.Second)
	src := serviceSource(t, fake, "ann@example.com")
	cfg := &Config{Side: 2, Host: srv.Host(), Port: srv.Port(), Mode: TLSNone, User: "ann@example.com", OAuth: src, Timeout: 10 * time.Second}
	for i := 0; i < 3; i++ {
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Close()
		time.Sleep(1100 * time.Millisecond)
	}
	if n := fake.Subjects()["ann@example.com"]; n != 3 {
		t.Fatalf("%d tokens minted for 3 connections over 3 s with 1 s tokens", n)
	}
}

func TestOAuthRefusedTokenIsALoginFailure(t *testing.T) {
	fake, srv := oauthPair(t, imapmem.OAuthOptions{})
	src := serviceSource(t, fake, "someone-else@example.com") // a token of another mailbox
	cfg := &Config{Side: 2, Host: srv.Host(), Port: srv.Port(), Mode: TLSNone, User: "ann@example.com", OAuth: src, Timeout: 10 * time.Second}
	_, err := Dial(context.Background(), cfg)
	var ce *Error
	if !errors.As(err, &ce) || ce.Stage != StageAuth || ce.ExitCode() != exitcode.AuthFailureUser2 {
		t.Fatalf("%v", err)
	}
	// A source that cannot give a token: the same, with its one line.
	fake.FailNext(oauthfake.GrantJWT, 1, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method.", 0)
	cfg.OAuth = serviceSource(t, fake, "ann@example.com")
	_, err = Dial(context.Background(), cfg)
	if exitcode.Of(err) != exitcode.AuthFailureUser2 || !strings.Contains(err.Error(), "Domain-wide delegation") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("%v", err)
	}
}

// TestTokenExpiredAnswers: each way a server ends a session whose token
// expired is recognised, on the go-imap client and on the Appender.
func TestTokenExpiredAnswers(t *testing.T) {
	for _, style := range []imapmem.ExpiryStyle{imapmem.GmailBye, imapmem.GmailNo, imapmem.MicrosoftBye, imapmem.MicrosoftFail} {
		fake, srv := oauthPair(t, imapmem.OAuthOptions{Style: style, AfterCommands: 2})
		cfg := &Config{Side: 1, Host: srv.Host(), Port: srv.Port(), Mode: TLSNone, User: "ann@example.com", OAuth: serviceSource(t, fake, "ann@example.com"), Timeout: 10 * time.Second}
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for i := 0; i < 4 && last == nil; i++ {
			_, last = c.Select("INBOX", nil).Wait()
		}
		bye := style == imapmem.GmailBye || style == imapmem.MicrosoftBye
		if bye {
			// go-imap reports the BYE as the end of the connection, which
			// callers treat as any lost connection.
			select {
			case <-c.Closed():
			case <-time.After(5 * time.Second):
				t.Fatalf("style %d: connection still open after %v", style, last)
			}
		} else if !TokenExpired(last) {
			t.Fatalf("style %d: %v (%T) not recognised", style, last, last)
		}
		c.Close()
		a, err := DialAppender(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var res []AppendResult
		for i := 0; i < 4 && a.Err() == nil; i++ {
			done := make(chan struct{})
			err := a.Append("INBOX", nil, time.Time{}, 4, strings.NewReader("x\r\n\r"), func(r AppendResult) { res = append(res, r); close(done) })
			if err != nil {
				break
			}
			<-done
		}
		if a.Err() == nil {
			t.Fatalf("style %d: the Appender goes on after the session ended", style)
		}
		a.Close()
		if st := srv.OAuthStats(); st.Expired < 2 {
			t.Fatalf("style %d: %+v", style, st)
		}
		_ = res
	}
}

// countingSource records the tokens it gave.
type countingSource struct {
	src    oauth2.TokenSource
	tokens []string
}

func (c *countingSource) Token() (*oauth2.Token, error) {
	t, err := c.src.Token()
	if err == nil {
		c.tokens = append(c.tokens, t.AccessToken)
	}
	return t, err
}
