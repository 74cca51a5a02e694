// Package oauthfake is an OAuth2 authorization server for tests: a real
// HTTP server on 127.0.0.1 that speaks the protocol to golang.org/x/oauth2
// as Google's and Microsoft's endpoints do, with the paths of both (so an
// authority override of oauth.Endpoint points either provider at it):
//
//	Google:    /o/oauth2/auth, /token, /device/code
//	Microsoft: /{tenant}/oauth2/v2.0/authorize, /token, /devicecode
//	both:      /introspect (RFC 7662, for Dovecot's oauth2 passdb)
//
// Grants: authorization code with PKCE (S256, the verifier checked),
// device code (RFC 8628, with authorization_pending and slow_down),
// refresh token, JWT bearer (RFC 7523: the assertion's RS256 signature is
// checked against the service account's key, its aud, exp and sub) and
// client credentials. Access tokens are opaque, live Lifetime, and are
// checked by Validate (the in-process IMAP server's OAuth mode) or by
// /introspect. Error answers can be queued (FailNext) and refresh tokens
// revoked, to test how clients explain them.
package oauthfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is a running fake authorization server.
type Server struct {
	// URL is "http://127.0.0.1:PORT", the authority to give oauth.Endpoint.
	URL string
	// Tenant is the only Microsoft tenant that exists ("common" and
	// "organizations" are accepted too). Default "contoso".
	Tenant string

	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	lifetime time.Duration
	clients  map[string]*client
	keys     map[string]*rsa.PublicKey // service account email → key
	apps     map[string]bool           // client IDs allowed client credentials
	access   map[string]*grant         // access token → grant
	refresh  map[string]*grant         // refresh token → grant
	codes    map[string]*authCode
	devices  map[string]*device // device code → state
	users    map[string]string  // user code → device code
	failures []failure
	slowDown int
	issued   map[string]int // grant type → tokens issued
	subjects map[string]int // JWT sub → tokens issued
	requests []url.Values   // token requests, for tests checking what was sent
	secrets  []string
}

type client struct {
	secret string
	public bool
}

type grant struct {
	user, client string
	scopes       []string
	expiry       time.Time
	app          bool // app-only token (client credentials): any granted mailbox
}

type authCode struct {
	client, redirect, challenge, user string
	scopes                            []string
}

type device struct {
	client   string
	scopes   []string
	user     string // set once approved
	denied   bool
	userCode string
}

type failure struct {
	grantType  string // "" any
	code, desc string
	status     int
	persistent bool
}

// Start starts a server; Close stops it.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL: "http://" + ln.Addr().String(), Tenant: "contoso", ln: ln,
		lifetime: time.Hour,
		clients:  map[string]*client{}, keys: map[string]*rsa.PublicKey{}, apps: map[string]bool{},
		access: map[string]*grant{}, refresh: map[string]*grant{}, codes: map[string]*authCode{},
		devices: map[string]*device{}, users: map[string]string{}, issued: map[string]int{}, subjects: map[string]int{},
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// TB is the part of testing.TB StartT uses.
type TB interface {
	Helper()
	Fatalf(string, ...any)
	Cleanup(func())
}

