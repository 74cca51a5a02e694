package imapmem_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/textproto"

	"github.com/imapshift/imapshift/core/demomail"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

const (
	user = "alice"
	pass = "s3cret"
)

// syncBuffer is a goroutine-safe bytes.Buffer for client debug output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

func dial(t *testing.T, srv *imapmem.Server, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.Addr(), opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func login(t *testing.T, srv *imapmem.Server, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c := dial(t, srv, opts)
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

func msg(subject string, bodySize int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bob <bob@example.com>\r\nTo: alice@example.org\r\nSubject: %s\r\n", subject)
	fmt.Fprintf(&b, "Message-ID: <%s@example.com>\r\nDate: Mon, 02 Jan 2017 10:00:00 +0100\r\n\r\n", strings.ReplaceAll(subject, " ", "."))
	line := "The quick brown fox jumps over the lazy dog 0123456789.\r\n"
	for b.Len() < bodySize {
		b.WriteString(line)
	}
	return []byte(b.String())
}

func appendMsg(c *imapclient.Client, mailbox string, raw []byte, opts *imap.AppendOptions) (*imap.AppendData, error) {
	cmd := c.Append(mailbox, int64(len(raw)), opts)
	_, werr := cmd.Write(raw)
	cerr := cmd.Close()
	data, err := cmd.Wait()
	if err != nil {
		return nil, err
	}
	if werr != nil {
		return nil, werr
	}
	return data, cerr
}

func imapErr(t *testing.T, err error) *imap.Error {
	t.Helper()
	var e *imap.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *imap.Error, got %T %v", err, err)
	}
	return e
}

func waitClosed(t *testing.T, c *imapclient.Client) {
	t.Helper()
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed")
	}
}

