package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// imapshift runs the command line in-process and returns the exit code
// and everything written.
func imapshift(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String() + errb.String()
}

func port(n int) string { return strconv.Itoa(n) }

// login args for one side of a Dovecot instance on its plain port.
func dovecotSide(n int, s *dovecot.Server, user, pass string, extra ...string) []string {
	k := strconv.Itoa(n)
	return append([]string{"--host" + k, s.Host, "--port" + k, port(s.Port), "--user" + k, user, "--password" + k, pass}, extra...)
}

func TestDovecotTLSAndLogins(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	plain2 := dovecotSide(2, d2, "user2", "secret2", "--notls2")
	tls1 := func(extra ...string) []string {
		return append([]string{"justlogin", "--host1", d1.Host, "--port1", port(d1.TLSPort), "--ssl1", "--user1", "user1", "--password1", "secret1"}, append(extra, plain2...)...)
	}
	closed := closedPort(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in the output
	}{
		{"certificate rejected by default: a host1 connection failure", tls1(), 101, "Host1 failure: can not open imap connection on host1"},
		{"certificate rejected: advice", tls1(), 101, "--insecure1"},
		{"STARTTLS certificate rejected exits 12", append(append([]string{"justlogin", "--tls1"}, dovecotSide(1, d1, "user1", "secret1")...), plain2...), 12, "Host1 failure: Can not go to tls encryption"},
		{"--insecure1 accepts it", tls1("--insecure1"), 0, "success login"},
		{"--sslargs1 SSL_ca_file trusts the CA", tls1("--sslargs1", "SSL_ca_file="+d1.CAFile), 0, "success login"},
		{"imapsync's SSL_verify_mode=0", tls1("--sslargs1", "SSL_verify_mode=0"), 0, "success login"},
		{"automatic STARTTLS", append(append([]string{"justlogin", "--debugimap1", "--sslargs1", "SSL_ca_file=" + d1.CAFile}, dovecotSide(1, d1, "user1", "secret1")...), plain2...), 0, "STARTTLS"},
		{"--tls1 without STARTTLS exits 12", append(append([]string{"justlogin", "--tls1"}, dovecotSide(1, d1, "user1", "secret1", "--port1", port(d1.NoTLSPort))...), plain2...), 12, "STARTTLS"},
		{"wrong password on host1", append(append([]string{"justlogin"}, dovecotSide(1, d1, "user1", "nope", "--notls1")...), plain2...), 161, "Host1 failure: Error login"},
		{"wrong password on host2", append(append([]string{"justlogin"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user2", "nope", "--notls2")...), 162, "Host2 failure: Error login"},
		{"closed port on host1", append([]string{"justlogin", "--host1", "127.0.0.1", "--port1", closed, "--user1", "u", "--password1", "p", "--notls1"}, plain2...), 101, "can not open imap connection"},
		{"closed port on host2", append(append([]string{"justlogin"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), "--host2", "127.0.0.1", "--port2", closed, "--user2", "u", "--password2", "p", "--notls2"), 102, "can not open imap connection"},
		{"PLAIN", append(append([]string{"justlogin", "--authmech1", "PLAIN"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), plain2...), 0, "auth [PLAIN]"},
		{"authuser (master user)", append(append([]string{"justlogin", "--authuser1", dovecot.MasterUser}, dovecotSide(1, d1, "user1", dovecot.MasterPassword, "--notls1")...), plain2...), 0, "auth [PLAIN]"},
		{"LOGIN as user*master", append(append([]string{"justlogin"}, dovecotSide(1, d1, "user1*"+dovecot.MasterUser, dovecot.MasterPassword, "--notls1")...), plain2...), 0, "auth [LOGIN]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := imapshift(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d (want %d), output lacks %q?\n%s", code, tc.code, tc.want, out)
			}
		})
	}
}

// dovecotClient logs in to a Dovecot instance for assertions.
func dovecotClient(t *testing.T, s *dovecot.Server, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// contents returns, per folder, the sorted "sha256 flags date" lines.
func contents(t *testing.T, c *imapclient.Client) (map[string][]string, map[string]bool) {
	t.Helper()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	subs, _ := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	subscribed := map[string]bool{}
	for _, l := range subs {
		subscribed[l.Mailbox] = true
	}
	out := map[string][]string{}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			continue
		}
		out[l.Mailbox] = folderLines(t, c, l.Mailbox)
	}
	return out, subscribed
}

func msg(id, subject string) []byte {
	return []byte(fmt.Sprintf("Received: from mx.example.org by mail.example.org; Tue, 2 Mar 2021 10:00:00 +0000\r\nMessage-ID: <%s@example.org>\r\nDate: Tue, 2 Mar 2021 10:00:00 +0000\r\nFrom: Ana <ana@example.org>\r\nSubject: %s\r\n\r\nHello %s\r\n", id, subject, subject))
}

// TestDovecotSyncAcrossLayouts syncs a '.'/'INBOX.' server to a '/' one
// and back, checking names, parents, subscriptions, bytes, flags, dates,
// and that a rerun copies nothing.
func TestDovecotSyncAcrossLayouts(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2019, 4, 5, 6, 7, 8, 0, time.UTC)
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: []dovecot.Message{{Raw: msg("a1", "inbox one"), Flags: []string{`\Seen`, "$Label1"}, Date: date}, {Raw: msg("a2", "inbox two"), Date: date.Add(time.Hour)}}},
		{Name: "Données/Été", Msgs: []dovecot.Message{{Raw: msg("b1", "été"), Flags: []string{`\Flagged`}, Date: date}}},
		{Name: "Archive/2019/Q1", Msgs: []dovecot.Message{{Raw: msg("c1", "old"), Flags: []string{`\Answered`, `\Seen`}, Date: date.AddDate(-1, 0, 0)}}},
		{Name: "Sent Items", Msgs: []dovecot.Message{{Raw: msg("d1", "sent"), Flags: []string{`\Seen`}, Date: date}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"--nofoldersizes"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	code, out := imapshift(t, args...)
	if code != 0 {
		t.Fatalf("sync exit %d\n%s", code, out)
	}
	for _, line := range []string{"The sync looks good, all 5 identified messages in host1 are on host2.", "Detected 0 errors", "Exiting with return value 0"} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q", line)
		}
	}
	c1 := dovecotClient(t, d1, "user1", "secret1")
	c2 := dovecotClient(t, d2, "user1", "secret1")
	want, _ := contents(t, c1)
	got, subs := contents(t, c2)
	for box1, msgs := range want {
		box2 := strings.ReplaceAll(strings.TrimPrefix(box1, "INBOX."), ".", "/")
		if !slices.Equal(got[box2], msgs) {
			t.Errorf("host1 %q -> host2 %q:\n got %v\nwant %v", box1, box2, got[box2], msgs)
		}
		if box2 != "INBOX" && !subs[box2] {
			t.Errorf("host2 %q not subscribed", box2)
		}
	}
	for _, parent := range []string{"Données", "Archive", "Archive/2019"} {
		if _, ok := got[parent]; !ok {
			t.Errorf("parent %q not created on host2 (folders %v)", parent, keys(got))
		}
	}

	code, out = imapshift(t, args...)
	if code != 0 || !strings.Contains(out, "Messages transferred                    : 0") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}

	// And back into an empty account of the '.' server.
	back := append(append([]string{"--nofoldersizes"}, dovecotSide(1, d2, "user1", "secret1", "--notls1")...), dovecotSide(2, d1, "user2", "secret2", "--notls2")...)
	if code, out := imapshift(t, back...); code != 0 {
		t.Fatalf("sync back: exit %d\n%s", code, out)
	}
	round, _ := contents(t, dovecotClient(t, d1, "user2", "secret2"))
	for box, msgs := range want {
		if !slices.Equal(round[box], msgs) {
			t.Errorf("round trip %q: got %v want %v", box, round[box], msgs)
		}
	}
}

