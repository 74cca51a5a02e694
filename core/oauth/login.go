package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Flow chooses how Login asks the user to sign in.
type Flow string

const (
	// FlowAuto tries the device flow and falls back to the browser flow
	// when the provider refuses it (Google does for the mail scope).
	FlowAuto Flow = "auto"
	// FlowDevice is the device authorization grant (RFC 8628): a URL and
	// a code to enter there, from any device. Works over SSH.
	FlowDevice Flow = "device"
	// FlowBrowser is the authorization code with PKCE, redirected to a
	// listener on 127.0.0.1: the browser must run on this machine (or
	// reach its loopback through an SSH tunnel).
	FlowBrowser Flow = "browser"
)

// LoginOptions says whom Login signs in and how.
type LoginOptions struct {
	Provider     Provider
	User         string
	ClientID     string
	ClientSecret string // Google "desktop app" clients have one; Microsoft public clients none
	Tenant       string // Microsoft: the tenant ("common" when empty)
	Authority    string // replaces the provider's host (see Endpoint)
	Flow         Flow   // "" is FlowAuto
	// Out receives the instructions for the user (the URL to open, the
	// code to enter). Never a token.
	Out io.Writer
	// Opened, when set, is told the URL the user must open in the browser
	// flow (a test follows it; a caller may start a browser).
	Opened func(url string)
}

// Login signs the user in interactively and returns the login to save.
// The provider must return a refresh token (offline access).
func Login(ctx context.Context, o LoginOptions) (*Saved, error) {
	if o.ClientID == "" {
		return nil, &Error{Line: "OAuth2: a client ID is needed (--client-id): register an app as the README (OAuth2) says"}
	}
	ep, err := Endpoint(o.Provider, o.Tenant, o.Authority)
	if err != nil {
		return nil, err
	}
	cfg := &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: ep, Scopes: o.Provider.Scopes()}
	saved := &Saved{Provider: o.Provider, User: o.User, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Tenant: o.Tenant, Authority: o.Authority, Scopes: cfg.Scopes}
	relogin := saved.Relogin()
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	flow := o.Flow
	if flow == "" {
		flow = FlowAuto
	}
	var tok *oauth2.Token
	switch flow {
	case FlowDevice, FlowAuto:
		tok, err = deviceLogin(ctx, cfg, out)
		if err != nil && flow == FlowAuto && deviceRefused(err) {
			fmt.Fprintf(out, "The provider does not allow the device flow for this app and scope (%s); using the browser flow.\n", firstLine(explainCode(err)))
			tok, err = browserLogin(ctx, cfg, o, out)
		}
	case FlowBrowser:
		tok, err = browserLogin(ctx, cfg, o, out)
	default:
		return nil, fmt.Errorf("OAuth2: unknown flow %q (auto, device or browser)", flow)
	}
	if err != nil {
		return nil, Explain(err, relogin)
	}
	if tok.RefreshToken == "" {
		return nil, &Error{Line: "OAuth2: the provider gave no refresh token (offline access): a run longer than an hour would stop; check the app's scopes and log in again"}
	}
	saved.Token = tok
	return saved, nil
}

// deviceRefused tells whether the device flow cannot be used at all
// (as opposed to the user not finishing it).
func deviceRefused(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "invalid_scope", "unauthorized_client", "invalid_client", "invalid_request", "unsupported_grant_type":
			return true
		}
		return re.ErrorCode == "" // an HTTP error without an OAuth2 one
	}
	return errors.Is(err, errNoDeviceEndpoint)
}

func explainCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return re.ErrorCode
	}
	return err.Error()
}

var errNoDeviceEndpoint = errors.New("the provider has no device endpoint")

// deviceLogin runs the device authorization grant: x/oauth2 asks for the
// codes and polls, honouring authorization_pending and slow_down.
func deviceLogin(ctx context.Context, cfg *oauth2.Config, out io.Writer) (*oauth2.Token, error) {
	if cfg.Endpoint.DeviceAuthURL == "" {
		return nil, errNoDeviceEndpoint
	}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, err
	}
	// The user code is meant to be typed by the user; the device code is
	// a secret and never printed.
	fmt.Fprintf(out, "To sign in, open %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	if !da.Expiry.IsZero() {
		fmt.Fprintf(out, "Waiting for the sign-in (the code expires at %s)...\n", da.Expiry.Local().Format("15:04:05"))
	}
	return cfg.DeviceAccessToken(ctx, da)
}

// browserLogin runs the authorization code flow with PKCE (S256) on a
// loopback redirect http://127.0.0.1:PORT/.
func browserLogin(ctx context.Context, cfg *oauth2.Config, o LoginOptions, out io.Writer) (*oauth2.Token, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot listen on the loopback for the redirect: %w", err)
	}
	defer ln.Close()
	c := *cfg
	c.RedirectURL = fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	state := randomString()
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)}
	if o.User != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", o.User))
	}
	if o.Provider == Google {
		// Google returns a refresh token only with consent given anew.
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	authURL := c.AuthCodeURL(state, opts...)

	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != state {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		var res result
		if e := q.Get("error"); e != "" {
			res.err = &oauth2.RetrieveError{ErrorCode: e, ErrorDescription: q.Get("error_description")}
			fmt.Fprintf(w, "<p>Sign-in failed: %s. You can close this window.</p>", html.EscapeString(e))
		} else {
			res.code = q.Get("code")
			fmt.Fprint(w, "<p>imapshift is signed in. You can close this window.</p>")
		}
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	fmt.Fprintf(out, "Open this URL in a browser on this machine and sign in as %s:\n%s\nWaiting for the redirect to %s ...\n", o.User, authURL, c.RedirectURL)
	if o.Opened != nil {
		go o.Opened(authURL)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-got:
		if res.err != nil {
			return nil, res.err
		}
		return c.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	}
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
