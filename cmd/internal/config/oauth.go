package config

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/oauth"
)

// OAuthAuthorityEnv names the environment variable that replaces the
// providers' login hosts (Microsoft's national clouds, or a test server).
const OAuthAuthorityEnv = "IMAPSHIFT_OAUTH_AUTHORITY"

// OAuthAppSecretEnv is the environment variable holding the client
// secret of --oauthappN when --oauthappsecretfileN is not given
// (IMAPSHIFT_OAUTHAPP_SECRET1 or _SECRET2 first, then this one).
const OAuthAppSecretEnv = "IMAPSHIFT_OAUTHAPP_SECRET"

// OAuthContext is the context of token requests: an HTTP client with a
// timeout, so that a provider that does not answer fails a login instead
// of hanging it.
func OAuthContext() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: 60 * time.Second})
}

// usesOAuth2 tells whether side n gets its tokens from imapshift itself.
func (h *HostOptions) usesOAuth2() bool {
	return h.OAuth != "" || h.OAuthServiceAccount != "" || h.OAuthApp != ""
}

// oauthSource returns the token source of side n from --oauthN,
// --oauthserviceaccountN or --oauthappN (nil when none is given), and
// the client secret it read, to be masked.
func (h *HostOptions) oauthSource(n int, getenv func(string) string) (oauth2.TokenSource, string, error) {
	d := strconv.Itoa(n)
	given := 0
	for _, v := range []string{h.OAuth, h.OAuthServiceAccount, h.OAuthApp, h.OAuthAccessToken, h.OAuthDirect} {
		if v != "" {
			given++
		}
	}
	if given > 1 {
		return nil, "", usageErrorf("--oauth%s, --oauthserviceaccount%s, --oauthapp%s, --oauthaccesstoken%s and --oauthdirect%s exclude each other", d, d, d, d, d)
	}
	if h.OAuthAppSecretFile != "" && h.OAuthApp == "" {
		return nil, "", usageErrorf("--oauthappsecretfile%s needs --oauthapp%s", d, d)
	}
	if !h.usesOAuth2() {
		return nil, "", nil
	}
	if h.User == "" {
		return nil, "", usageErrorf("OAuth2 on host%s needs --user%s (the mailbox)", d, d)
	}
	ctx := OAuthContext()
	authority := getenv(OAuthAuthorityEnv)
	switch {
	case h.OAuthServiceAccount != "":
		key, err := os.ReadFile(h.OAuthServiceAccount)
		if err != nil {
			return nil, "", exitcode.New(exitcode.NoInput, "Failure: can not read --oauthserviceaccount%s %s: %v", d, h.OAuthServiceAccount, unwrapPathError(err))
		}
		src, err := oauth.ServiceAccount(ctx, key, h.User)
		if err != nil {
			return nil, "", exitcode.Wrap(exitcode.Usage, fmt.Errorf("--oauthserviceaccount%s %s: %w", d, h.OAuthServiceAccount, err))
		}
		return src, "", nil
	case h.OAuthApp != "":
		tenant, client, ok := strings.Cut(h.OAuthApp, ":")
		if !ok || tenant == "" || client == "" {
			return nil, "", usageErrorf("--oauthapp%s %q: expected tenant:client-id", d, h.OAuthApp)
		}
		secret, err := h.appSecret(d, getenv)
		if err != nil {
			return nil, "", err
		}
		src, err := oauth.App(ctx, tenant, client, secret, authority)
		if err != nil {
			return nil, "", exitcode.Wrap(exitcode.Usage, err)
		}
		return src, secret, nil
	}
	path := h.OAuth
	if p, err := oauth.ParseProvider(h.OAuth); err == nil {
		if path, err = oauth.DefaultPath(p, h.User); err != nil {
			return nil, "", &oauth.Error{Line: err.Error(), Side: n}
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, "", &oauth.Error{Side: n, Line: fmt.Sprintf("OAuth2: no saved login of %s at %s: log in first with: imapshift oauth login --provider %s --user %s --client-id ID", h.User, p, p, h.User)}
		}
	}
	src, err := oauth.NewSavedSource(ctx, path)
	if err != nil {
		var oe *oauth.Error
		if errors.As(err, &oe) {
			oe.Side = n
			return nil, "", oe
		}
		return nil, "", &oauth.Error{Side: n, Line: err.Error(), Err: err}
	}
	if s := src.Saved(); !strings.EqualFold(s.User, h.User) {
		return nil, "", usageErrorf("--oauth%s %s is the login of %s, not of --user%s %s", d, path, s.User, d, h.User)
	}
	return src, src.Saved().ClientSecret, nil
}

// appSecret is the client secret of --oauthappN: the first line of
// --oauthappsecretfileN, else $IMAPSHIFT_OAUTHAPP_SECRETN, else
// $IMAPSHIFT_OAUTHAPP_SECRET.
func (h *HostOptions) appSecret(d string, getenv func(string) string) (string, error) {
	if h.OAuthAppSecretFile != "" {
		b, err := os.ReadFile(h.OAuthAppSecretFile)
		if err != nil {
			return "", exitcode.New(exitcode.NoInput, "Failure: can not read --oauthappsecretfile%s %s: %v", d, h.OAuthAppSecretFile, unwrapPathError(err))
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimSpace(line); line != "" {
			return line, nil
		}
		return "", usageErrorf("--oauthappsecretfile%s %s is empty", d, h.OAuthAppSecretFile)
	}
	for _, name := range []string{OAuthAppSecretEnv + d, OAuthAppSecretEnv} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v, nil
		}
	}
	return "", usageErrorf("--oauthapp%s needs the app's client secret: --oauthappsecretfile%s FILE, or $%s%s", d, d, OAuthAppSecretEnv, d)
}