func TestAppendUIDPlusDatesAndFlags(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	c := login(t, srv, nil)

	if !c.Caps().Has(imap.CapUIDPlus) || !c.Caps().Has(imap.CapMove) || !c.Caps().Has(imap.CapSpecialUse) {
		t.Fatalf("caps: %v", c.Caps())
	}
	if err := c.Create("Archive/2016", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2016, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	flags := []imap.Flag{imap.FlagSeen, imap.FlagFlagged, imap.FlagAnswered, "$Label1", "NonJunk", "$Forwarded"}
	raw1 := msg("first", 200)   // non-synchronizing literal
	raw2 := msg("second", 9000) // synchronizing literal (> 4096)
	d1, err := appendMsg(c, "Archive/2016", raw1, &imap.AppendOptions{Flags: flags, Time: date})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := appendMsg(c, "Archive/2016", raw2, &imap.AppendOptions{Time: date.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if d1.UID != 1 || d2.UID != 2 || d1.UIDValidity == 0 || d1.UIDValidity != d2.UIDValidity {
		t.Fatalf("APPENDUID: %+v %+v", d1, d2)
	}

	msgs, err := u.Messages("Archive/2016")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if !bytes.Equal(msgs[0].Raw, raw1) || !bytes.Equal(msgs[1].Raw, raw2) {
		t.Error("raw bytes differ")
	}
	if !msgs[0].InternalDate.Equal(date) || !msgs[1].InternalDate.Equal(date.Add(time.Hour)) {
		t.Errorf("internal dates: %v %v", msgs[0].InternalDate, msgs[1].InternalDate)
	}
	if msgs[0].Size != int64(len(raw1)) {
		t.Errorf("size %d", msgs[0].Size)
	}
	for _, f := range flags {
		if !msgs[0].HasFlag(f) {
			t.Errorf("flag %s missing in %v", f, msgs[0].Flags)
		}
	}
	if len(msgs[0].Flags) != len(flags) || len(msgs[1].Flags) != 0 {
		t.Errorf("flags: %v / %v", msgs[0].Flags, msgs[1].Flags)
	}

	// The same through the protocol.
	if _, err := c.Select("Archive/2016", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	bufs, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{Flags: true, InternalDate: true}).Collect()
	if err != nil || len(bufs) != 1 {
		t.Fatalf("fetch: %v %d", err, len(bufs))
	}
	if !bufs[0].InternalDate.Equal(date) || !slices.Contains(bufs[0].Flags, imap.FlagSeen) {
		t.Errorf("fetch: %v %v", bufs[0].InternalDate, bufs[0].Flags)
	}

	// COPYUID via MOVE.
	if err := c.Create("Other", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	mv, err := c.Move(imap.UIDSetNum(2), "Other").Wait()
	if err != nil || mv.UIDValidity == 0 || mv.DestUIDs.String() != "1" {
		t.Fatalf("move: %+v %v", mv, err)
	}
}

func TestMailboxListSubscribeSpecialUseNamespace(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	if err := u.Seed("Projects/Q1 reports", imapmem.Message{Raw: msg("a", 10)}); err != nil {
		t.Fatal(err)
	}
	if err := u.CreateMailbox("Sent", imap.MailboxAttrSent); err != nil {
		t.Fatal(err)
	}
	u.Subscribe("INBOX", "Projects/Q1 reports", "Gone")

	names, _ := u.Mailboxes()
	if want := []string{"INBOX", "Projects", "Projects/Q1 reports", "Sent"}; !slices.Equal(names, want) {
		t.Fatalf("mailboxes %v, want %v", names, want)
	}

	c := login(t, srv, nil)
	ns, err := c.Namespace().Wait()
	if err != nil || len(ns.Personal) != 1 || ns.Personal[0].Delim != '/' || ns.Personal[0].Prefix != "" {
		t.Fatalf("namespace: %+v %v", ns, err)
	}
	if err := c.Create("Données/Été", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrArchive}}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Bad", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{"\\Bogus"}}).Wait(); err == nil {
		t.Error("CREATE with unknown special-use accepted")
	}

	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		if l.Delim != '/' {
			t.Errorf("delim %q", l.Delim)
		}
		got[l.Mailbox] = l.Attrs
	}
	if len(got) != 6 { // not "Gone": subscribed but nonexistent
		t.Errorf("LIST: %v", got)
	}
	if !slices.Contains(got["Sent"], imap.MailboxAttrSent) || !slices.Contains(got["Données/Été"], imap.MailboxAttrArchive) {
		t.Errorf("special-use missing: %v", got)
	}
	if !slices.Contains(got["Projects"], imap.MailboxAttrHasChildren) || !slices.Contains(got["INBOX"], imap.MailboxAttrHasNoChildren) {
		t.Errorf("children attrs: %v", got)
	}

	sub, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var subNames []string
	for _, l := range sub {
		subNames = append(subNames, l.Mailbox)
		if l.Mailbox == "Gone" && !slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) {
			t.Errorf("Gone: %v", l.Attrs)
		}
	}
	if want := []string{"INBOX", "Gone", "Projects/Q1 reports"}; !slices.Equal(subNames, want) {
		t.Errorf("LIST (SUBSCRIBED) %v, want %v", subNames, want)
	}

	su, err := c.List("", "*", &imap.ListOptions{SelectSpecialUse: true}).Collect()
	if err != nil || len(su) != 2 {
		t.Errorf("LIST (SPECIAL-USE): %v %v", su, err)
	}

	st, err := c.List("", "Projects/%", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true}}).Collect()
	if err != nil || len(st) != 1 || st[0].Status == nil || *st[0].Status.NumMessages != 1 {
		t.Errorf("LIST-STATUS: %+v %v", st, err)
	}

	// RENAME moves inferiors and subscriptions; DELETE keeps subscriptions.
	if err := c.Rename("Projects", "Old/Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	names, _ = u.Mailboxes()
	if want := []string{"INBOX", "Données", "Données/Été", "Old", "Old/Projects", "Old/Projects/Q1 reports", "Sent"}; !slices.Equal(names, want) {
		t.Errorf("after rename %v, want %v", names, want)
	}
	if err := c.Unsubscribe("INBOX").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("INBOX").Wait(); err == nil {
		t.Error("DELETE INBOX accepted")
	}
	if err := c.Delete("Old/Projects/Q1 reports").Wait(); err != nil {
		t.Fatal(err)
	}
	subs, _ := u.Subscribed()
	if want := []string{"Gone", "Old/Projects/Q1 reports"}; !slices.Equal(subs, want) {
		t.Errorf("subscribed %v, want %v", subs, want)
	}
	if got := u.SpecialUse("Sent"); !slices.Equal(got, []imap.MailboxAttr{imap.MailboxAttrSent}) {
		t.Errorf("SpecialUse(Sent) = %v", got)
	}

	// RENAME INBOX leaves an empty INBOX.
	if err := u.Seed("INBOX", imapmem.Message{Raw: msg("in inbox", 10)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("INBOX", "Old/Inbox", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if m, _ := u.Messages("INBOX"); len(m) != 0 {
		t.Error("INBOX not empty after rename")
	}
	if m, _ := u.Messages("Old/Inbox"); len(m) != 1 {
		t.Error("renamed INBOX lost its message")
	}
}

func TestRefuseCommand(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser(user, pass)
	c := login(t, srv, nil)
	f := srv.Faults()

	quota := &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Mailbox is full"}
	f.RefuseCommand("APPEND", 2, quota)

	for _, size := range []int{300, 20000} { // non-sync then sync literal
		_, err := appendMsg(c, "INBOX", msg("x", size), nil)
		e := imapErr(t, err)
		if e.Type != imap.StatusResponseTypeNo || e.Code != imap.ResponseCodeOverQuota || e.Text != "Mailbox is full" {
			t.Errorf("size %d: got %+v", size, e)
		}
	}
	// The connection is still in sync: the third APPEND passes.
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if d, err := appendMsg(c, "INBOX", msg("ok", 300), nil); err != nil || d.UID != 1 {
		t.Fatalf("third append: %+v %v", d, err)
	}
	if n := f.Count("APPEND"); n != 3 {
		t.Errorf("Count(APPEND) = %d", n)
	}

	// Permanent refusal with BAD, and "FETCH" matching UID FETCH.
	f.RefuseCommand("FETCH", -1, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Try later"})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{Flags: true}).Collect()
		if e := imapErr(t, err); e.Type != imap.StatusResponseTypeBad || e.Text != "Try later" {
			t.Errorf("fetch %d: %+v", i, e)
		}
	}
	f.RefuseCommand("FETCH", 0, nil)
	if _, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{Flags: true}).Collect(); err != nil {
		t.Errorf("fetch after clearing: %v", err)
	}

	// LOGIN refused once, default response.
	f.RefuseCommand("LOGIN", 1, nil)
	c2 := dial(t, srv, nil)
	if e := imapErr(t, c2.Login(user, pass).Wait()); e.Type != imap.StatusResponseTypeNo {
		t.Errorf("login: %+v", e)
	}
	if err := c2.Login(user, pass).Wait(); err != nil {
		t.Errorf("second login: %v", err)
	}
}

func TestDropAfterCommands(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	u.Seed("INBOX", imapmem.Message{Raw: msg("one", 100)}, imapmem.Message{Raw: msg("two", 100)})
	c := login(t, srv, nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	f := srv.Faults()
	f.DropAfterCommands("UID FETCH", 2)

	if _, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{UID: true}).Collect(); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	_, err := c.Fetch(imap.UIDSetNum(2), &imap.FetchOptions{UID: true}).Collect()
	if err == nil {
		t.Fatal("second fetch succeeded")
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		t.Fatalf("got a server answer instead of a cut: %v", ie)
	}
	waitClosed(t, c)
	if n := f.Count("UID FETCH"); n != 2 {
		t.Errorf("Count = %d", n)
	}
	// One-shot: a new connection works.
	c2 := login(t, srv, nil)
	c2.Select("INBOX", nil).Wait()
	if _, err := c2.Fetch(imap.UIDSetNum(2), &imap.FetchOptions{UID: true}).Collect(); err != nil {
		t.Errorf("fetch on new connection: %v", err)
	}
}

// fetchBody streams BODY.PEEK[] of one message. A literal cut by a dropped
// connection reads as a clean io.EOF, so the byte count is checked against
// the announced size; after a short read the command is abandoned and the
// client closed, because imapclient's discard would read the literal again
// concurrently with its reader goroutine (a data race in go-imap beta.8).
func fetchBody(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	body := &imap.FetchItemBodySection{Peek: true}
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}})
	msg := cmd.Next()
	if msg == nil {
		return nil, cmd.Close()
	}
	var got []byte
	for item := msg.Next(); item != nil; item = msg.Next() {
		b, ok := item.(imapclient.FetchItemDataBodySection)
		if !ok || b.Literal == nil {
			continue
		}
		data, err := io.ReadAll(b.Literal)
		if err == nil && int64(len(data)) != b.Literal.Size() {
			err = fmt.Errorf("literal truncated: %d of %d bytes", len(data), b.Literal.Size())
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		got = data
	}
	return got, cmd.Close()
}

