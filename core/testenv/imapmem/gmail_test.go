package imapmem_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// lineClient speaks IMAP line by line, for the X-GM items go-imap's
// client cannot send or parse.
type lineClient struct {
	t   *testing.T
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func dialLines(t *testing.T, srv *imapmem.Server) *lineClient {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	lc := &lineClient{t: t, c: c, r: bufio.NewReader(c)}
	lc.r.ReadString('\n') // greeting
	return lc
}

// do sends a command and returns the untagged lines (literals inline)
// and the tagged status line.
func (lc *lineClient) do(cmd string) ([]string, string) {
	lc.t.Helper()
	lc.tag++
	tag := fmt.Sprintf("T%d", lc.tag)
	fmt.Fprintf(lc.c, "%s %s\r\n", tag, cmd)
	var untagged []string
	for {
		l, err := lc.r.ReadString('\n')
		if err != nil {
			lc.t.Fatalf("%s: %v", cmd, err)
		}
		l = strings.TrimRight(l, "\r\n")
		for strings.HasSuffix(l, "}") {
			var n int
			fmt.Sscanf(l[strings.LastIndexByte(l, '{'):], "{%d}", &n)
			buf := make([]byte, n)
			if _, err := io.ReadFull(lc.r, buf); err != nil {
				lc.t.Fatal(err)
			}
			rest, _ := lc.r.ReadString('\n')
			l = l + string(buf) + strings.TrimRight(rest, "\r\n")
		}
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l[len(tag)+1:]
		}
		untagged = append(untagged, l)
	}
}

func (lc *lineClient) ok(cmd string) []string {
	lc.t.Helper()
	u, st := lc.do(cmd)
	if !strings.HasPrefix(st, "OK") {
		lc.t.Fatalf("%s: %s", cmd, st)
	}
	return u
}

func gmailMsg(id, subject string, extra string) imapmem.Message {
	raw := "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: " + subject + "\r\nMessage-Id: <" + id + "@example.org>\r\n" + extra + "\r\nbody of " + id + "\r\n"
	return imapmem.Message{Raw: []byte(raw), Date: time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC)}
}

func labelsOf(t *testing.T, u *imapmem.User) map[string][]string {
	t.Helper()
	msgs, err := u.GmailMessages()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range msgs {
		subj := strings.SplitN(strings.SplitN(string(m.Raw), "Subject: ", 2)[1], "\r\n", 2)[0]
		out[subj] = m.Labels
	}
	return out
}