// StartT starts a server closed at the end of the test.
func StartT(t TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatalf("oauthfake: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// SetLifetime sets the lifetime of the access tokens issued from now on
// (whole seconds on the wire, at least one).
func (s *Server) SetLifetime(d time.Duration) {
	s.mu.Lock()
	s.lifetime = d
	s.mu.Unlock()
}

// AddClient registers an OAuth client. A public client (Microsoft's
// "mobile and desktop" apps) has no secret; a confidential one must send
// it.
func (s *Server) AddClient(id, secret string) {
	s.mu.Lock()
	s.clients[id] = &client{secret: secret, public: secret == ""}
	s.mu.Unlock()
}

// AddApp registers a confidential client allowed the client credentials
// grant (a Microsoft app with IMAP.AccessAsApp): its tokens open any
// mailbox.
func (s *Server) AddApp(id, secret string) {
	s.mu.Lock()
	s.clients[id] = &client{secret: secret}
	s.apps[id] = true
	s.mu.Unlock()
}

// NewServiceAccount creates a service account (with domain-wide
// delegation) and returns its JSON key file, in Google's format, whose
// token_uri is this server's /token.
func (s *Server) NewServiceAccount(email string) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.keys[email] = &key.PublicKey
	s.mu.Unlock()
	return json.MarshalIndent(map[string]string{
		"type":           "service_account",
		"project_id":     "imapshift-test",
		"private_key_id": "k1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   email,
		"client_id":      "1000",
		"auth_uri":       s.URL + "/o/oauth2/auth",
		"token_uri":      s.URL + "/token",
	}, "", "  ")
}

// FailNext makes the next n token requests of grantType (a grant_type
// value such as "refresh_token", or "" for any) answer status (400 when
// 0) with the OAuth2 error code and description. n < 0: all of them until
// ClearFailures.
func (s *Server) FailNext(grantType string, n int, code, desc string, status int) {
	if status == 0 {
		status = http.StatusBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		s.failures = append(s.failures, failure{grantType: grantType, code: code, desc: desc, status: status, persistent: true})
		return
	}
	for range n {
		s.failures = append(s.failures, failure{grantType: grantType, code: code, desc: desc, status: status})
	}
}

// ClearFailures drops the queued error answers.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	s.failures = nil
	s.mu.Unlock()
}

// SlowDown makes the next n device-code polls answer slow_down.
func (s *Server) SlowDown(n int) {
	s.mu.Lock()
	s.slowDown = n
	s.mu.Unlock()
}

// RevokeUser revokes every refresh and access token of user (the user
// changed the password, or an admin revoked the app).
func (s *Server) RevokeUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, g := range s.refresh {
		if g.user == user {
			delete(s.refresh, k)
		}
	}
	for k, g := range s.access {
		if g.user == user {
			delete(s.access, k)
		}
	}
}

// Approve signs user in on the device whose user code is userCode, as
// the user would on the verification page. It reports whether the code is
// pending.
func (s *Server) Approve(userCode, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.users[userCode]
	if !ok {
		return false
	}
	s.devices[dc].user = user
	return true
}

// Deny declines the sign-in of the device whose user code is userCode.
func (s *Server) Deny(userCode string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.users[userCode]
	if ok {
		s.devices[dc].denied = true
	}
	return ok
}

// Issue mints an access token for user directly (as an outside tool
// would have got one), valid for the current lifetime.
func (s *Server) Issue(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.newToken()
	s.access[tok] = &grant{user: user, expiry: time.Now().Add(s.lifetime)}
	return tok
}

// Validate checks an access token presented for user's mailbox: it must
// exist, be unexpired, and be the user's (or an app's). It returns the
// token's expiry.
func (s *Server) Validate(token, user string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.access[token]
	switch {
	case g == nil:
		return time.Time{}, fmt.Errorf("unknown token")
	case time.Now().After(g.expiry):
		return time.Time{}, fmt.Errorf("token expired")
	case !g.app && !strings.EqualFold(g.user, user):
		return time.Time{}, fmt.Errorf("token of another user")
	}
	return g.expiry, nil
}

// Issued returns how many tokens were issued with grantType.
func (s *Server) Issued(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued[grantType]
}

// Subjects returns how many JWT-bearer tokens were issued per sub.
func (s *Server) Subjects() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.subjects {
		out[k] = v
	}
	return out
}