func TestDropMidLiteral(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	big := msg("big", 50000)
	u.Seed("INBOX", imapmem.Message{Raw: big})
	f := srv.Faults()

	// DropResponseAfterBytes: the FETCH response is cut inside the literal.
	c := login(t, srv, nil)
	c.Select("INBOX", nil).Wait()
	f.DropResponseAfterBytes("UID FETCH", 10000)
	_, err := fetchBody(c, 1)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("fetch of a cut literal: %v", err)
	}
	waitClosed(t, c)
	// One-shot.
	c = login(t, srv, nil)
	c.Select("INBOX", nil).Wait()
	if got, err := fetchBody(c, 1); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("second fetch: %v", err)
	}

	// DropAfterBytes inside the greeting.
	f.DropAfterBytes(20)
	if c, err := imapclient.DialInsecure(srv.Addr(), nil); err == nil {
		err = c.WaitGreeting()
		c.Close()
		if err == nil {
			t.Error("greeting survived DropAfterBytes(20)")
		}
	}

	// DropAfterBytes inside a FETCH literal: measure what the server sends
	// before the FETCH response on a first connection, then replay.
	session := func(conn net.Conn) error {
		c := imapclient.New(conn, nil)
		defer c.Close()
		if err := c.Login(user, pass).Wait(); err != nil {
			return err
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			return err
		}
		if cc, ok := conn.(*countingConn); ok {
			cc.mark()
		}
		_, err := fetchBody(c, 1)
		return err
	}
	raw, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: raw}
	if err := session(cc); err != nil {
		t.Fatal(err)
	}
	before := cc.marked()
	f.DropAfterBytes(before + 20000)
	raw, err = net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := session(raw); err == nil {
		t.Error("FETCH survived DropAfterBytes in the literal")
	}
	// Only that connection.
	login(t, srv, nil)
}

