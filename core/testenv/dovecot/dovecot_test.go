package dovecot

import (
	"bytes"
	"errors"
	"github.com/imapshift/imapshift/core/mailbox"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

func TestEncodeMUTF7(t *testing.T) {
	for in, want := range map[string]string{
		"INBOX":                  "INBOX",
		"Données/Été":            "Donn&AOk-es/&AMk-t&AOk-",
		"日本語":                    "&ZeVnLIqe-",
		"Clients/Müller & Söhne": "Clients/M&APw-ller &- S&APY-hne",
		"a&b":                    "a&-b",
		"😀":                      "&2D3eAA-",
		"~peter/mail/台北/日本語":     "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	} {
		if got := mailbox.EncodeUTF7(in); got != want {
			t.Errorf("mailbox.EncodeUTF7(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotInstalled(t *testing.T) {
	t.Setenv("IMAPSHIFT_DOVECOT", filepath.Join(t.TempDir(), "no-dovecot"))
	_, err := Start(Options{})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start with a missing binary: %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "no-dovecot") {
		t.Errorf("error lacks the reason: %v", err)
	}
}

func login(t *testing.T, c *imapclient.Client, user, pass string) {
	t.Helper()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("LOGIN %s: %v", user, err)
	}
}

func dial(t *testing.T, f func() (*imapclient.Client, error)) *imapclient.Client {
	t.Helper()
	c, err := f()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServer(t *testing.T) {
	for _, layout := range []Layout{LayoutFS, LayoutMaildirPP} {
		t.Run(layout.String(), func(t *testing.T) {
			t.Parallel()
			testServer(t, layout)
		})
	}
}

func testServer(t *testing.T, layout Layout) {
	s := StartT(t, Options{Layout: layout})
	t.Logf("%s: started in %v: plain %s, tls %s, notls %s", layout, s.StartTime, s.Addr(), s.TLSAddr(), s.NoTLSAddr())
	wantSep, wantPrefix := "/", ""
	if layout == LayoutMaildirPP {
		wantSep, wantPrefix = ".", "INBOX."
	}
	if s.Sep != wantSep || s.Prefix != wantPrefix {
		t.Fatalf("Sep/Prefix = %q/%q", s.Sep, s.Prefix)
	}
	for _, p := range []string{s.Dir, s.CAFile, s.ConfFile} {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("plain+namespace", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
		if !c.Caps().Has(imap.CapStartTLS) {
			t.Errorf("plain port does not offer STARTTLS: %v", c.Caps())
		}
		if err := c.Login("user1", "wrong").Wait(); err == nil {
			t.Fatal("LOGIN with a wrong password succeeded")
		}
		login(t, c, "user1", "secret1")
		ns, err := c.Namespace().Wait()
		if err != nil {
			t.Fatal(err)
		}
		if len(ns.Personal) != 1 || ns.Personal[0].Prefix != wantPrefix || string(ns.Personal[0].Delim) != wantSep {
			t.Fatalf("NAMESPACE personal = %+v", ns.Personal)
		}
		caps := c.Caps()
		for _, want := range []imap.Cap{"QUOTA", "ACL", "SPECIAL-USE", "CONDSTORE", "UIDPLUS"} {
			if !caps.Has(want) {
				t.Errorf("missing capability %s", want)
			}
		}
		// Special-use folders are defined but not auto-created.
		if err := c.Create(s.MailboxName("Sent"), nil).Wait(); err != nil {
			t.Fatal(err)
		}
		list, err := c.List("", s.MailboxName("Sent"), &imap.ListOptions{ReturnSpecialUse: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || !slices.Contains(list[0].Attrs, imap.MailboxAttrSent) {
			t.Errorf("LIST Sent = %+v", list)
		}
	})

	t.Run("starttls", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) {
			return imapclient.DialStartTLS(s.Addr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
		})
		login(t, c, "user2", "secret2")
	})

	t.Run("starttls-localhost", func(t *testing.T) {
		cfg := s.TLSConfig()
		cfg.ServerName = "localhost"
		c := dial(t, func() (*imapclient.Client, error) {
			return imapclient.DialStartTLS(s.Addr(), &imapclient.Options{TLSConfig: cfg})
		})
		login(t, c, "user2", "secret2")
	})

	t.Run("implicit-tls", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) {
			return imapclient.DialTLS(s.TLSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
		})
		login(t, c, "user3", "secret3")
	})

	t.Run("tls-untrusted", func(t *testing.T) {
		if c, err := imapclient.DialTLS(s.TLSAddr(), nil); err == nil {
			c.Close()
			t.Fatal("TLS without the test CA was accepted")
		}
	})

	t.Run("notls-port", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.NoTLSAddr(), nil) })
		if c.Caps().Has(imap.CapStartTLS) {
			t.Fatalf("NoTLSPort offers STARTTLS: %v", c.Caps())
		}
		login(t, c, "user4", "secret4")
		if _, err := imapclient.DialStartTLS(s.NoTLSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()}); err == nil {
			t.Fatal("STARTTLS succeeded on NoTLSPort")
		}
	})

	t.Run("seed", func(t *testing.T) { testSeed(t, s) })
	t.Run("master", func(t *testing.T) { testMaster(t, s) })
	t.Run("quota", func(t *testing.T) { testQuota(t, s) })
}

