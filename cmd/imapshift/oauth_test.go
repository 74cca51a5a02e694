package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/oauth"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
	"github.com/imapshift/imapshift/core/testenv/oauthfake"
)

// oauthSetup is an authorization server, two IMAP servers checking its
// tokens, a configuration directory of its own, and the files a sync
// needs.
type oauthSetup struct {
	fake   *oauthfake.Server
	s1, s2 *imapmem.Server
	u1, u2 *imapmem.User
	dir    string
	key    string // service account key file
}

const (
	oauthUser1 = "joe@contoso.com"
	oauthUser2 = "ann@example.com"
)

func newOAuthSetup(t *testing.T, style1, style2 imapmem.ExpiryStyle) *oauthSetup {
	t.Helper()
	o := &oauthSetup{fake: oauthfake.StartT(t), dir: t.TempDir()}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(o.dir, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(o.dir, "cache"))
	o.s1 = imapmem.StartT(t, imapmem.Options{OAuth: &imapmem.OAuthOptions{Validate: o.fake.Validate, Style: style1}})
	o.s2 = imapmem.StartT(t, imapmem.Options{OAuth: &imapmem.OAuthOptions{Validate: o.fake.Validate, Style: style2}})
	o.u1 = o.s1.AddUser(oauthUser1, "unused1")
	o.u2 = o.s2.AddUser(oauthUser2, "unused2")
	o.fake.AddClient("public-app", "")
	key, err := o.fake.NewServiceAccount("migrate@proj.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	o.key = filepath.Join(o.dir, "key.json")
	if err := os.WriteFile(o.key, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return o
}

var userCode = regexp.MustCompile(`enter the code (\S+)`)

// login runs "imapshift oauth login" for user with the device flow,
// approving the code it prints as the user would.
func (o *oauthSetup) login(t *testing.T, user string) string {
	t.Helper()
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	a := newApp(strings.NewReader(""), out, errb)
	a.getenv = func(string) string { return "" }
	done := make(chan int)
	go func() {
		done <- a.main([]string{"oauth", "login", "--provider", "microsoft", "--user", user, "--client-id", "public-app",
			"--tenant", "contoso", "--authority", o.fake.URL, "--flow", "device"})
	}()
	for {
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("oauth login: exit %d\n%s%s", code, out, errb)
			}
			return out.String() + errb.String()
		case <-time.After(20 * time.Millisecond):
			if m := userCode.FindStringSubmatch(out.String()); m != nil {
				o.fake.Approve(m[1], user)
			}
		}
	}
}

func (o *oauthSetup) syncArgs(t *testing.T) []string {
	return []string{"--host1", "127.0.0.1", "--port1", strconv.Itoa(o.s1.Port()), "--user1", oauthUser1, "--oauth1", "microsoft",
		"--host2", "127.0.0.1", "--port2", strconv.Itoa(o.s2.Port()), "--user2", oauthUser2, "--oauthserviceaccount2", o.key,
		"--nosslcheck", "--notls1", "--notls2", "--tmpdir", t.TempDir(), "--logdir", filepath.Join(o.dir, "logs")}
}

// noSecrets fails when any secret of the authorization server, or the
// service account's private key, is in text.
func (o *oauthSetup) noSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range o.fake.Secrets() {
		if strings.Contains(text, s) {
			t.Fatalf("%s shows a token or code %q", what, s)
		}
	}
	if strings.Contains(text, "PRIVATE KEY") {
		t.Fatalf("%s shows the service account's key", what)
	}
}

