package oauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/google"
)

// SavedSource is an oauth2.TokenSource over a saved login. Every Token
// call reads the file again when it changed (an outside tool may rewrite
// it), returns its access token while it is valid (x/oauth2's margin: ten
// seconds before its expiry), and otherwise refreshes it through the
// provider's token endpoint and writes the new token back. It is safe for
// concurrent use: one refresh at a time.
type SavedSource struct {
	ctx  context.Context
	path string

	mu    sync.Mutex
	saved *Saved
	mod   time.Time
	size  int64
}

// NewSavedSource opens the saved login at path. ctx carries the HTTP
// client of the token requests (oauth2.HTTPClient) and bounds them.
func NewSavedSource(ctx context.Context, path string) (*SavedSource, error) {
	s := &SavedSource{ctx: ctx, path: path}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Saved returns the login as last read (tokens included: do not print).
func (s *SavedSource) Saved() *Saved {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saved
}

func (s *SavedSource) reload() error {
	st, err := os.Stat(s.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("OAuth2: %w in %s", ErrNoLogin, s.path)
		}
		return fmt.Errorf("OAuth2: %w", err)
	}
	if s.saved != nil && st.ModTime().Equal(s.mod) && st.Size() == s.size {
		return nil
	}
	saved, err := Load(s.path)
	if err != nil {
		return err
	}
	s.saved, s.mod, s.size = saved, st.ModTime(), st.Size()
	return nil
}

// Token returns a valid access token, refreshed and saved when needed.
// Its errors are Explain's one-liners.
func (s *SavedSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(); err != nil {
		return nil, err
	}
	if s.saved.Token.Valid() {
		return s.saved.Token, nil
	}
	if s.saved.Token.RefreshToken == "" {
		return nil, &Error{Line: fmt.Sprintf("OAuth2: the access token of %s in %s has expired and there is no refresh token: log in again with: %s", s.saved.User, s.path, s.saved.Relogin())}
	}
	cfg, err := s.saved.Config()
	if err != nil {
		return nil, err
	}
	// An expired token makes x/oauth2 use its refresh token (and keep it
	// when the answer carries no new one).
	tok, err := cfg.TokenSource(s.ctx, s.saved.Token).Token()
	if err != nil {
		return nil, Explain(err, s.saved.Relogin())
	}
	next := *s.saved
	next.Token = tok
	if err := Save(s.path, &next); err != nil {
		return nil, err
	}
	s.saved = &next
	if st, err := os.Stat(s.path); err == nil {
		s.mod, s.size = st.ModTime(), st.Size()
	}
	return tok, nil
}

// ServiceAccount returns the token source of user through a Google
// service account with domain-wide delegation: keyJSON is the account's
// JSON key, and each token is a JWT-bearer grant whose subject is user,
// for https://mail.google.com/. Tokens are reused until they expire.
func ServiceAccount(ctx context.Context, keyJSON []byte, user string) (oauth2.TokenSource, error) {
	cfg, err := google.JWTConfigFromJSON(keyJSON, GoogleMailScope)
	if err != nil {
		return nil, fmt.Errorf("OAuth2: the service account key is not usable: %v", err)
	}
	cfg.Subject = user
	remedy := fmt.Sprintf("check in the Google Admin console (Security > Access and data control > API controls > Domain-wide delegation) that client %s has the scope %s, and that %s exists", cfg.Email, GoogleMailScope, user)
	return &explained{src: cfg.TokenSource(ctx), service: remedy}, nil
}

// App returns the app-only token source of a Microsoft 365 app (client
// credentials grant, scope https://outlook.office365.com/.default) in
// tenant. authority replaces the login host (see Endpoint).
func App(ctx context.Context, tenant, clientID, secret, authority string) (oauth2.TokenSource, error) {
	ep, err := Endpoint(Microsoft, tenant, authority)
	if err != nil {
		return nil, err
	}
	cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: ep.TokenURL, Scopes: []string{MicrosoftAppScope}}
	remedy := fmt.Sprintf("check that app %s in tenant %s has the application permission IMAP.AccessAsApp with admin consent, and that Exchange knows its service principal (see the README, OAuth2)", clientID, tenant)
	return &explained{src: cfg.TokenSource(ctx), service: remedy}, nil
}

// explained passes a token source's errors through Explain.
type explained struct {
	src     oauth2.TokenSource
	service string
}

func (e *explained) Token() (*oauth2.Token, error) {
	t, err := e.src.Token()
	if err != nil {
		return nil, explain(err, "", e.service)
	}
	return t, nil
}