func testSeed(t *testing.T, s *Server) {
	d1 := time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)
	d2 := time.Date(2021, 12, 31, 23, 59, 58, 0, time.FixedZone("", 3600))
	msgs := []Message{
		{Raw: []byte("From: a@example.org\r\nSubject: one\r\nMessage-ID: <1@x>\r\n\r\nbody one\r\n"),
			Flags: []string{`\Seen`}, Date: d1},
		{Raw: []byte("From: b@example.org\nSubject: =?UTF-8?Q?deux_=C3=A9t=C3=A9?=\nMessage-ID: <2@x>\n\nété\n"),
			Flags: []string{`\Flagged`, "$Label1", `\Recent`}, Date: d2},
		{Raw: []byte("Subject: three\r\nMessage-ID: <3@x>\r\n\r\n" + strings.Repeat("x", 5000) + "\r\n"),
			Flags: []string{`\Draft`, `\Answered`, "NonJunk", "$Label1"}, Date: d1.Add(time.Hour)},
	}
	folder := "Données/Été"
	if err := s.Seed("user2", folder, msgs[:2]); err != nil {
		t.Fatal(err)
	}
	// A second seed into the same folder extends the keyword file.
	if err := s.SeedMany("user2", []Folder{{Name: folder, Msgs: msgs[2:]}, {Name: "INBOX", Msgs: msgs[:1]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Doveadm("mailbox", "list", "-u", "user2"); err != nil {
		t.Fatal(err)
	}
	name := s.MailboxName(folder)
	if want := strings.ReplaceAll(s.Prefix+folder, "/", s.Sep); name != want {
		t.Fatalf("MailboxName = %q, want %q", name, want)
	}
	var rel string
	if s.Layout == LayoutFS {
		rel = "Donn&AOk-es/&AMk-t&AOk-"
	} else {
		rel = ".Donn&AOk-es.&AMk-t&AOk-"
	}
	if st, err := os.Stat(filepath.Join(s.MaildirRoot("user2"), rel, "cur")); err != nil {
		t.Fatal(err)
	} else if os.Geteuid() == 0 && st.Sys() != nil {
		// Files must belong to the mail user, not root.
		if uid := fileUID(st); uid == 0 {
			t.Errorf("seeded directory is owned by root")
		}
	}

	c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
	login(t, c, "user2", "secret2")
	subs, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var subNames []string
	for _, l := range subs {
		subNames = append(subNames, l.Mailbox)
	}
	if !slices.Contains(subNames, name) || !slices.Contains(subNames, "INBOX") {
		t.Errorf("subscribed = %q, want %q and INBOX", subNames, name)
	}
	if _, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("fetched %d messages, want 3", len(got))
	}
	for i, m := range got {
		want := msgs[i]
		wantRaw := crlf(want.Raw)
		body := m.FindBodySection(&imap.FetchItemBodySection{})
		if !bytes.Equal(body, wantRaw) {
			t.Errorf("msg %d: body %q, want %q", i+1, body, wantRaw)
		}
		if m.RFC822Size != int64(len(wantRaw)) {
			t.Errorf("msg %d: RFC822.SIZE %d, want %d", i+1, m.RFC822Size, len(wantRaw))
		}
		if !m.InternalDate.Equal(want.Date) {
			t.Errorf("msg %d: INTERNALDATE %v, want %v", i+1, m.InternalDate, want.Date)
		}
		var flags, wantFlags []string
		for _, f := range m.Flags {
			if f != `\Recent` {
				flags = append(flags, strings.ToLower(string(f)))
			}
		}
		for _, f := range want.Flags {
			if f != `\Recent` {
				wantFlags = append(wantFlags, strings.ToLower(f))
			}
		}
		slices.Sort(flags)
		slices.Sort(wantFlags)
		if !slices.Equal(flags, wantFlags) {
			t.Errorf("msg %d: flags %q, want %q", i+1, flags, wantFlags)
		}
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 1 {
		t.Errorf("INBOX has %d messages, want 1", *st.NumMessages)
	}
	if _, _, err := s.folderNames("a/../b"); err == nil {
		t.Error("folderNames accepted ..")
	}
}

func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

func testMaster(t *testing.T, s *Server) {
	if err := s.Seed("user1", "Master check", []Message{{Raw: []byte("Subject: m\r\n\r\nm\r\n")}}); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, c *imapclient.Client) {
		st, err := c.Status(s.MailboxName("Master check"), &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if *st.NumMessages != 1 {
			t.Errorf("messages = %d, want 1", *st.NumMessages)
		}
		rights, err := c.MyRights("INBOX").Wait()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range "lrswipekxta" {
			if !strings.ContainsRune(string(rights.Rights), r) {
				t.Errorf("MYRIGHTS INBOX = %q, lacks %c (ACLs apply to the master user?)", rights.Rights, r)
				break
			}
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("login", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
		login(t, c, MasterLogin("user1"), MasterPassword)
		check(t, c)
	})
	t.Run("sasl-plain-authzid", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
		if err := c.Authenticate(sasl.NewPlainClient("user1", MasterUser, MasterPassword)); err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
	t.Run("wrong-master-password", func(t *testing.T) {
		c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
		if err := c.Login("user1*master", "nope").Wait(); err == nil {
			t.Fatal("master login with a wrong password succeeded")
		}
	})
}

func testQuota(t *testing.T, s *Server) {
	c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
	login(t, c, QuotaUser, QuotaPassword)
	data, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 || data[0].Root != QuotaRoot || data[0].Resources[imap.QuotaResourceStorage].Limit != QuotaLimitKB {
		t.Fatalf("GETQUOTAROOT INBOX = %+v", data)
	}
	big := append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef\r\n"), 70000)...)
	app := c.Append("INBOX", int64(len(big)), nil)
	app.Write(big)
	app.Close()
	_, err = app.Wait()
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeOverQuota {
		t.Fatalf("APPEND over quota: %v, want NO [OVERQUOTA]", err)
	}
}

func TestStopRemovesDir(t *testing.T) {
	t.Parallel()
	s := StartT(t, Options{Layout: LayoutFS, FsyncNever: true})
	dir := s.Dir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Stop left %s: %v", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestGivenDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a-rather-long-directory-name-to-force-a-short-base-dir", "dc")
	s := StartT(t, Options{Layout: LayoutMaildirPP, Dir: dir})
	if s.Dir != dir {
		t.Fatalf("Dir = %q, want %q", s.Dir, dir)
	}
	if err := s.Seed("user3", "INBOX/Sub/Deeper", []Message{{Raw: []byte("Subject: x\n\nx\n"), Flags: []string{`\Seen`}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.MaildirRoot("user3"), ".Sub.Deeper", "cur")); err != nil {
		t.Fatal(err)
	}
	out, err := s.Doveadm("mailbox", "status", "-u", "user3", "messages", "INBOX.Sub.Deeper")
	if err != nil || !strings.Contains(string(out), "messages=1") {
		t.Fatalf("doveadm mailbox status: %q %v", out, err)
	}

	// Restart keeps ports, CA and mail; a connected client gets BYE.
	c := dial(t, func() (*imapclient.Client, error) { return imapclient.DialInsecure(s.Addr(), nil) })
	login(t, c, "user3", "secret3")
	port, ca := s.Port, mustRead(t, s.CAFile)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Error("client still connected after Restart")
	}
	if s.Port != port || !bytes.Equal(ca, mustRead(t, s.CAFile)) {
		t.Error("Restart changed the port or the CA")
	}
	c2 := dial(t, func() (*imapclient.Client, error) {
		return imapclient.DialTLS(s.TLSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
	})
	login(t, c2, "user3", "secret3")
	st, err := c2.Status("INBOX.Sub.Deeper", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 1 {
		t.Fatalf("STATUS after Restart: %v %v", st, err)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("Stop removed the given Dir: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