// Grant type values (RFC 6749, 8628, 7523).
const (
	GrantCode    = "authorization_code"
	GrantRefresh = "refresh_token"
	GrantDevice  = "urn:ietf:params:oauth:grant-type:device_code"
	GrantJWT     = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantClient  = "client_credentials"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/introspect":
		s.introspect(w, r)
		return
	case p == "/o/oauth2/auth":
		s.authorize(w, r)
		return
	case p == "/token" || p == "/device/code":
	case strings.HasPrefix(p, "/"):
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if len(parts) != 4 || parts[1] != "oauth2" || parts[2] != "v2.0" {
			http.NotFound(w, r)
			return
		}
		if t := parts[0]; t != s.Tenant && t != "common" && t != "organizations" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS90002: Tenant '"+t+"' not found. Check to make sure you have the correct tenant ID.")
			return
		}
		p = "/" + parts[3]
		if p == "/authorize" {
			s.authorize(w, r)
			return
		}
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch p {
	case "/token":
		s.token(w, r)
	case "/device/code", "/devicecode":
		s.deviceCode(w, r)
	default:
		http.NotFound(w, r)
	}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// newToken makes an opaque secret (token, code, device code); s.mu held.
func (s *Server) newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	s.secrets = append(s.secrets, t)
	return t
}

// Secrets returns every secret the server ever handed out: access and
// refresh tokens, authorization codes, device codes. Tests grep outputs
// for them.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