func keys(m map[string][]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// TestSecretsNeverWritten runs with known secrets and every trace on, and
// greps all output for them.
func TestSecretsNeverWritten(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	const pw, tok = "Pw-9fK2xQ-unique", "tok-7Hq3Zr-unique"
	for _, args := range [][]string{
		append(append([]string{"--debugimap", "--nofoldersizes"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user3", "secret3", "--notls2")...),
		append(append([]string{"--debugimap", "--justlogin"}, dovecotSide(1, d1, "user4", pw, "--notls1")...), dovecotSide(2, d2, "user3", "secret3", "--notls2")...),
		append(append([]string{"--debugimap", "--justlogin", "--oauthaccesstoken1", tok}, dovecotSide(1, d1, "user4", pw, "--notls1")...), dovecotSide(2, d2, "user3", "secret3", "--notls2")...),
		append(append([]string{"--debugimap", "--justlogin", "--password1=" + pw}, dovecotSide(1, d1, "user4", pw, "--notls1")...), dovecotSide(2, d2, "user3", "secret3", "--notls2")...),
	} {
		code, out := imapshift(t, args...)
		for _, s := range []string{pw, tok, "secret1", "secret3"} {
			if strings.Contains(out, s) {
				t.Fatalf("exit %d: secret %q written:\n%s", code, s, out)
			}
		}
		if !strings.Contains(out, "MASKED") {
			t.Fatalf("no MASKED in the output:\n%s", out)
		}
	}
}

// TestDovecotEngineBehaviour covers, on real servers: duplicates copied
// once, unidentified messages skipped then copied by --addheader without
// duplicates on reruns, flag resync, --dry writing nothing, --json, and
// --parallel 1 and 8 giving the same host2.
func TestDovecotEngineBehaviour(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	date := time.Date(2020, 6, 7, 8, 9, 10, 0, time.UTC)
	noID := []byte("From: ana@example.org\r\nSubject: draft without id\r\n\r\nunfinished\r\n")
	var bulk []dovecot.Message
	for i := 0; i < 120; i++ {
		bulk = append(bulk, dovecot.Message{Raw: msg(fmt.Sprintf("bulk%d", i), fmt.Sprintf("bulk %d", i)), Flags: []string{`\Seen`}, Date: date.Add(time.Duration(i) * time.Minute)})
	}
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: []dovecot.Message{
			{Raw: msg("dup", "twice"), Flags: []string{`\Seen`}, Date: date},
			{Raw: msg("dup", "twice"), Flags: []string{`\Seen`}, Date: date},
			{Raw: msg("keep", "flags"), Flags: []string{`\Seen`, "$Label1"}, Date: date},
		}},
		{Name: "Drafts", Msgs: []dovecot.Message{{Raw: noID, Flags: []string{`\Draft`}, Date: date}}},
		{Name: "Bulk", Msgs: bulk},
	})
	if err != nil {
		t.Fatal(err)
	}
	to := func(user, pass string, extra ...string) []string {
		return append(append(append([]string{"--nofoldersizes"}, extra...), dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, user, pass, "--notls2")...)
	}

	// --dry writes nothing.
	code, out := imapshift(t, to("user1", "secret1", "--dry")...)
	if code != 0 || !strings.Contains(out, "(could be 122 without dry mode)") {
		t.Fatalf("dry: exit %d\n%s", code, out)
	}
	c2 := dovecotClient(t, d2, "user1", "secret1")
	if got, _ := contents(t, c2); len(got) != 1 || len(got["INBOX"]) != 0 {
		t.Fatalf("--dry changed host2: %v", keys(got))
	}

	// First run: the duplicate once, the message without Message-Id skipped.
	jsonPath := t.TempDir() + "/report.json"
	code, out = imapshift(t, to("user1", "secret1", "--json", jsonPath)...)
	if code != 0 || !strings.Contains(out, "Messages void (noheader) on host1       : 1") || !strings.Contains(out, "Messages found duplicate on host1       : 1") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	got, _ := contents(t, c2)
	if len(got["INBOX"]) != 2 || len(got["INBOX.Drafts"]) != 0 || len(got["INBOX.Bulk"]) != 120 {
		t.Fatalf("host2 after the first run: INBOX %d Drafts %d Bulk %d", len(got["INBOX"]), len(got["INBOX.Drafts"]), len(got["INBOX.Bulk"]))
	}
	rep, err := os.ReadFile(jsonPath)
	if err != nil || !strings.Contains(string(rep), `"messages_transferred": 122`) {
		t.Fatalf("--json: %v\n%s", err, rep)
	}

	// --addheader copies it once, twice in a row.
	for i := 0; i < 2; i++ {
		if code, out := imapshift(t, to("user1", "secret1", "--addheader")...); code != 0 {
			t.Fatalf("addheader run %d: exit %d\n%s", i, code, out)
		}
		got, _ = contents(t, c2)
		if len(got["INBOX.Drafts"]) != 1 {
			t.Fatalf("addheader run %d: host2 Drafts has %d messages", i, len(got["INBOX.Drafts"]))
		}
	}

	// Flags changed on host2 come back to host1's.
	if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	if err := c2.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if code, out := imapshift(t, to("user1", "secret1")...); code != 0 {
		t.Fatalf("resync: exit %d\n%s", code, out)
	}
	want1, _ := contents(t, dovecotClient(t, d1, "user1", "secret1"))
	got, _ = contents(t, c2)
	if !slices.Equal(got["INBOX"], slices.Compact(slices.Clone(want1["INBOX"]))) {
		t.Fatalf("flags not resynced:\n got %v\nwant %v", got["INBOX"], want1["INBOX"])
	}

	// --parallel 1 and 8 give the same host2.
	var results []string
	for _, acct := range []struct{ user, pass, n string }{{"user2", "secret2", "1"}, {"user3", "secret3", "8"}} {
		if code, out := imapshift(t, to(acct.user, acct.pass, "--parallel", acct.n)...); code != 0 {
			t.Fatalf("--parallel %s: exit %d\n%s", acct.n, code, out)
		}
		got, _ := contents(t, dovecotClient(t, d2, acct.user, acct.pass))
		results = append(results, fmt.Sprint(got))
	}
	if results[0] != results[1] {
		t.Fatalf("--parallel 1 and 8 differ:\n%s\n%s", results[0], results[1])
	}
}

// TestDovecotChallengeMechanisms logs in with CRAM-MD5 to a Dovecot that
// offers it: --authmd51 and --authmech1 CRAM-MD5 work, a wrong password
// exits 161 without a LOGIN retry, and the trace masks the response.
// (Debian's Dovecot has no NTLM; ntlm_test.go covers it.)
func TestDovecotChallengeMechanisms(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS, ExtraConfig: "auth_mechanisms = plain login cram-md5\n"})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	plain2 := dovecotSide(2, d2, "user2", "secret2", "--notls2")
	side1 := func(pass string, extra ...string) []string {
		return append(append([]string{"justlogin", "--debugimap1"}, dovecotSide(1, d1, "user1", pass, append([]string{"--notls1"}, extra...)...)...), plain2...)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"--authmd51", side1("secret1", "--authmd51"), 0, "Host1: success login on [127.0.0.1] with user [user1] auth [CRAM-MD5]"},
		{"--authmech1 CRAM-MD5", side1("secret1", "--authmech1", "cram-md5"), 0, "auth [CRAM-MD5]"},
		{"CRAM-MD5 with a wrong password", side1("nope", "--authmech1", "CRAM-MD5", "--notrylogin"), 161, "Host1 failure: Error login on [127.0.0.1] with user [user1] auth [CRAM-MD5]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := imapshift(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				log, _ := os.ReadFile(d1.LogFile)
				t.Fatalf("exit %d (want %d), output lacks %q?\n%s\n%s", code, tc.code, tc.want, out, log)
			}
			if strings.Contains(out, "secret1") {
				t.Errorf("the password shows in the output:\n%s", out)
			}
		})
	}
}

