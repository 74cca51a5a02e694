package engine

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/oauth"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
	"github.com/imapshift/imapshift/core/testenv/oauthfake"
)

// oauthRun is a sync between two OAuth-mode servers whose tokens come
// from a service account of one authorization server.
type oauthRun struct {
	fake   *oauthfake.Server
	s1, s2 *imapmem.Server
	u1, u2 *imapmem.User
	opts   Options
	out    bytes.Buffer
	tokens *tokenLog
}

// tokenLog records every token handed out, to grep the output for them.
type tokenLog struct {
	srcs   []oauth2.TokenSource
	tokens []string
}

type loggedSource struct {
	src oauth2.TokenSource
	log *tokenLog
}

func (l loggedSource) Token() (*oauth2.Token, error) {
	t, err := l.src.Token()
	if err == nil {
		l.log.tokens = append(l.log.tokens, t.AccessToken)
	}
	return t, err
}

func newOAuthRun(t *testing.T, style1, style2 imapmem.ExpiryStyle, after int) *oauthRun {
	t.Helper()
	r := &oauthRun{fake: oauthfake.StartT(t), tokens: &tokenLog{}}
	r.s1 = imapmem.StartT(t, imapmem.Options{OAuth: &imapmem.OAuthOptions{Validate: r.fake.Validate, Style: style1, AfterCommands: after}})
	r.s2 = imapmem.StartT(t, imapmem.Options{OAuth: &imapmem.OAuthOptions{Validate: r.fake.Validate, Style: style2, AfterCommands: after}})
	r.u1 = r.s1.AddUser("alice@example.com", "x")
	r.u2 = r.s2.AddUser("bob@example.com", "x")
	key, err := r.fake.NewServiceAccount("sa@proj.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{s1: r.s1, s2: r.s2}
	r.opts = p.options(t, &r.out)
	for _, c := range []*conn.Config{r.opts.Host1, r.opts.Host2} {
		c.Password = ""
		c.User = map[int]string{1: "alice@example.com", 2: "bob@example.com"}[c.Side]
		// The tokens of a sync are a long-lived source: its HTTP requests
		// must not end with the test's first call.
		src, err := oauth.ServiceAccount(context.Background(), key, c.User)
		if err != nil {
			t.Fatal(err)
		}
		c.OAuth = loggedSource{src: src, log: r.tokens}
	}
	return r
}

func seedMany(t *testing.T, u *imapmem.User, folders []string, per int) {
	t.Helper()
	for _, f := range folders {
		var msgs []imapmem.Message
		for i := 0; i < per; i++ {
			raw := fmt.Sprintf("Message-ID: <%s-%d@x>\r\nSubject: m %d\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\n\r\n%s\r\n", f, i, i, strings.Repeat("body ", 40+i%50))
			msgs = append(msgs, imapmem.Message{Raw: []byte(raw), Date: time.Date(2020, 1, 1+i%28, 0, 0, 0, 0, time.UTC)})
		}
		if err := u.Seed(f, msgs...); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *oauthRun) check(t *testing.T, res *Result) {
	t.Helper()
	if n := res.Errors.Count(); n != 0 {
		t.Fatalf("%d errors:\n%s", n, r.out.String())
	}
	want, got := snapshot(t, r.u1), snapshot(t, r.u2)
	for box, msgs := range want {
		if !sameOnceEach(msgs, got[box]) {
			t.Fatalf("folder %q differs: %d on host1, %d on host2", box, len(msgs), len(got[box]))
		}
	}
	for _, tok := range r.tokens.tokens {
		if strings.Contains(r.out.String(), tok) {
			t.Fatal("an access token is in the output")
		}
	}
}

// TestOAuthLongRunOutlivesTokens: 300 messages, tokens that live 2 s,
// commands slowed so the run lasts several lifetimes: the sessions ended
// for expired tokens (Gmail's BYE on host1, Microsoft's failed commands
// on host2) are reopened with fresh tokens, counted as reconnections, and
// every message arrives once.
func TestOAuthLongRunOutlivesTokens(t *testing.T) {
	r := newOAuthRun(t, imapmem.GmailBye, imapmem.MicrosoftFail, 0)
	r.fake.SetLifetime(2 * time.Second)
	seedMany(t, r.u1, []string{"INBOX", "Work", "Archive"}, 100)
	r.s2.Faults().Delay("APPEND", 25*time.Millisecond)
	r.s1.Faults().Delay("FETCH", 20*time.Millisecond)
	r.opts.Parallel = 2
	start := time.Now()
	res := run(t, r.opts)
	took := time.Since(start)
	r.check(t, res)
	if took < 4*time.Second {
		t.Fatalf("the run took %v: too short to outlive a 2 s token twice", took)
	}
	st1, st2 := r.s1.OAuthStats(), r.s2.OAuthStats()
	if st1.Expired == 0 || st2.Expired == 0 {
		t.Fatalf("no session ended by expiry: host1 %+v, host2 %+v (%v)", st1, st2, took)
	}
	if res.ReconnectHost1 == 0 || res.ReconnectHost2 == 0 {
		t.Fatalf("reconnections not counted: %d %d", res.ReconnectHost1, res.ReconnectHost2)
	}
	if st1.Refused+st2.Refused != 0 {
		t.Fatalf("an expired token was sent: %+v %+v", st1, st2)
	}
	t.Logf("%v, %d and %d sessions expired, %d+%d reconnections, %d tokens", took, st1.Expired, st2.Expired, res.ReconnectHost1, res.ReconnectHost2, len(r.tokens.tokens))
}

// TestOAuthExpiryStyles: every way of ending a session is survived on
// both sides, the sessions ending by command count (Gmail's styles and
// Microsoft's BYE) or by time (Microsoft's failed command, which is also
// a throttling answer: tokens ending twice in a second are taken as
// throttling).
func TestOAuthExpiryStyles(t *testing.T) {
	for _, style := range []imapmem.ExpiryStyle{imapmem.GmailBye, imapmem.GmailNo, imapmem.MicrosoftBye, imapmem.MicrosoftFail} {
		t.Run(fmt.Sprint(style), func(t *testing.T) {
			after := 6
			if style == imapmem.MicrosoftFail {
				after = 0
			}
			r := newOAuthRun(t, style, style, after)
			if after == 0 {
				r.fake.SetLifetime(2 * time.Second)
				r.s2.Faults().Delay("APPEND", 50*time.Millisecond)
				r.opts.Parallel = 2
			}
			seedMany(t, r.u1, []string{"INBOX", "A", "B", "C"}, 30)
			start := time.Now()
			res := run(t, r.opts)
			r.check(t, res)
			t.Logf("%v", time.Since(start))
			if testing.Verbose() {
				t.Log(r.out.String())
			}
			st1, st2 := r.s1.OAuthStats(), r.s2.OAuthStats()
			if after == 0 {
				// By time: host2, busy with APPENDs all along, sees its
				// tokens expire; host1 may be done reading before.
				if st2.Expired == 0 || res.ReconnectHost2 == 0 {
					t.Fatalf("host2 %+v reconnections %d", st2, res.ReconnectHost2)
				}
				return
			}
			if st1.Expired == 0 || st2.Expired == 0 || res.ReconnectHost1 < int64(st1.Expired)/2 || res.ReconnectHost2 == 0 {
				t.Fatalf("host1 %+v host2 %+v reconnections %d %d", st1, st2, res.ReconnectHost1, res.ReconnectHost2)
			}
		})
	}
}
