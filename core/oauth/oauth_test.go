package oauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/oauth"
	"github.com/imapshift/imapshift/core/testenv/oauthfake"
)

// syncBuffer collects what Login prints for the user.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var userCodeRE = regexp.MustCompile(`enter the code (\S+)`)

// approveWhenAsked approves the device code Login prints, as the user
// would on the verification page.
func approveWhenAsked(t *testing.T, fake *oauthfake.Server, out *syncBuffer, user string) {
	go func() {
		for range 200 {
			if m := userCodeRE.FindStringSubmatch(out.String()); m != nil {
				fake.Approve(m[1], user)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
}

func TestDeviceLoginMicrosoft(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.AddClient("public-app", "")
	for _, slow := range []int{0, 1} {
		fake.SlowDown(slow)
		out := &syncBuffer{}
		approveWhenAsked(t, fake, out, "joe@contoso.com")
		start := time.Now()
		saved, err := oauth.Login(context.Background(), oauth.LoginOptions{
			Provider: oauth.Microsoft, User: "joe@contoso.com", ClientID: "public-app", Tenant: "contoso",
			Authority: fake.URL, Flow: oauth.FlowDevice, Out: out,
		})
		if err != nil {
			t.Fatalf("slow_down %d: %v\n%s", slow, err, out)
		}
		if saved.Token.RefreshToken == "" || saved.Token.AccessToken == "" {
			t.Fatalf("no tokens saved: %+v", saved)
		}
		if _, err := fake.Validate(saved.Token.AccessToken, "joe@contoso.com"); err != nil {
			t.Fatalf("token does not open joe's mailbox: %v", err)
		}
		if strings.Contains(out.String(), saved.Token.AccessToken) || strings.Contains(out.String(), saved.Token.RefreshToken) {
			t.Fatalf("a token was printed: %s", out)
		}
		// slow_down makes x/oauth2 poll 5 s slower.
		if took := time.Since(start); slow > 0 && took < 5*time.Second {
			t.Fatalf("slow_down not honoured: done in %v", took)
		}
		if got := saved.Scopes; strings.Join(got, " ") != oauth.MicrosoftIMAP+" "+oauth.MicrosoftOffline {
			t.Fatalf("scopes %v", got)
		}
	}
	for _, r := range fake.Requests() {
		if r.Get("grant_type") == oauthfake.GrantDevice && r.Get("device_code") == "" {
			t.Fatal("device poll without device_code")
		}
	}
}

func TestGoogleAutoFallsBackToBrowserWithPKCE(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.AddClient("desktop.apps.googleusercontent.com", "gsecret")
	out := &syncBuffer{}
	var opened string
	saved, err := oauth.Login(context.Background(), oauth.LoginOptions{
		Provider: oauth.Google, User: "ann@example.com", ClientID: "desktop.apps.googleusercontent.com", ClientSecret: "gsecret",
		Authority: fake.URL, Out: out,
		Opened: func(u string) {
			opened = u
			// The browser: the fake signs in and redirects to the loopback.
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
		},
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "using the browser flow") {
		t.Fatalf("no fallback told:\n%s", out)
	}
	if !strings.Contains(opened, "code_challenge_method=S256") || !strings.Contains(opened, "access_type=offline") {
		t.Fatalf("authorization URL without PKCE or offline access: %s", opened)
	}
	if _, err := fake.Validate(saved.Token.AccessToken, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "gsecret") || strings.Contains(out.String(), saved.Token.RefreshToken) {
		t.Fatalf("a secret was printed:\n%s", out)
	}
	var sawVerifier bool
	for _, r := range fake.Requests() {
		if r.Get("grant_type") == oauthfake.GrantCode {
			sawVerifier = r.Get("code_verifier") != ""
		}
	}
	if !sawVerifier {
		t.Fatal("code exchanged without a PKCE verifier")
	}
}

func TestFakeChecksPKCEVerifier(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.AddClient("c", "")
	ep, _ := oauth.Endpoint(oauth.Google, "", fake.URL)
	cfg := &oauth2.Config{ClientID: "c", Endpoint: ep, RedirectURL: "http://127.0.0.1:9/", Scopes: []string{oauth.GoogleMailScope}}
	verifier := oauth2.GenerateVerifier()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", "u")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	code := loc.Query().Get("code")
	_, err = cfg.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("a wrong verifier was accepted: %v", err)
	}
}

func save(t *testing.T, fake *oauthfake.Server, user string) (string, *oauth.Saved) {
	t.Helper()
	fake.AddClient("public-app", "")
	// The browser flow, followed at once: no device polling to wait for.
	saved, err := oauth.Login(context.Background(), oauth.LoginOptions{Provider: oauth.Microsoft, User: user, ClientID: "public-app", Tenant: "contoso", Authority: fake.URL, Flow: oauth.FlowBrowser,
		Opened: func(u string) {
			if resp, err := http.Get(u); err == nil {
				resp.Body.Close()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), oauth.FileName(oauth.Microsoft, user))
	if err := oauth.Save(path, saved); err != nil {
		t.Fatal(err)
	}
	return path, saved
}

func TestSavedLoginFileAndList(t *testing.T) {
	fake := oauthfake.StartT(t)
	path, saved := save(t, fake, "Joe@Contoso.com")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	if filepath.Base(path) != "microsoft-joe@contoso.com.json" {
		t.Fatalf("file name %s", filepath.Base(path))
	}
	list, err := oauth.List(filepath.Dir(path))
	if err != nil || len(list) != 1 {
		t.Fatalf("List: %v %v", list, err)
	}
	e := list[0]
	if e.User != saved.User || e.Provider != oauth.Microsoft || !e.Refreshable || e.Expiry.IsZero() {
		t.Fatalf("entry %+v", e)
	}
}

func TestSavedSourceRefreshesAndWritesBack(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.SetLifetime(time.Second) // within x/oauth2's 10 s margin: every Token refreshes
	path, saved := save(t, fake, "joe@contoso.com")
	src, err := oauth.NewSavedSource(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{saved.Token.AccessToken: true}
	for i := 0; i < 3; i++ {
		tok, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok.AccessToken] {
			t.Fatalf("token %d not refreshed", i)
		}
		seen[tok.AccessToken] = true
		if _, err := fake.Validate(tok.AccessToken, "joe@contoso.com"); err != nil {
			t.Fatal(err)
		}
		onDisk, err := oauth.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		// The fake rotates refresh tokens: the new one must be saved.
		if onDisk.Token.AccessToken != tok.AccessToken || onDisk.Token.RefreshToken == saved.Token.RefreshToken {
			t.Fatalf("refreshed token not written back")
		}
	}
	if n := fake.Issued(oauthfake.GrantRefresh); n != 3 {
		t.Fatalf("%d refreshes, want 3", n)
	}
}

func TestSavedSourceRereadsAnOutsideWrite(t *testing.T) {
	fake := oauthfake.StartT(t)
	path, saved := save(t, fake, "joe@contoso.com")
	src, err := oauth.NewSavedSource(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := src.Token(); tok.AccessToken != saved.Token.AccessToken {
		t.Fatal("a valid saved token was not used as is")
	}
	// A cron job writes a new token into the file.
	next := *saved
	next.Token = &oauth2.Token{AccessToken: fake.Issue("joe@contoso.com"), RefreshToken: saved.Token.RefreshToken, Expiry: time.Now().Add(time.Hour)}
	time.Sleep(10 * time.Millisecond)
	if err := oauth.Save(path, &next); err != nil {
		t.Fatal(err)
	}
	if tok, _ := src.Token(); tok.AccessToken != next.Token.AccessToken {
		t.Fatal("the token written by the outside tool was not read")
	}
}

func TestServiceAccountOneTokenPerSubject(t *testing.T) {
	fake := oauthfake.StartT(t)
	key, err := fake.NewServiceAccount("migrate@proj.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a@example.com", "b@example.com"} {
		src, err := oauth.ServiceAccount(context.Background(), key, u)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fake.Validate(tok.AccessToken, u); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if _, err := fake.Validate(tok.AccessToken, "other@example.com"); err == nil {
			t.Fatalf("%s's token opens another mailbox", u)
		}
	}
	if got := fake.Subjects(); got["a@example.com"] != 1 || got["b@example.com"] != 1 || len(got) != 2 {
		t.Fatalf("subjects %v", got)
	}
	// A key the server does not know (a forged signature) is refused.
	other := oauthfake.StartT(t)
	forged, _ := other.NewServiceAccount("migrate@proj.iam.gserviceaccount.com")
	forged = []byte(strings.ReplaceAll(string(forged), other.URL, fake.URL))
	src, _ := oauth.ServiceAccount(context.Background(), forged, "a@example.com")
	if _, err := src.Token(); err == nil || !strings.Contains(err.Error(), "Domain-wide delegation") {
		t.Fatalf("forged assertion: %v", err)
	}
}

func TestAppClientCredentials(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.AddApp("app-id", "app-secret")
	src, err := oauth.App(context.Background(), "contoso", "app-id", "app-secret", fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Validate(tok.AccessToken, "anyone@contoso.com"); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.Requests() {
		if r.Get("scope") != oauth.MicrosoftAppScope {
			t.Fatalf("scope %q", r.Get("scope"))
		}
	}
	bad, _ := oauth.App(context.Background(), "contoso", "app-id", "wrong", fake.URL)
	if _, err := bad.Token(); err == nil || !strings.Contains(err.Error(), "client secret") {
		t.Fatalf("wrong secret: %v", err)
	}
	wrongTenant, _ := oauth.App(context.Background(), "fabrikam", "app-id", "app-secret", fake.URL)
	if _, err := wrongTenant.Token(); err == nil || !strings.Contains(err.Error(), "wrong tenant") {
		t.Fatalf("wrong tenant: %v", err)
	}
}

// TestExplain: each class of refusal of a refresh gives one line saying
// what to do, exit code 161, and no token.
func TestExplain(t *testing.T) {
	cases := []struct {
		name, code, desc, want string
	}{
		{"revoked", "invalid_grant", "Token has been expired or revoked.", "log in again with: imapshift oauth login --provider microsoft --user joe@contoso.com"},
		{"expired", "invalid_grant", "AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: 1", "the refresh token has expired"},
		{"consent", "invalid_grant", "AADSTS65001: The user or administrator has not consented to use the application.", "Grant admin consent"},
		{"tenant", "invalid_request", "AADSTS90002: Tenant 'x' not found.", "wrong tenant"},
		{"app not in tenant", "unauthorized_client", "AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.", "wrong tenant"},
		{"other", "server_error", "boom", "server_error: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := oauthfake.StartT(t)
			fake.SetLifetime(time.Second)
			path, saved := save(t, fake, "joe@contoso.com")
			fake.FailNext(oauthfake.GrantRefresh, 1, c.code, c.desc, 0)
			src, err := oauth.NewSavedSource(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Token()
			if err == nil {
				t.Fatal("no error")
			}
			line := err.Error()
			if strings.Contains(line, "\n") || !strings.Contains(line, c.want) {
				t.Fatalf("got %q, want one line with %q", line, c.want)
			}
			if strings.Contains(line, saved.Token.RefreshToken) {
				t.Fatal("refresh token in the message")
			}
			if code := exitcode.Of(err); code != exitcode.AuthFailureUser1 {
				t.Fatalf("exit code %d", code)
			}
		})
	}
}

func TestRevokedUserGivesRelogin(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.SetLifetime(time.Second)
	path, _ := save(t, fake, "joe@contoso.com")
	fake.RevokeUser("joe@contoso.com")
	src, _ := oauth.NewSavedSource(context.Background(), path)
	_, err := src.Token()
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" || !strings.Contains(oe.Line, "oauth login") {
		t.Fatalf("%v", err)
	}
}

// TestFakeIntrospection: the fake answers RFC 7662 introspection as
// Dovecot's oauth2 passdb expects: active with the username while the
// token lives, inactive after.
func TestFakeIntrospection(t *testing.T) {
	fake := oauthfake.StartT(t)
	fake.SetLifetime(time.Second)
	tok := fake.Issue("user1")
	ask := func() string {
		resp, err := http.PostForm(fake.URL+"/introspect", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := ask(); !strings.Contains(got, `"active":true`) || !strings.Contains(got, `"username":"user1"`) {
		t.Fatalf("live token: %s", got)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := ask(); !strings.Contains(got, `"active":false`) {
		t.Fatalf("expired token: %s", got)
	}
}