// logs is the text of every log file the runs wrote.
func (o *oauthSetup) logs(t *testing.T) string {
	var b strings.Builder
	filepath.Walk(filepath.Join(o.dir, "logs"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

func seedOAuth(t *testing.T, u *imapmem.User, n int) {
	t.Helper()
	var msgs []imapmem.Message
	for i := 0; i < n; i++ {
		raw := fmt.Sprintf("Message-ID: <m%d@x>\r\nSubject: m %d\r\n\r\n%s\r\n", i, i, strings.Repeat("x", 100+i))
		msgs = append(msgs, imapmem.Message{Raw: []byte(raw), Date: time.Date(2021, 3, 1+i%28, 0, 0, 0, 0, time.UTC)})
	}
	if err := u.Seed("INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
}

func countOnHost2(t *testing.T, u *imapmem.User) map[string]int {
	msgs, err := u.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[string(m.Raw)]++
	}
	return seen
}

// TestOAuthLoginSyncShowLogout: the interactive login is saved 0600, a
// sync uses it on host1 (--oauth1 microsoft) and a service account on
// host2 (--oauthserviceaccount2), with --debugimap traces, and no token,
// code or key shows in any output or log; show lists the login without
// tokens; logout removes it.
func TestOAuthLoginSyncShowLogout(t *testing.T) {
	o := newOAuthSetup(t, imapmem.GmailBye, imapmem.GmailBye)
	out := o.login(t, oauthUser1)
	path, _ := oauth.DefaultPath(oauth.Microsoft, oauthUser1)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved login %s: %v %v", path, st, err)
	}
	if !strings.Contains(out, "--oauth1 microsoft --user1 "+oauthUser1) {
		t.Fatalf("login output:\n%s", out)
	}
	o.noSecrets(t, "oauth login", out)

	seedOAuth(t, o.u1, 40)
	report := filepath.Join(o.dir, "report.json")
	r := runArgs(t, nil, append(o.syncArgs(t), "--debugimap", "--json", report)...)
	all := r.stdout + r.stderr
	if r.code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.code, all)
	}
	if len(countOnHost2(t, o.u2)) != 40 {
		t.Fatalf("host2 has %d messages", len(countOnHost2(t, o.u2)))
	}
	if !strings.Contains(all, "AUTHENTICATE XOAUTH2") || !strings.Contains(all, "auth [XOAUTH2]") {
		t.Fatalf("no XOAUTH2 login in the trace:\n%s", all)
	}
	o.noSecrets(t, "the sync", all)
	o.noSecrets(t, "the log", o.logs(t))
	js, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(js), "{") {
		t.Fatalf("JSON report: %v", err)
	}
	o.noSecrets(t, "the JSON report", string(js))
	if subs := o.fake.Subjects(); subs[oauthUser2] != 1 {
		t.Fatalf("want one token minted for %s (1 h tokens, one run): %v", oauthUser2, subs)
	}

	// OAUTHBEARER when asked: imapmem offers it.
	r = runArgs(t, nil, append(o.syncArgs(t), "--oauthbearer1", "--oauthbearer2", "--justlogin")...)
	if r.code != 0 || strings.Count(r.stdout+r.stderr, "auth [OAUTHBEARER]") != 2 {
		t.Fatalf("oauthbearer: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --oauth1 FILE: a saved login elsewhere; it must be --user1's.
	moved := filepath.Join(o.dir, "joe.json")
	if b, err := os.ReadFile(path); err != nil || os.WriteFile(moved, b, 0o600) != nil {
		t.Fatal(err)
	}
	args := o.syncArgs(t)
	args[7] = moved
	if r := runArgs(t, nil, append(args, "--justlogin")...); r.code != 0 {
		t.Fatalf("--oauth1 FILE: exit %d\n%s", r.code, r.stderr)
	}
	args[5] = "someone@contoso.com"
	if r := runArgs(t, nil, append(args, "--justlogin")...); r.code != 64 || !strings.Contains(r.stderr, "is the login of "+oauthUser1) {
		t.Fatalf("--oauth1 FILE of another user: exit %d\n%s", r.code, r.stderr)
	}

	r = runArgs(t, nil, "oauth", "show")
	if r.code != 0 || !strings.Contains(r.stdout, oauthUser1) || !strings.Contains(r.stdout, "microsoft") || !strings.Contains(r.stdout, "IMAP.AccessAsUser.All") {
		t.Fatalf("show: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	o.noSecrets(t, "oauth show", r.stdout+r.stderr)

	r = runArgs(t, nil, "oauth", "logout", "--provider", "microsoft", "--user", oauthUser1)
	if r.code != 0 {
		t.Fatalf("logout: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("login still saved: %v", err)
	}
	r = runArgs(t, nil, append(o.syncArgs(t), "--justlogin")...)
	if r.code != 161 || !strings.Contains(r.stderr, "no saved login of "+oauthUser1) || !strings.Contains(r.stderr, "imapshift oauth login") {
		t.Fatalf("after logout: exit %d\n%s", r.code, r.stderr)
	}
}

// TestOAuthErrorLines: each refusal of the token endpoint gives one line
// saying what to do and exit 161 (host1) or 162 (host2).
func TestOAuthErrorLines(t *testing.T) {
	o := newOAuthSetup(t, imapmem.GmailBye, imapmem.GmailBye)
	o.fake.SetLifetime(time.Second) // every connection refreshes
	o.login(t, oauthUser1)
	for _, tc := range []struct {
		name, grant, code, desc string
		exit                    int
		want                    string
	}{
		{"revoked refresh token", oauthfake.GrantRefresh, "invalid_grant", "Token has been expired or revoked.", 161, "log in again with: imapshift oauth login --provider microsoft --user " + oauthUser1},
		{"expired refresh token", oauthfake.GrantRefresh, "invalid_grant", "AADSTS700082: The refresh token has expired due to inactivity.", 161, "the refresh token has expired"},
		{"missing consent", oauthfake.GrantRefresh, "invalid_grant", "AADSTS65001: The user or administrator has not consented to use the application.", 161, "Grant admin consent"},
		{"wrong tenant", oauthfake.GrantRefresh, "invalid_request", "AADSTS90002: Tenant 'contoso' not found.", 161, "wrong tenant"},
		{"delegation missing", oauthfake.GrantJWT, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method.", 162, "Domain-wide delegation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.fake.ClearFailures()
			o.fake.FailNext(tc.grant, -1, tc.code, tc.desc, 0)
			defer o.fake.ClearFailures()
			r := runArgs(t, nil, append(o.syncArgs(t), "--justlogin")...)
			if r.code != tc.exit {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.exit, r.stdout, r.stderr)
			}
			var line string
			for _, l := range strings.Split(r.stdout+r.stderr, "\n") {
				if strings.Contains(l, "OAuth2:") {
					line = l
					break
				}
			}
			if !strings.Contains(line, tc.want) {
				t.Fatalf("no line with %q:\n%s%s", tc.want, r.stdout, r.stderr)
			}
			o.noSecrets(t, "the error", r.stdout+r.stderr)
		})
	}
}

var reconnections = regexp.MustCompile(`Reconnections to host(\d)\s+: (\d+)`)

// reconnected returns the reconnections the final report counts per host.
func reconnected(out string) map[string]int {
	got := map[string]int{}
	for _, m := range reconnections.FindAllStringSubmatch(out, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

// TestOAuthTokenFileFromOutsideTool: --oauthaccesstoken1 FILE that a cron
// job rewrites is read again by every new connection: with 2 s tokens and
// Gmail's NO [AUTHENTICATIONFAILED] on expired sessions, the run goes on
// past many expiries, counted as reconnections.
func TestOAuthTokenFileFromOutsideTool(t *testing.T) {
	o := newOAuthSetup(t, imapmem.GmailNo, imapmem.MicrosoftBye)
	o.fake.SetLifetime(2 * time.Second)
	seedOAuth(t, o.u1, 120)
	o.s1.Faults().Delay("FETCH", 40*time.Millisecond)
	o.s2.Faults().Delay("APPEND", 30*time.Millisecond)
	file := filepath.Join(o.dir, "token")
	write := func() {
		tmp := file + ".new"
		os.WriteFile(tmp, []byte(o.fake.Issue(oauthUser1)+"\n"), 0o600)
		os.Rename(tmp, file)
	}
	write()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the cron job
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				write()
			}
		}
	}()
	args := o.syncArgs(t)
	args[6] = "--oauthaccesstoken1"
	args[7] = file
	r := runArgs(t, nil, append(args, "--parallel", "2")...)
	close(stop)
	wg.Wait()
	all := r.stdout + r.stderr
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, all)
	}
	if n := len(countOnHost2(t, o.u2)); n != 120 {
		t.Fatalf("host2 has %d distinct messages", n)
	}
	for raw, n := range countOnHost2(t, o.u2) {
		if n != 1 {
			t.Fatalf("%d copies of %q", n, raw[:20])
		}
	}
	st1 := o.s1.OAuthStats()
	if st1.Expired == 0 || reconnected(all)["1"] == 0 || st1.Refused != 0 {
		t.Fatalf("host1 %+v, reconnections %v", st1, reconnected(all))
	}
	o.noSecrets(t, "the sync", all)
}