// TestDovecotCompress syncs with --compress1 --compress2 between two
// Dovecot servers: both sessions negotiate COMPRESS DEFLATE, every
// message (a large one and 8-bit text included) arrives byte for byte
// with its flags and date, and a rerun over compressed connections
// copies nothing.
func TestDovecotCompress(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	big := append(msg("big", "large"), []byte(strings.Repeat("Lörem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\r\n", 6000))...)
	var inbox []dovecot.Message
	for i := 0; i < 30; i++ {
		inbox = append(inbox, dovecot.Message{Raw: msg(fmt.Sprintf("z%d", i), fmt.Sprintf("zipped %d", i)), Flags: []string{`\Seen`}, Date: date.Add(time.Duration(i) * time.Minute)})
	}
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: inbox},
		{Name: "Big", Msgs: []dovecot.Message{{Raw: big, Flags: []string{`\Flagged`}, Date: date}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"--nofoldersizes", "--compress1", "--compress2", "--debugimap"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	code, out := imapshift(t, args...)
	if code != 0 {
		t.Fatalf("sync exit %d\n%s", code, out)
	}
	for _, line := range []string{"Host1 C: ", "COMPRESS DEFLATE", "Host2: compression is on (COMPRESS DEFLATE)", "Host1: compression is on (COMPRESS DEFLATE)", "all 31 identified messages in host1 are on host2"} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q", line)
		}
	}
	if strings.Contains(out, "not available") || strings.Contains(out, "ignored") {
		t.Errorf("the run says compression is not used:\n%s", out)
	}
	want, _ := contents(t, dovecotClient(t, d1, "user1", "secret1"))
	got, _ := contents(t, dovecotClient(t, d2, "user1", "secret1"))
	for box, msgs := range want {
		if !slices.Equal(got[box], msgs) {
			t.Errorf("%q: got %v want %v", box, got[box], msgs)
		}
	}
	code, out = imapshift(t, args...)
	if code != 0 || !strings.Contains(out, "Messages transferred                    : 0") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}