// countingConn counts the bytes read from the server.
type countingConn struct {
	net.Conn
	mu    sync.Mutex
	n, at int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingConn) mark() {
	c.mu.Lock()
	c.at = c.n
	c.mu.Unlock()
}

func (c *countingConn) marked() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func tail(s string) string {
	if len(s) > 200 {
		return s[len(s)-200:]
	}
	return s
}

func TestDelay(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser(user, pass)
	c := login(t, srv, nil)
	f := srv.Faults()
	const d = 300 * time.Millisecond
	f.Delay("NOOP", d)

	start := time.Now()
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < d {
		t.Errorf("NOOP took %v, want >= %v", el, d)
	}
	start = time.Now()
	c.List("", "*", nil).Collect()
	if el := time.Since(start); el >= d {
		t.Errorf("LIST delayed: %v", el)
	}
	// Pipelined NOOPs are delayed one after the other.
	start = time.Now()
	n1, n2 := c.Noop(), c.Noop()
	n1.Wait()
	n2.Wait()
	if el := time.Since(start); el < 2*d {
		t.Errorf("two pipelined NOOPs took %v, want >= %v", el, 2*d)
	}
	f.Delay("NOOP", 0)
	start = time.Now()
	c.Noop().Wait()
	if el := time.Since(start); el >= d {
		t.Errorf("NOOP still delayed: %v", el)
	}
}