// TestOAuthRevokedMidRun: the refresh token is revoked while a run with
// 2 s tokens goes on (once 20 of 150 messages are on host2): the next reconnection cannot log in, the run stops
// with the one line saying to log in again and exit 161, and nothing is
// lost: after a new login a rerun completes host2 exactly.
func TestOAuthRevokedMidRun(t *testing.T) {
	o := newOAuthSetup(t, imapmem.MicrosoftBye, imapmem.GmailBye)
	o.fake.SetLifetime(2 * time.Second)
	o.login(t, oauthUser1)
	seedOAuth(t, o.u1, 150)
	o.s2.Faults().Delay("APPEND", 40*time.Millisecond)
	// The user's refresh token is revoked once 20 messages are on host2.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if msgs, err := o.u2.Messages("INBOX"); err == nil && len(msgs) >= 20 {
				o.fake.RevokeUser(oauthUser1)
				return
			}
		}
	}()
	r := runArgs(t, nil, append(o.syncArgs(t), "--parallel", "1")...)
	all := r.stdout + r.stderr
	if r.code != 161 {
		t.Fatalf("exit %d, want 161\n%s", r.code, all)
	}
	if !strings.Contains(all, "log in again with: imapshift oauth login --provider microsoft --user "+oauthUser1) {
		t.Fatalf("no line saying to log in again:\n%s", all)
	}
	if testing.Verbose() {
		t.Log(all)
	}
	first := len(countOnHost2(t, o.u2))
	if first == 0 || first == 150 {
		t.Fatalf("%d messages copied before the revocation: the test does not revoke mid-run", first)
	}
	o.noSecrets(t, "the sync", all)

	o.s2.Faults().Delay("APPEND", 0)
	o.login(t, oauthUser1)
	r = runArgs(t, nil, o.syncArgs(t)...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	got := countOnHost2(t, o.u2)
	if len(got) != 150 {
		t.Fatalf("host2 has %d distinct messages after the rerun", len(got))
	}
	for raw, n := range got {
		if n != 1 {
			t.Fatalf("%d copies of %q", n, raw[:20])
		}
	}
}