// clientAuth returns the client ID of the request and checks its secret
// (HTTP Basic or form fields).
func (s *Server) clientAuth(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	c := s.clients[id]
	if c == nil {
		return id, false
	}
	if c.public {
		// A public client has no secret to send in an Authorization
		// header: that form is refused, as Microsoft does.
		return id, !basic && secret == ""
	}
	return id, secret == c.secret
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := r.PostForm
	gt := f.Get("grant_type")
	s.requests = append(s.requests, f)
	id, ok := "", true
	if gt != GrantJWT {
		// The client authenticates first (x/oauth2 tries both ways of
		// sending its credentials): queued failures answer the requests
		// that got past it.
		if id, ok = s.clientAuth(r); !ok {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
			return
		}
	}
	for i, fl := range s.failures {
		if fl.grantType == "" || fl.grantType == gt {
			if !fl.persistent {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			}
			oauthError(w, fl.status, fl.code, fl.desc)
			return
		}
	}
	var g *grant
	withRefresh := false
	switch gt {
	case GrantJWT:
		var err error
		if g, err = s.jwtGrant(f.Get("assertion")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		s.subjects[g.user]++
	default:
		switch gt {
		case GrantClient:
			if !s.apps[id] {
				oauthError(w, http.StatusBadRequest, "unauthorized_client", "the client has no application permission")
				return
			}
			g = &grant{client: id, app: true, scopes: strings.Fields(f.Get("scope"))}
		case GrantRefresh:
			old := s.refresh[f.Get("refresh_token")]
			if old == nil || old.client != id {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
				return
			}
			g, withRefresh = &grant{user: old.user, client: id, scopes: old.scopes}, true
			// Rotation, as Microsoft does: the old refresh token goes.
			delete(s.refresh, f.Get("refresh_token"))
		case GrantCode:
			c := s.codes[f.Get("code")]
			delete(s.codes, f.Get("code"))
			sum := sha256.Sum256([]byte(f.Get("code_verifier")))
			switch {
			case c == nil || c.client != id:
				oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used authorization code")
				return
			case c.redirect != f.Get("redirect_uri"):
				oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request")
				return
			case c.challenge == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
				oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
				return
			}
			g, withRefresh = &grant{user: c.user, client: id, scopes: c.scopes}, true
		case GrantDevice:
			d := s.devices[f.Get("device_code")]
			switch {
			case d == nil || d.client != id:
				oauthError(w, http.StatusBadRequest, "expired_token", "unknown device code")
				return
			case s.slowDown > 0:
				s.slowDown--
				oauthError(w, http.StatusBadRequest, "slow_down", "polling too fast")
				return
			case d.denied:
				oauthError(w, http.StatusBadRequest, "access_denied", "the user declined")
				return
			case d.user == "":
				oauthError(w, http.StatusBadRequest, "authorization_pending", "waiting for the user")
				return
			}
			delete(s.devices, f.Get("device_code"))
			delete(s.users, d.userCode)
			g, withRefresh = &grant{user: d.user, client: id, scopes: d.scopes}, true
		default:
			oauthError(w, http.StatusBadRequest, "unsupported_grant_type", gt)
			return
		}
	}
	s.issued[gt]++
	g.expiry = time.Now().Add(s.lifetime)
	tok := s.newToken()
	s.access[tok] = g
	resp := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": max(1, int(s.lifetime.Round(time.Second)/time.Second)), "scope": strings.Join(g.scopes, " ")}
	if withRefresh {
		rt := s.newToken()
		s.refresh[rt] = &grant{user: g.user, client: g.client, scopes: g.scopes}
		resp["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// jwtGrant checks a JWT-bearer assertion: RS256 signed by a known service
// account, addressed to this server's /token, unexpired, with a sub.
func (s *Server) jwtGrant(assertion string) (*grant, error) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed assertion")
	}
	var claims struct {
		Iss, Scope, Aud, Sub string
		Exp, Iat             int64
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return nil, fmt.Errorf("malformed claims")
	}
	key := s.keys[claims.Iss]
	if key == nil {
		return nil, fmt.Errorf("invalid_client: unknown service account %s", claims.Iss)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("malformed signature")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return nil, fmt.Errorf("Invalid JWT Signature.")
	}
	now := time.Now().Unix()
	switch {
	case claims.Aud != s.URL+"/token":
		return nil, fmt.Errorf("Invalid JWT: aud %q", claims.Aud)
	case claims.Exp < now || claims.Iat > now+60:
		return nil, fmt.Errorf("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.")
	case claims.Sub == "":
		return nil, fmt.Errorf("no sub: the service account itself has no mailbox")
	}
	return &grant{user: claims.Sub, client: claims.Iss, scopes: strings.Fields(claims.Scope)}, nil
}

// authorize is the sign-in page: the user (login_hint) signs in and
// consents at once, and the browser is redirected with a code.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	c := s.clients[q.Get("client_id")]
	s.mu.Unlock()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if c == nil || err != nil || ru.Hostname() != "127.0.0.1" {
		http.Error(w, "unknown client or redirect", http.StatusBadRequest)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		v.Set("error", "invalid_request")
		v.Set("error_description", "PKCE required")
	} else {
		s.mu.Lock()
		code := s.newToken()
		s.codes[code] = &authCode{client: q.Get("client_id"), redirect: redirect, challenge: q.Get("code_challenge"), user: q.Get("login_hint"), scopes: strings.Fields(q.Get("scope"))}
		s.mu.Unlock()
		v.Set("code", code)
	}
	ru.RawQuery = v.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	id, ok := s.clientAuth(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, sc := range scopes {
		if sc == "https://mail.google.com/" && strings.HasPrefix(r.URL.Path, "/device/") {
			// Google does not allow its mail scope on limited-input devices.
			oauthError(w, http.StatusBadRequest, "invalid_scope", "Invalid device flow scope: https://mail.google.com/")
			return
		}
	}
	dc := s.newToken()
	uc := fmt.Sprintf("%04X-%04X", len(s.users)+1, time.Now().UnixNano()%0xFFFF)
	s.devices[dc] = &device{client: id, scopes: scopes, userCode: uc}
	s.users[uc] = dc
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"device_code": dc, "user_code": uc, "verification_uri": s.URL + "/device", "expires_in": 300, "interval": 1})
}

// introspect answers RFC 7662 token introspection (POST token=...).
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	tok := r.Form.Get("token")
	if tok == "" {
		// Dovecot may send the token as a Bearer header instead.
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			tok = strings.TrimPrefix(h, "Bearer ")
		}
	}
	s.mu.Lock()
	g := s.access[tok]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if g == nil || time.Now().After(g.expiry) || g.app {
		json.NewEncoder(w).Encode(map[string]any{"active": false})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"active": true, "username": g.user, "exp": g.expiry.Unix(), "scope": strings.Join(g.scopes, " ")})
}

// Requests returns the form values of the token requests received.
func (s *Server) Requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.requests...)
}
