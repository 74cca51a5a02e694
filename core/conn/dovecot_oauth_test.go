package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/oauthfake"
)

// TestOAuthOnDovecot: Dovecot's oauth2 passdb validates the tokens
// through the fake's introspection URL: XOAUTH2 and OAUTHBEARER logins
// with a service account's token for user1 work, a token of another user
// or an expired one is refused as a login failure.
func TestOAuthOnDovecot(t *testing.T) {
	fake := oauthfake.StartT(t)
	d := dovecot.StartT(t, dovecot.Options{OAuth2IntrospectionURL: fake.URL + "/introspect"})
	for _, bearer := range []bool{false, true} {
		var tr syncBuffer
		src := serviceSource(t, fake, "user1")
		cfg := &Config{Side: 1, Host: d.Host, Port: d.Port, Mode: TLSNone, User: "user1", OAuth: src, OAuthBearer: bearer, Timeout: 30 * time.Second, Trace: &tr}
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Fatalf("bearer %v: %v\n%s", bearer, err, tr.String())
		}
		want := map[bool]string{false: "XOAUTH2", true: "OAUTHBEARER"}[bearer]
		if c.Mech != want {
			t.Fatalf("mechanism %s, want %s", c.Mech, want)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		c.Logout().Wait()
		c.Close()
		for _, tok := range src.tokens {
			if strings.Contains(tr.String(), tok) {
				t.Fatal("token in the trace")
			}
		}
	}
	// A token of user2 presented for user1.
	cfg := &Config{Side: 2, Host: d.Host, Port: d.Port, Mode: TLSNone, User: "user1", OAuth: serviceSource(t, fake, "user2"), Timeout: 30 * time.Second}
	_, err := Dial(context.Background(), cfg)
	var ce *Error
	if !errors.As(err, &ce) || ce.Stage != StageAuth {
		t.Fatalf("another user's token: %v", err)
	}
	// An expired token (from a file an outside tool stopped refreshing).
	fake.SetLifetime(time.Second)
	tok := fake.Issue("user1")
	time.Sleep(1500 * time.Millisecond)
	cfg = &Config{Side: 2, Host: d.Host, Port: d.Port, Mode: TLSNone, User: "user1", OAuthAccessToken: tok, Timeout: 30 * time.Second}
	if _, err = Dial(context.Background(), cfg); !errors.As(err, &ce) || ce.Stage != StageAuth {
		t.Fatalf("expired token: %v", err)
	}
}