// TestOAuthAppOnly: --oauthapp2 tenant:client-id with the secret from a
// file or the environment (Microsoft's client credentials against the
// fake, through $IMAPSHIFT_OAUTH_AUTHORITY) opens host2's mailbox; a
// wrong secret and a wrong tenant each give their line and exit 162; the
// secret never shows, even with --debugimap.
func TestOAuthAppOnly(t *testing.T) {
	o := newOAuthSetup(t, imapmem.GmailBye, imapmem.MicrosoftBye)
	o.fake.AddApp("app-id", "s3cret-app-value")
	t.Setenv("IMAPSHIFT_OAUTH_AUTHORITY", o.fake.URL)
	seedOAuth(t, o.u1, 10)
	secretFile := filepath.Join(o.dir, "secret")
	os.WriteFile(secretFile, []byte("s3cret-app-value\n"), 0o600)
	host1 := []string{"--host1", "127.0.0.1", "--port1", strconv.Itoa(o.s1.Port()), "--user1", oauthUser1, "--oauthserviceaccount1", o.key}
	host2 := func(extra ...string) []string {
		return append([]string{"--host2", "127.0.0.1", "--port2", strconv.Itoa(o.s2.Port()), "--user2", oauthUser2,
			"--nosslcheck", "--notls1", "--notls2", "--tmpdir", t.TempDir(), "--logdir", filepath.Join(o.dir, "logs"), "--debugimap"}, extra...)
	}
	r := runArgs(t, nil, append(host1, host2("--oauthapp2", "contoso:app-id", "--oauthappsecretfile2", secretFile)...)...)
	if r.code != 0 || len(countOnHost2(t, o.u2)) != 10 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr+o.logs(t), "s3cret-app-value") {
		t.Fatal("the client secret shows")
	}
	o.noSecrets(t, "the sync", r.stdout+r.stderr)
	if o.fake.Issued(oauthfake.GrantClient) == 0 {
		t.Fatal("no client credentials grant")
	}
	t.Setenv("IMAPSHIFT_OAUTHAPP_SECRET2", "wrong")
	r = runArgs(t, nil, append(host1, host2("--oauthapp2", "contoso:app-id", "--justlogin")...)...)
	if r.code != 162 || !strings.Contains(r.stderr+r.stdout, "client secret or client ID is wrong") {
		t.Fatalf("wrong secret: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("IMAPSHIFT_OAUTHAPP_SECRET2", "s3cret-app-value")
	r = runArgs(t, nil, append(host1, host2("--oauthapp2", "fabrikam:app-id", "--justlogin")...)...)
	if r.code != 162 || !strings.Contains(r.stderr+r.stdout, "wrong tenant") {
		t.Fatalf("wrong tenant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runArgs(t, nil, append(host1, host2("--oauthapp2", "no-colon", "--justlogin")...)...)
	if r.code != 64 {
		t.Fatalf("bad --oauthapp2: exit %d\n%s", r.code, r.stderr)
	}
}

var authURL = regexp.MustCompile(`(http://127\.0\.0\.1:\d+/o/oauth2/auth\?\S+)`)

// TestOAuthLoginGoogleBrowser: "oauth login --provider google" tries the
// device flow, which Google refuses for the mail scope, says so, and
// prints the authorization URL; the browser (here an HTTP client) signs in
// and is redirected to imapshift's loopback listener; the code is
// exchanged with its PKCE verifier and the login saved.
func TestOAuthLoginGoogleBrowser(t *testing.T) {
	o := newOAuthSetup(t, imapmem.GmailBye, imapmem.GmailBye)
	o.fake.AddClient("desktop.apps.googleusercontent.com", "GOCSPX-test")
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	a := newApp(strings.NewReader(""), out, errb)
	a.getenv = func(k string) string {
		return map[string]string{"IMAPSHIFT_OAUTH_CLIENT_SECRET": "GOCSPX-test", "IMAPSHIFT_OAUTH_AUTHORITY": o.fake.URL}[k]
	}
	done := make(chan int)
	go func() {
		done <- a.main([]string{"oauth", "login", "--provider", "google", "--user", "ann@example.com", "--client-id", "desktop.apps.googleusercontent.com"})
	}()
	opened := false
	for {
		select {
		case code := <-done:
			text := out.String() + errb.String()
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, text)
			}
			if !strings.Contains(text, "using the browser flow") || !strings.Contains(text, "--oauth1 google --user1 ann@example.com") {
				t.Fatalf("output:\n%s", text)
			}
			if strings.Contains(text, "GOCSPX-test") {
				t.Fatal("the client secret shows")
			}
			o.noSecrets(t, "oauth login", text)
			path, _ := oauth.DefaultPath(oauth.Google, "ann@example.com")
			saved, err := oauth.Load(path)
			if err != nil || saved.Token.RefreshToken == "" || saved.ClientSecret != "GOCSPX-test" || saved.Authority != o.fake.URL {
				t.Fatalf("saved login: %+v %v", saved, err)
			}
			return
		case <-time.After(20 * time.Millisecond):
			if m := authURL.FindStringSubmatch(out.String()); m != nil && !opened {
				opened = true
				go func() {
					if resp, err := http.Get(m[1]); err == nil {
						resp.Body.Close()
					}
				}()
			}
		}
	}
}
