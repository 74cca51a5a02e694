package imapmem

// OAuth mode: the server takes XOAUTH2 and OAUTHBEARER logins whose
// bearer token the configured validator (an authorization server such as
// testenv/oauthfake) accepts for the user, and ends the sessions whose
// token has expired the way Gmail or Exchange Online do.

import (
	"bytes"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"
)

// ExpiryStyle is how a session whose token expired is ended.
type ExpiryStyle int

const (
	// GmailBye: the next command gets "* BYE Session expired, please
	// login again." and the connection is closed.
	GmailBye ExpiryStyle = iota
	// GmailNo: every command from then on gets "NO [AUTHENTICATIONFAILED]
	// Invalid credentials (Failure)"; the connection stays open.
	GmailNo
	// MicrosoftBye: "* BYE Session invalidated - AccessTokenExpired", and
	// the connection is closed.
	MicrosoftBye
	// MicrosoftFail: every command from then on gets "BAD User is
	// authenticated but not connected."; the connection stays open.
	MicrosoftFail
)

// OAuthOptions turns the OAuth mode on (Options.OAuth).
type OAuthOptions struct {
	// Validate checks token for user's mailbox and returns its expiry
	// (e.g. (*oauthfake.Server).Validate).
	Validate func(token, user string) (time.Time, error)
	// Style is how expired sessions end.
	Style ExpiryStyle
	// AfterCommands, when positive, also ends a session after that many
	// commands following its login, whatever its token's expiry.
	AfterCommands int
	// NoOAuthBearer leaves OAUTHBEARER out (Gmail offers both, Exchange
	// Online only XOAUTH2).
	NoOAuthBearer bool
}

// oauthState is the token state of one session.
type oauthState struct {
	mu       sync.Mutex
	expiry   time.Time
	commands int
	expired  bool
}

// OAuthStats counts the logins by mechanism and the sessions ended for an
// expired token.
type OAuthStats struct {
	XOAuth2, OAuthBearer, Expired, Refused int
}

func (s *Server) oauthMechs() []string {
	o := s.opts.OAuth
	if o == nil {
		return nil
	}
	if o.NoOAuthBearer {
		return []string{"XOAUTH2"}
	}
	return []string{"XOAUTH2", "OAUTHBEARER"}
}

// OAuthStats returns the OAuth counters.
func (s *Server) OAuthStats() OAuthStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.oauthStats
}

func (s *Server) countOAuth(f func(*OAuthStats)) {
	s.mu.Lock()
	f(&s.oauthStats)
	s.mu.Unlock()
}

// oauthLogin logs the session in as user when token is valid for it.
func (s *session) oauthLogin(mech, user, token string) error {
	o := s.srv.opts.OAuth
	exp, err := o.Validate(token, user)
	if err != nil {
		s.srv.countOAuth(func(st *OAuthStats) { st.Refused++ })
		return imapserver.ErrAuthFailed
	}
	u := s.srv.User(user)
	if u == nil {
		return imapserver.ErrAuthFailed
	}
	if err := s.enter(u); err != nil {
		return err
	}
	s.oauth = &oauthState{expiry: exp}
	s.srv.countOAuth(func(st *OAuthStats) {
		if mech == "XOAUTH2" {
			st.XOAuth2++
		} else {
			st.OAuthBearer++
		}
	})
	return nil
}

// xoauth2Server is Google's XOAUTH2: one initial response
// "user=U\x01auth=Bearer T\x01\x01"; a refusal is an error challenge, to
// which the client answers with an empty response.
type xoauth2Server struct {
	s      *session
	failed error
}

var xoauth2Challenge = []byte(`{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`)

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed != nil {
		return nil, true, x.failed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, f := range bytes.Split(resp, []byte{1}) {
		k, v, _ := strings.Cut(string(f), "=")
		switch k {
		case "user":
			user = v
		case "auth":
			token, _ = strings.CutPrefix(v, "Bearer ")
		}
	}
	if err := x.s.oauthLogin("XOAUTH2", user, token); err != nil {
		x.failed = err
		return xoauth2Challenge, false, nil
	}
	return nil, true, nil
}

func (s *session) oauthBearerServer() sasl.Server {
	return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		if err := s.oauthLogin("OAUTHBEARER", o.Username, o.Token); err != nil {
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		}
		return nil
	})
}

// expiredAnswer is the answer to command name when the session's token
// has expired (or its command budget is spent), nil otherwise.
func (s *session) expiredAnswer(name string) *imap.Error {
	o := s.srv.opts.OAuth
	if o == nil || s.oauth == nil || name == "LOGOUT" {
		return nil
	}
	st := s.oauth
	st.mu.Lock()
	st.commands++
	over := time.Now().After(st.expiry) || (o.AfterCommands > 0 && st.commands > o.AfterCommands)
	first := over && !st.expired
	st.expired = st.expired || over
	st.mu.Unlock()
	if !over {
		return nil
	}
	if first {
		s.srv.countOAuth(func(st *OAuthStats) { st.Expired++ })
	}
	switch o.Style {
	case GmailNo:
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials (Failure)"}
	case MicrosoftBye:
		return &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Session invalidated - AccessTokenExpired"}
	case MicrosoftFail:
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "User is authenticated but not connected."}
	}
	return &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Session expired, please login again."}
}