// TestDovecotSubscriptionsWithoutListExtended: host1 does not advertise
// LIST-EXTENDED (imap_capability), so its subscriptions are read with
// LSUB; --subscribed then syncs only the subscribed folders, and host2
// gets them subscribed.
func TestDovecotSubscriptionsWithoutListExtended(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS, ExtraConfig: "protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS CHILDREN UNSELECT MOVE\n}\n"})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC)
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "Kept", Msgs: []dovecot.Message{{Raw: msg("k1", "kept"), Date: date}}},
		{Name: "Dropped", Msgs: []dovecot.Message{{Raw: msg("d1", "dropped"), Date: date}}},
		{Name: "Zoë", Msgs: []dovecot.Message{{Raw: msg("z1", "zoë"), Date: date}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d1.Doveadm("mailbox", "unsubscribe", "-u", "user1", "Dropped"); err != nil {
		t.Fatal(err)
	}
	c1 := dovecotClient(t, d1, "user1", "secret1")
	if caps := c1.Caps(); caps.Has(imap.CapListExtended) {
		t.Fatalf("host1 still advertises LIST-EXTENDED: %v", caps)
	}
	args := append(append([]string{"--nofoldersizes", "--subscribed", "--debugimap1"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	code, out := imapshift(t, args...)
	if code != 0 || !strings.Contains(out, `LSUB "" "*"`) || strings.Contains(out, "could not read the subscriptions") {
		t.Fatalf("sync exit %d\n%s", code, out)
	}
	got, subs := contents(t, dovecotClient(t, d2, "user1", "secret1"))
	for _, box := range []string{"Kept", "Zoë"} {
		if len(got[box]) != 1 || !subs[box] {
			t.Errorf("host2 %q: %v, subscribed %v", box, got[box], subs[box])
		}
	}
	if _, ok := got["Dropped"]; ok {
		t.Errorf("the unsubscribed folder was synced: %v", keys(got))
	}
}
