package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Saved is a login kept on disk: what is needed to refresh the access
// token of one user at one provider. The file holds the refresh token and
// the client secret: it is written with mode 0600.
type Saved struct {
	Provider     Provider `json:"provider"`
	User         string   `json:"user"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Tenant       string   `json:"tenant,omitempty"`
	// Authority replaces the provider's host (see Endpoint).
	Authority string        `json:"authority,omitempty"`
	Scopes    []string      `json:"scopes"`
	Token     *oauth2.Token `json:"token"`
}

// Config returns the oauth2 configuration that refreshes s's token.
func (s *Saved) Config() (*oauth2.Config, error) {
	ep, err := Endpoint(s.Provider, s.Tenant, s.Authority)
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, Endpoint: ep, Scopes: s.Scopes}, nil
}

// Relogin is the command that makes this login again.
func (s *Saved) Relogin() string {
	c := fmt.Sprintf("imapshift oauth login --provider %s --user %s --client-id %s", s.Provider, s.User, s.ClientID)
	if s.Tenant != "" {
		c += " --tenant " + s.Tenant
	}
	return c
}

// Dir is the directory of saved logins: os.UserConfigDir()/imapshift/oauth
// ($XDG_CONFIG_HOME/imapshift/oauth on Linux).
func Dir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("OAuth2: no configuration directory for saved logins: %w", err)
	}
	return filepath.Join(d, "imapshift", "oauth"), nil
}

// DefaultPath is the file of the saved login of user at p:
// Dir()/<provider>-<user>.json.
func DefaultPath(p Provider, user string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, FileName(p, user)), nil
}

// FileName is "<provider>-<user>.json", with characters that cannot be in
// a file name replaced by "_".
func FileName(p Provider, user string) string {
	clean := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, strings.ToLower(user))
	return string(p) + "-" + clean + ".json"
}

// Save writes s to path with mode 0600, creating its directory (0700),
// through a temporary file renamed over path, so a reader never sees half
// a file.
func Save(path string, s *Saved) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("OAuth2: saving the login: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("OAuth2: saving the login: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("OAuth2: saving the login: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("OAuth2: saving the login: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("OAuth2: saving the login: %w", err)
	}
	return nil
}

// ErrNoLogin is wrapped by Load when there is no saved login at path.
var ErrNoLogin = errors.New("no saved login")

// Load reads the saved login at path.
func Load(path string) (*Saved, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("OAuth2: %w in %s", ErrNoLogin, path)
	}
	if err != nil {
		return nil, fmt.Errorf("OAuth2: %w", err)
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("OAuth2: %s is not a saved login: %v", path, err)
	}
	if s.Token == nil || (s.Token.AccessToken == "" && s.Token.RefreshToken == "") {
		return nil, fmt.Errorf("OAuth2: %s holds no token", path)
	}
	if s.Provider != Google && s.Provider != Microsoft {
		return nil, fmt.Errorf("OAuth2: %s: unknown provider %q", path, s.Provider)
	}
	return &s, nil
}

// Entry is one saved login as List shows it: never its tokens.
type Entry struct {
	Path     string
	Provider Provider
	User     string
	Tenant   string
	Scopes   []string
	// Expiry is that of the access token saved (zero: unknown).
	Expiry time.Time
	// Refreshable tells whether a refresh token is saved.
	Refreshable bool
}

// List returns the saved logins in dir, sorted by provider and user.
// Files that are not saved logins are skipped. A missing dir is no login.
func List(dir string) ([]Entry, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range names {
		s, err := Load(p)
		if err != nil {
			continue
		}
		out = append(out, Entry{Path: p, Provider: s.Provider, User: s.User, Tenant: s.Tenant, Scopes: s.Scopes,
			Expiry: s.Token.Expiry, Refreshable: s.Token.RefreshToken != ""})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(string(a.Provider), string(b.Provider)); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	return out, nil
}
