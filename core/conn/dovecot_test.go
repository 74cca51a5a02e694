package conn

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// fetchAll returns the messages of mailbox in UID order: UID, flags,
// internal date and bytes.
func fetchAll(t *testing.T, c *Conn, mailbox string) []*imapclient.FetchMessageBuffer {
	t.Helper()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	bufs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	return bufs
}

// TestRawPhaseOnDovecot runs the raw phase against a real server:
// CRAM-MD5, PLAIN with an admin identity (Dovecot's master user) on
// behalf of a user, STARTTLS with Dovecot's CA, COMPRESS=DEFLATE for a
// go-imap session and for a MULTIAPPEND Appender, with the messages
// checked on the server through another connection.
func TestRawPhaseOnDovecot(t *testing.T) {
	d := dovecot.StartT(t, dovecot.Options{ExtraConfig: "auth_mechanisms = plain login cram-md5\n"})
	ctx := context.Background()
	base := func(tr *syncBuffer) *Config {
		c := &Config{Side: 2, Host: d.Host, Port: d.Port, Mode: TLSNone, User: "user1", Password: dovecot.Users["user1"], Timeout: 30 * time.Second}
		if tr != nil {
			c.Trace = tr
		}
		return c
	}

	for _, tc := range []struct {
		name     string
		cfg      func(*Config)
		wantMech string
		check    func(t *testing.T, c *Conn)
	}{
		{"CRAM-MD5", func(c *Config) { c.AuthMech = "CRAM-MD5" }, "CRAM-MD5", nil},
		{"PLAIN as master on behalf of user1", func(c *Config) { c.AuthUser, c.Password = dovecot.MasterUser, dovecot.MasterPassword }, "PLAIN", nil},
		{"STARTTLS", func(c *Config) { c.Mode, c.TLS = TLSAuto, d.TLSConfig() }, "LOGIN", func(t *testing.T, c *Conn) {
			if !c.Secure || !c.StartTLS {
				t.Errorf("secure %v starttls %v", c.Secure, c.StartTLS)
			}
		}},
		{"COMPRESS", func(c *Config) { c.Compress = true }, "LOGIN", func(t *testing.T, c *Conn) {
			if !slices.ContainsFunc(c.Notes, func(n string) bool { return strings.Contains(n, "compression is on") }) {
				t.Errorf("notes %q", c.Notes)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr syncBuffer
			cfg := base(&tr)
			tc.cfg(cfg)
			c, err := Dial(ctx, cfg)
			if err != nil {
				t.Fatalf("%v\n%s", err, tr.String())
			}
			defer c.Close()
			if c.Mech != tc.wantMech {
				t.Errorf("mech %q", c.Mech)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
			// The session is user1's whatever the mechanism.
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			if err := c.Create("Probe-"+strings.ReplaceAll(tc.name, " ", "-"), nil).Wait(); err != nil {
				t.Errorf("CREATE: %v", err)
			}
			c.Logout().Wait()
			mustNotContain(t, tr.String(), cfg.Password)
		})
	}

	var tr syncBuffer
	cfg := base(&tr)
	cfg.Compress = true
	a, err := DialAppender(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !a.Multi() {
		t.Fatal("Dovecot offers MULTIAPPEND, Multi is false")
	}
	sizes := []int{200, 5000, 150000, 40}
	var msgs []Message
	for i, size := range sizes {
		raw := testMessage(i, size)
		msgs = append(msgs, Message{Flags: []string{`\Seen`, "$Label1"}[:1+i%2], Date: time.Date(2017, 3, 1+i, 9, 0, 0, 0, time.UTC), Size: int64(len(raw)), Body: bytes.NewReader(raw)})
	}
	o := newOutcomes(len(sizes) + 1)
	if err := a.AppendMany("INBOX", msgs, o.doneFor(0, len(sizes))); err != nil {
		t.Fatal(err)
	}
	last := testMessage(9, 300)
	if err := a.Append("INBOX", nil, time.Time{}, int64(len(last)), bytes.NewReader(last), o.one(len(sizes))); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	o.checkOnce(t)

	c, err := Dial(ctx, base(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stored := fetchAll(t, c, "INBOX")
	if len(stored) != len(sizes)+1 {
		t.Fatalf("%d messages in INBOX, want %d", len(stored), len(sizes)+1)
	}
	for i, m := range stored {
		r := o[i].results[0]
		want := last
		if i < len(sizes) {
			want = testMessage(i, sizes[i])
		}
		if r.Err != nil || r.UID != uint32(m.UID) {
			t.Errorf("message %d: result %+v, stored UID %d", i, r, m.UID)
		}
		if !bytes.Equal(m.FindBodySection(&imap.FetchItemBodySection{Peek: true}), want) {
			t.Errorf("message %d: bytes differ", i)
		}
		if i < len(sizes) {
			if !m.InternalDate.Equal(time.Date(2017, 3, 1+i, 9, 0, 0, 0, time.UTC)) || !slices.Contains(m.Flags, imap.FlagSeen) || slices.Contains(m.Flags, "$Label1") != (i%2 == 1) {
				t.Errorf("message %d: date %v flags %v", i, m.InternalDate, m.Flags)
			}
		}
	}
	if n := strings.Count(tr.String(), "Host2 C: A"); n != 2 {
		t.Errorf("%d APPEND commands for a batch of %d and one message, want 2", n, len(sizes))
	}
}