func TestGmailPersonality(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Gmail: true})
	u := srv.AddUser(user, pass)
	if _, err := u.SeedLabels(gmailMsg("a", "alpha", ""), `\Inbox`, "Work/2024", `\Important`); err != nil {
		t.Fatal(err)
	}
	u.SeedLabels(gmailMsg("b", "beta", "Content-Disposition: attachment\r\n"))
	u.SeedLabels(gmailMsg("c", "gamma", ""), "Été")

	lc := dialLines(t, srv)
	caps := strings.Join(lc.ok("CAPABILITY"), " ")
	if !strings.Contains(caps, "X-GM-EXT-1") {
		t.Errorf("capabilities %q lack X-GM-EXT-1", caps)
	}
	lc.ok("LOGIN alice s3cret")
	list := strings.Join(lc.ok(`LIST "" "*"`), "\n")
	for _, want := range []string{`(\HasChildren \Noselect) "/" "[Gmail]"`, `\All) "/" "[Gmail]/All Mail"`, `\Sent) "/" "[Gmail]/Sent Mail"`, `"Work/2024"`, `"&AMk-t&AOk-"`} {
		if !strings.Contains(list, want) {
			t.Errorf("LIST lacks %s:\n%s", want, list)
		}
	}

	lc.ok(`SELECT "[Gmail]/All Mail"`)
	got := lc.ok("UID FETCH 1:* (X-GM-MSGID X-GM-LABELS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	if len(got) != 3 || !strings.Contains(got[0], `X-GM-LABELS ("Work/2024" "\\Important" "\\Inbox") BODY[HEADER.FIELDS (SUBJECT)] {17}`) && !strings.Contains(got[0], `X-GM-LABELS ("Work/2024" "\\Important" "\\Inbox")`) {
		t.Fatalf("FETCH:\n%s", strings.Join(got, "\n"))
	}
	if !strings.Contains(got[0], "Subject: alpha\r\n\r\n") || !strings.Contains(got[0], "UID 1)") {
		t.Errorf("FETCH header/UID: %q", got[0])
	}
	if !strings.Contains(got[2], `X-GM-LABELS ("&AMk-t&AOk-")`) {
		t.Errorf("mUTF-7 label: %q", got[2])
	}

	// STORE replace, add, remove; a new label creates its folder.
	lc.ok(`UID STORE 2 +X-GM-LABELS ("\\Inbox" Receipts)`)
	lc.ok(`UID STORE 1 -X-GM-LABELS.SILENT ("\\Important")`)
	lc.ok(`UID STORE 3 X-GM-LABELS ("Work/2024")`)
	want := map[string][]string{
		"alpha": {"Work/2024", `\Inbox`},
		"beta":  {"Receipts", `\Inbox`},
		"gamma": {"Work/2024"},
	}
	if g := labelsOf(t, u); !equalLabels(g, want) {
		t.Errorf("labels = %v, want %v", g, want)
	}
	if msgs, _ := u.Messages("INBOX"); len(msgs) != 2 {
		t.Errorf("INBOX holds %d messages, want 2", len(msgs))
	}
	if msgs, _ := u.Messages("Été"); len(msgs) != 0 {
		t.Errorf("Été holds %d messages, want 0", len(msgs))
	}

	// SEARCH X-GM-RAW.
	for q, want := range map[string]string{
		`"has:attachment"`:                 "* SEARCH 2",
		`"label:work-2024 -subject:alpha"`: "* SEARCH 3",
		`"in:inbox"`:                       "* SEARCH 1 2",
		`"older_than:1y"`:                  "* SEARCH 1 2 3",
		`"newer_than:1y"`:                  "* SEARCH",
		`"\"body of c\""`:                  "* SEARCH 3",
	} {
		if got := lc.ok("UID SEARCH X-GM-RAW " + q); len(got) != 1 || got[0] != want {
			t.Errorf("SEARCH X-GM-RAW %s = %q, want %q", q, got, want)
		}
	}

	// APPEND into a label folder labels; the same message again adds a
	// label, no second message.
	raw := "From: x@example.org\r\nSubject: delta\r\nMessage-Id: <d@example.org>\r\n\r\nhi\r\n"
	lc.ok(fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(raw), raw))
	lc.ok(fmt.Sprintf("APPEND Receipts {%d+}\r\n%s", len(raw), raw))
	if g := labelsOf(t, u)["delta"]; !slices.Equal(g, []string{"Receipts", `\Inbox`}) {
		t.Errorf("delta labels = %v", g)
	}
	if msgs, _ := u.Messages("[Gmail]/All Mail"); len(msgs) != 4 {
		t.Errorf("All Mail holds %d messages, want 4", len(msgs))
	}
	// Expunging from a label folder removes the label.
	lc.ok("SELECT Receipts")
	lc.ok("UID STORE 1:* +FLAGS (\\Deleted)")
	lc.ok("EXPUNGE")
	if g := labelsOf(t, u)["beta"]; !slices.Equal(g, []string{`\Inbox`}) {
		t.Errorf("beta labels after expunge = %v", g)
	}
}

func TestGmailLocalisedAndLimits(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Gmail: true, GmailLocalised: true})
	u := srv.AddUser(user, pass)
	if u.AllMail() != "[Google Mail]/Alle Nachrichten" {
		t.Errorf("AllMail = %q", u.AllMail())
	}
	if use := u.SpecialUse("[Google Mail]/Gesendet"); !slices.Equal(use, []imap.MailboxAttr{imap.MailboxAttrSent}) {
		t.Errorf("special use = %v", use)
	}
	u.SeedLabels(gmailMsg("s", "sent one", ""), `\Sent`)
	if msgs, _ := u.Messages("[Google Mail]/Gesendet"); len(msgs) != 1 {
		t.Errorf("Gesendet holds %d", len(msgs))
	}
	lc := dialLines(t, srv)
	lc.ok("LOGIN alice s3cret")
	big := strings.Repeat("x", imapmem.GmailMaxMessage+1)
	if _, st := lc.do(fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(big), big)); !strings.HasPrefix(st, "NO [TOOBIG]") {
		t.Errorf("big APPEND: %s", st)
	}
	var open []*lineClient
	for i := 0; i < imapmem.GmailMaxConnections-1; i++ {
		c := dialLines(t, srv)
		c.ok("LOGIN alice s3cret")
		open = append(open, c)
	}
	last := dialLines(t, srv)
	if _, st := last.do("LOGIN alice s3cret"); !strings.Contains(st, "Too many simultaneous connections") {
		t.Errorf("16th login: %s", st)
	}
}

func equalLabels(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