func TestBye(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser(user, pass)
	var dbg1, dbg2 syncBuffer
	c1 := login(t, srv, &imapclient.Options{DebugWriter: &dbg1})
	c2 := dial(t, srv, &imapclient.Options{DebugWriter: &dbg2}) // not logged in
	c2.WaitGreeting()
	if n := srv.ActiveConnections(); n != 2 {
		t.Fatalf("ActiveConnections = %d", n)
	}
	if n := srv.Faults().Bye("Server shutting down for maintenance"); n != 2 {
		t.Errorf("Bye reached %d connections", n)
	}
	waitClosed(t, c1)
	waitClosed(t, c2)
	for _, d := range []*syncBuffer{&dbg1, &dbg2} {
		if !strings.Contains(d.String(), "* BYE Server shutting down for maintenance\r\n") {
			t.Errorf("no BYE seen: %q", tail(d.String()))
		}
	}
	if err := c1.Noop().Wait(); err == nil {
		t.Error("NOOP after BYE succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.ActiveConnections() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.ActiveConnections(); n != 0 {
		t.Errorf("ActiveConnections after Bye = %d", n)
	}
}

func TestCountersAndPeek(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	for i := 0; i < 5; i++ {
		u.Seed("INBOX", imapmem.Message{Raw: msg(fmt.Sprint("m", i), 100)})
	}
	c := login(t, srv, nil)
	f := srv.Faults()
	c.Select("INBOX", nil).Wait()
	body := &imap.FetchItemBodySection{Peek: true}
	for _, set := range []imap.UIDSet{{{Start: 1, Stop: 3}}, {{Start: 4, Stop: 5}}} {
		if _, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect(); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Count("UID FETCH"); n != 2 {
		t.Errorf("UID FETCH count %d", n)
	}
	if n := f.Count("FETCH"); n != 2 {
		t.Errorf("FETCH count %d", n)
	}
	counts := f.Counts()
	if counts["LOGIN"] != 1 || counts["SELECT"] != 1 || counts["FETCH"] != 0 {
		t.Errorf("counts %v", counts)
	}
	fetches := f.CommandsMatching("FETCH")
	if len(fetches) != 2 {
		t.Fatalf("fetch lines %v", fetches)
	}
	for _, l := range fetches {
		if !strings.Contains(l, "BODY.PEEK[]") {
			t.Errorf("no BODY.PEEK in %q", l)
		}
	}
	for _, l := range f.Commands() {
		if strings.Contains(l, pass) {
			t.Errorf("password logged: %q", l)
		}
	}
	msgs, _ := u.Messages("INBOX")
	for _, m := range msgs {
		if m.HasFlag(imap.FlagSeen) {
			t.Errorf("UID %d got \\Seen", m.UID)
		}
	}
	// Inspection does not count.
	if n := f.Count("*"); n != 4 {
		t.Errorf("Count(*) = %d (%v)", n, f.Counts())
	}
	f.ResetCounts()
	if n := f.Count("*"); n != 0 {
		t.Errorf("after reset %d", n)
	}
}

func TestLoginWithLiteralPassword(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("bob", "pässwörd \"quoted\"")
	c := dial(t, srv, nil)
	if err := c.Login("bob", "pässwörd \"quoted\"").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := srv.Faults().Count("LOGIN"); n != 1 {
		t.Errorf("LOGIN count %d: %v", n, srv.Faults().Commands())
	}
	if err := dial(t, srv, nil).Login("bob", "wrong").Wait(); err == nil {
		t.Error("wrong password accepted")
	}
}

func TestLimitConnections(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser(user, pass)
	srv.AddUser("other", pass)
	srv.Faults().LimitConnections(1, nil)

	c1 := login(t, srv, nil)
	c2 := dial(t, srv, nil)
	e := imapErr(t, c2.Login(user, pass).Wait())
	if e.Code != imap.ResponseCodeLimit || !strings.Contains(e.Text, "Too many") {
		t.Errorf("got %+v", e)
	}
	// Per user.
	if err := dial(t, srv, nil).Login("other", pass).Wait(); err != nil {
		t.Errorf("other user: %v", err)
	}
	c1.Logout().Wait()
	c1.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c2.Login(user, pass).Wait()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("login after logout: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTwoServers(t *testing.T) {
	src := imapmem.StartT(t, imapmem.Options{})
	dst := imapmem.StartT(t, imapmem.Options{Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}})
	if src.Addr() == dst.Addr() || src.Port() == dst.Port() || src.Host() != "127.0.0.1" {
		t.Fatalf("addresses %s %s", src.Addr(), dst.Addr())
	}
	su := src.AddUser(user, pass)
	du := dst.AddUser(user, pass)
	date := time.Date(2015, 6, 7, 8, 9, 10, 0, time.UTC)
	raw := msg("copied", 1000)
	su.Seed("INBOX", imapmem.Message{Raw: raw, Flags: []imap.Flag{imap.FlagSeen, "$Label1"}, Date: date})

	cs, cd := login(t, src, nil), login(t, dst, nil)
	if cd.Caps().Has(imap.CapMove) || cd.Caps().Has(imap.CapNamespace) {
		t.Errorf("dst caps %v", cd.Caps())
	}
	cs.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	body := &imap.FetchItemBodySection{Peek: true}
	bufs, err := cs.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil || len(bufs) != 1 {
		t.Fatal(err)
	}
	if _, err := appendMsg(cd, "INBOX", bufs[0].FindBodySection(body), &imap.AppendOptions{Flags: bufs[0].Flags, Time: bufs[0].InternalDate}); err != nil {
		t.Fatal(err)
	}
	got, _ := du.Messages("INBOX")
	if len(got) != 1 || !bytes.Equal(got[0].Raw, raw) || !got[0].InternalDate.Equal(date) || !got[0].HasFlag("$Label1") {
		t.Fatalf("copy mismatch: %+v", got)
	}
	if src.Faults().Count("APPEND") != 0 || dst.Faults().Count("APPEND") != 1 {
		t.Error("counters are not per server")
	}
}

func TestTLS(t *testing.T) {
	serverTLS, clientTLS, err := imapmem.NewTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := imapmem.StartT(t, imapmem.Options{TLSConfig: serverTLS})
	srv.AddUser(user, pass)

	c, err := imapclient.DialTLS(srv.TLSAddr(), &imapclient.Options{TLSConfig: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Caps().Has(imap.CapStartTLS) {
		t.Error("STARTTLS offered on the implicit-TLS port")
	}
	srv.Faults().RefuseCommand("SELECT", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "busy"})
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err == nil {
		t.Error("command fault not applied over implicit TLS")
	}

	s, err := imapclient.DialStartTLS(srv.Addr(), &imapclient.Options{TLSConfig: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestAppendLimit(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{AppendLimit: 1000})
	srv.AddUser(user, pass)
	c := login(t, srv, nil)
	if lim, ok := c.Caps().AppendLimit(); !ok || lim == nil || *lim != 1000 {
		t.Errorf("APPENDLIMIT %v", lim)
	}
	_, err := appendMsg(c, "INBOX", msg("big", 5000), nil)
	if e := imapErr(t, err); e.Code != imap.ResponseCodeTooBig {
		t.Errorf("got %+v", e)
	}
}

func TestDemoMailbox(t *testing.T) {
	msgs, subscribed, err := demomail.DemoMailbox()
	if err != nil {
		t.Fatal(err)
	}
	folders, err := demomail.DemoFolders()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 25 || len(msgs) > 40 {
		t.Errorf("%d demo messages", len(msgs))
	}
	total, noID := 0, 0
	seen := map[string]int{}
	for _, m := range msgs {
		total += len(m.Raw)
		if bytes.Contains(bytes.ReplaceAll(m.Raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("%s: bare LF", m.File)
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
		if err != nil {
			t.Errorf("%s: header: %v", m.File, err)
			continue
		}
		for _, k := range []string{"From", "Date", "Subject"} {
			if !h.Has(k) {
				t.Errorf("%s: no %s", m.File, k)
			}
		}
		if !h.Has("Message-Id") {
			noID++
		}
		seen[m.Folder+"\x00"+h.Get("Message-Id")]++
		if m.Date.Year() < 2015 || m.Date.Year() > 2021 {
			t.Errorf("%s: date %v", m.File, m.Date)
		}
	}
	if noID != 1 {
		t.Errorf("%d messages without Message-ID, want 1", noID)
	}
	dups := 0
	for k, n := range seen {
		if n > 1 && !strings.HasSuffix(k, "\x00") {
			dups++
		}
	}
	if dups != 1 {
		t.Errorf("%d duplicates, want 1", dups)
	}
	if total > 150*1024 {
		t.Errorf("demo is %d bytes", total)
	}
	if len(subscribed) == 0 || len(folders) < 10 {
		t.Errorf("folders %d subscribed %d", len(folders), len(subscribed))
	}

	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	if err := u.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	names, _ := u.Mailboxes()
	if len(names) != len(folders) {
		t.Errorf("mailboxes %v", names)
	}
	perFolder := map[string]int{}
	for _, m := range msgs {
		perFolder[m.Folder]++
	}
	for folder, n := range perFolder {
		got, err := u.Messages(folder)
		if err != nil || len(got) != n {
			t.Errorf("%s: %d messages (%v), want %d", folder, len(got), err, n)
		}
	}
	subs, _ := u.Subscribed()
	if len(subs) != len(subscribed) {
		t.Errorf("subscribed %v, want %v", subs, subscribed)
	}

	// Through the wire: UTF-8 names survive modified UTF-7, special-use is listed.
	c := login(t, srv, nil)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		attrs[l.Mailbox] = l.Attrs
	}
	for _, want := range []string{"日本語", "Données/Été", "Lists/go-nuts", "Projects/Q1 reports"} {
		if _, ok := attrs[want]; !ok {
			t.Errorf("LIST lacks %q: %v", want, attrs)
		}
	}
	if !slices.Contains(attrs["Sent"], imap.MailboxAttrSent) || !slices.Contains(attrs["Junk"], imap.MailboxAttrJunk) {
		t.Errorf("special-use: %v", attrs)
	}
	sel, err := c.Select("日本語", nil).Wait()
	if err != nil || sel.NumMessages != uint32(perFolder["日本語"]) {
		t.Errorf("select 日本語: %+v %v", sel, err)
	}
	got, _ := u.Messages("INBOX")
	if !got[0].InternalDate.Equal(msgs[0].Date) {
		t.Errorf("internal date %v, want %v", got[0].InternalDate, msgs[0].Date)
	}
}

func TestCloseIdempotentAndRefusesNewConnections(t *testing.T) {
	srv, err := imapmem.Start(imapmem.Options{Debug: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if c, err := imapclient.DialInsecure(addr, nil); err == nil {
		if c.WaitGreeting() == nil {
			t.Error("server still answers after Close")
		}
		c.Close()
	}
}

// rawSession speaks IMAP by hand, for what imapclient cannot send
// (pipelined literals, LSUB).
type rawSession struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func rawDial(t *testing.T, srv *imapmem.Server) *rawSession {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := &rawSession{t: t, c: c, br: bufio.NewReader(c)}
	r.readUntil("* OK")
	return r
}

func (r *rawSession) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatal(err)
	}
}

// readUntil reads lines until one starts with prefix and returns all lines.
func (r *rawSession) readUntil(prefix string) []string {
	r.t.Helper()
	var lines []string
	for {
		l, err := r.br.ReadString('\n')
		if err != nil {
			r.t.Fatalf("reading (want %q, got %q): %v", prefix, lines, err)
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if strings.HasPrefix(l, prefix) {
			return lines
		}
	}
}

func TestRawPipelinedRefusalAndLSUB(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	u.CreateMailbox("Work/Old")
	u.Subscribe("Work/Old", "Vanished")
	f := srv.Faults()
	f.RefuseCommand("APPEND", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Quota exceeded"})

	r := rawDial(t, srv)
	r.send("a1 LOGIN " + user + " " + pass + "\r\n")
	r.readUntil("a1 OK")

	// Refused APPEND with a non-synchronizing literal, pipelined with a
	// second APPEND and a NOOP in one write: the literal is swallowed and
	// the stream stays in sync.
	r.send("a2 APPEND INBOX {12+}\r\nSubject: x\r\n\r\na3 APPEND INBOX {12+}\r\nSubject: y\r\n\r\na4 NOOP\r\n")
	if l := r.readUntil("a2 "); l[len(l)-1] != "a2 NO [OVERQUOTA] Quota exceeded" {
		t.Errorf("a2: %q", l)
	}
	if l := r.readUntil("a3 "); !strings.HasPrefix(l[len(l)-1], "a3 OK [APPENDUID ") {
		t.Errorf("a3: %q", l)
	}
	r.readUntil("a4 OK")

	// Refused APPEND with a synchronizing literal: "+" first, then NO.
	f.RefuseCommand("APPEND", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Quota exceeded"})
	r.send("a5 APPEND INBOX {12}\r\n")
	r.readUntil("+ ")
	r.send("Subject: z\r\n\r\n")
	if l := r.readUntil("a5 "); l[len(l)-1] != "a5 NO [OVERQUOTA] Quota exceeded" {
		t.Errorf("a5: %q", l)
	}
	if m, _ := u.Messages("INBOX"); len(m) != 1 || !bytes.Contains(m[0].Raw, []byte("Subject: y")) {
		t.Errorf("INBOX: %+v", m)
	}

	r.send(`a6 LSUB "" "*"` + "\r\n")
	lines := r.readUntil("a6 OK")
	want := []string{`* LSUB (\Noselect) "/" "Vanished"`, `* LSUB () "/" "Work/Old"`}
	if !slices.Equal(lines[:len(lines)-1], want) {
		t.Errorf("LSUB: %q", lines)
	}
	r.send(`a7 LIST "" "%"` + "\r\n")
	lines = r.readUntil("a7 OK")
	want = []string{`* LIST (\HasNoChildren) "/" INBOX`, `* LIST (\HasChildren) "/" "Work"`}
	if !slices.Equal(lines[:len(lines)-1], want) {
		t.Errorf("LIST %%: %q", lines)
	}
	if c := f.Counts(); c["LSUB"] != 1 || c["LIST"] != 1 || c["APPEND"] != 3 || c["NOOP"] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestIMAP4rev2Caps(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Caps: imap.CapSet{imap.CapIMAP4rev2: {}, imap.CapIMAP4rev1: {}}})
	u := srv.AddUser(user, pass)
	u.Seed("INBOX", imapmem.Message{Raw: msg("rev2", 100)})
	c := login(t, srv, nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Dest", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(1), "Dest").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := imapmem.Start(imapmem.Options{Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUnauthenticate: {}}}); err == nil {
		t.Error("UNAUTHENTICATE accepted")
	}
}
