package imapmem_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// loggedIn opens a raw session and logs in as user.
func loggedIn(t *testing.T, srv *imapmem.Server) *rawSession {
	t.Helper()
	r := rawDial(t, srv)
	r.send("a1 LOGIN " + user + " " + pass + "\r\n")
	r.readUntil("a1 OK")
	return r
}

// last returns the last line read by readUntil.
func last(lines []string) string { return lines[len(lines)-1] }

// expectEOF checks that the server closed the connection, with nothing
// more than the lines in want before.
func (r *rawSession) expectEOF(want ...string) {
	r.t.Helper()
	rest, err := io.ReadAll(r.br)
	if err != nil && !isClosed(err) {
		r.t.Fatalf("reading to EOF: %v", err)
	}
	got := strings.Split(strings.TrimRight(string(rest), "\r\n"), "\r\n")
	if len(want) == 0 && len(rest) == 0 {
		return
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		r.t.Errorf("before EOF: got %q, want %q", got, want)
	}
}

func isClosed(err error) bool {
	var ne net.Error
	return err == io.EOF || strings.Contains(err.Error(), "reset") || (errorsAs(err, &ne) && !ne.Timeout())
}

// TestRealServerAnswers checks that each answer a real server sends is
// written to the wire byte for byte, for the command it was armed on.
func TestRealServerAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, cmd string
		resp      *imap.Error
		want      string
	}{
		{"office365 throttled", "SELECT", imapmem.Office365Throttled(299609 * time.Millisecond), "a2 NO Request is throttled. Suggested Backoff Time: 299609 milliseconds"},
		{"office365 not connected", "SELECT", imapmem.Office365NotConnected(), "a2 BAD User is authenticated but not connected."},
		{"exchange server unavailable", "SELECT", imapmem.Office365ServerUnavailable(), "a2 NO Server Unavailable. 15"},
		{"exchange argument error", "SELECT", imapmem.Office365CommandArgumentError(), "a2 BAD Command Argument Error. 11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{})
			srv.AddUser(user, pass)
			srv.Faults().RefuseCommand(tc.cmd, 1, tc.resp)
			r := loggedIn(t, srv)
			r.send("a2 SELECT INBOX\r\n")
			if got := last(r.readUntil("a2 ")); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			r.send("a3 SELECT INBOX\r\n")
			if got := last(r.readUntil("a3 ")); !strings.HasPrefix(got, "a3 OK") {
				t.Errorf("second SELECT: %q", got)
			}
		})
	}
}

// TestRefuseCommandThenDrop: the refusal is written, then the connection
// is cut; the rule applies to the next n commands only.
func TestRefuseCommandThenDrop(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	srv.Faults().RefuseCommandThenDrop("APPEND", 1, imapmem.Office365Throttled(5*time.Second))
	r := loggedIn(t, srv)
	x, y := "Subject: x\r\n\r\nx\r\n", "Subject: y\r\n\r\ny\r\n"
	r.send("a2 APPEND INBOX {" + itoa(len(x)) + "+}\r\n" + x + "\r\n")
	r.expectEOF("a2 NO Request is throttled. Suggested Backoff Time: 5000 milliseconds")
	r = loggedIn(t, srv)
	r.send("a2 APPEND INBOX {" + itoa(len(y)) + "+}\r\n" + y + "\r\n")
	if got := last(r.readUntil("a2 ")); !strings.HasPrefix(got, "a2 OK [APPENDUID") {
		t.Errorf("second APPEND: %q", got)
	}
	if m, _ := u.Messages("INBOX"); len(m) != 1 || string(m[0].Raw) != y {
		t.Errorf("INBOX: %+v", m)
	}
}

// TestGmailConnectionLimit: a login beyond the limit gets Gmail's answer.
func TestGmailConnectionLimit(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser(user, pass)
	srv.Faults().LimitConnections(1, imapmem.GmailTooManyConnections())
	loggedIn(t, srv)
	r := rawDial(t, srv)
	r.send("b1 LOGIN " + user + " " + pass + "\r\n")
	if got := last(r.readUntil("b1 ")); got != "b1 NO [UNAVAILABLE] Too many simultaneous connections" {
		t.Errorf("got %q", got)
	}
}

// greet dials and returns the first line the server sends, and the
// connection.
func greet(t *testing.T, addr string) (string, *bufio.Reader, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	l, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return strings.TrimRight(l, "\r\n"), br, c
}

// TestGreetingBye covers RefuseGreetings (the next n connections) and
// LimitGreetings (beyond n open connections): the refused connection gets
// "* BYE Too many connections" and is closed; the others are served.
func TestGreetingBye(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	f := srv.Faults()

	f.RefuseGreetings(2, imapmem.TooManyConnectionsBye)
	for i := 0; i < 2; i++ {
		l, br, _ := greet(t, srv.Addr())
		if l != "* BYE Too many connections" {
			t.Errorf("connection %d: greeting %q", i, l)
		}
		if rest, _ := io.ReadAll(br); len(rest) != 0 {
			t.Errorf("after BYE: %q", rest)
		}
	}
	if l, _, _ := greet(t, srv.Addr()); !strings.HasPrefix(l, "* OK") {
		t.Errorf("third connection: %q", l)
	}

	// One connection is open now (the third one above).
	f.LimitGreetings(2, imapmem.TooManyConnectionsBye)
	_, _, second := greet(t, srv.Addr())
	if l, _, _ := greet(t, srv.Addr()); l != "* BYE Too many connections" {
		t.Errorf("over the limit: %q", l)
	}
	second.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, _, c := greet(t, srv.Addr())
		if strings.HasPrefix(l, "* OK") {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("still refused after a connection closed: %q", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.Reset()
	if l, _, _ := greet(t, srv.Addr()); !strings.HasPrefix(l, "* OK") {
		t.Errorf("after Reset: %q", l)
	}
}

// TestPoisonMessage: a message matching the predicate is refused each time
// with the given answer, or cuts the connection each time; others land.
func TestPoisonMessage(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	u := srv.AddUser(user, pass)
	f := srv.Faults()
	f.PoisonMessage(imapmem.MessageContains("X-Poison: refuse"), imapmem.Office365ServerUnavailable())
	f.PoisonMessage(imapmem.MessageLargerThan(10000), nil)

	poison := "Subject: p\r\nX-Poison: refuse\r\n\r\nbody\r\n"
	good := "Subject: good\r\n\r\nbody\r\n"
	r := loggedIn(t, srv)
	for i := 0; i < 2; i++ {
		// Synchronizing, then non-synchronizing literal.
		r.send("a2 APPEND INBOX {" + itoa(len(poison)) + "}\r\n")
		r.readUntil("+ ")
		r.send(poison + "\r\n")
		if got := last(r.readUntil("a2 ")); got != "a2 NO Server Unavailable. 15" {
			t.Errorf("try %d: %q", i, got)
		}
		r.send("a3 APPEND INBOX {" + itoa(len(poison)) + "+}\r\n" + poison + "\r\n")
		if got := last(r.readUntil("a3 ")); got != "a3 NO Server Unavailable. 15" {
			t.Errorf("try %d: %q", i, got)
		}
	}
	r.send("a4 APPEND INBOX (\\Seen) \"02-Jan-2020 10:00:00 +0100\" {" + itoa(len(good)) + "+}\r\n" + good + "\r\n")
	if got := last(r.readUntil("a4 ")); got != "a4 OK [APPENDUID 1 1] APPEND completed" {
		t.Errorf("good message: %q", got)
	}
	for i := 0; i < 2; i++ {
		big := "Subject: big\r\n\r\n" + strings.Repeat("x", 10000)
		r := loggedIn(t, srv)
		r.send("a2 APPEND INBOX {" + itoa(len(big)) + "+}\r\n" + big + "\r\n")
		r.expectEOF()
	}
	msgs, err := u.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2020, 1, 2, 10, 0, 0, 0, time.FixedZone("", 3600))
	if len(msgs) != 1 || string(msgs[0].Raw) != good || !msgs[0].HasFlag(imap.FlagSeen) || !msgs[0].InternalDate.Equal(want) {
		t.Errorf("INBOX: %+v", msgs)
	}
	if n := f.PoisonHits(); n != 6 {
		t.Errorf("PoisonHits = %d, want 6", n)
	}
}

func itoa(n int) string { return fmtInt(n) }

// multiCaps is DefaultCaps with MULTIAPPEND.
func multiCaps() imap.CapSet {
	c := imapmem.DefaultCaps()
	c[imap.CapMultiAppend] = struct{}{}
	return c
}

// TestMultiAppend: several messages in one APPEND land in order, with
// their own flags and dates, and one APPENDUID set; a refused message
// takes the whole command down, as the server stores all or nothing; a
// missing mailbox gets TRYCREATE.
func TestMultiAppend(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Caps: multiCaps()})
	u := srv.AddUser(user, pass)
	u.CreateMailbox("Archive")
	r := loggedIn(t, srv)
	r.send("a0 CAPABILITY\r\n")
	if l := r.readUntil("a0 "); !strings.Contains(strings.Join(l, " "), "MULTIAPPEND") {
		t.Errorf("CAPABILITY: %q", l)
	}
	m1, m2, m3 := "Subject: one\r\n\r\n1\r\n", "Subject: two\r\n\r\n"+strings.Repeat("2", 5000), "Subject: three\r\n\r\n3\r\n"
	r.send("a2 APPEND Archive (\\Seen $Label1) \"01-Feb-2021 08:09:10 +0000\" {" + itoa(len(m1)) + "+}\r\n" + m1 +
		" (\\Flagged) {" + itoa(len(m2)) + "}\r\n")
	r.readUntil("+ ")
	r.send(m2 + " {" + itoa(len(m3)) + "+}\r\n" + m3 + "\r\n")
	if got := last(r.readUntil("a2 ")); got != "a2 OK [APPENDUID 2 1:3] APPEND completed" {
		t.Errorf("MULTIAPPEND: %q", got)
	}
	msgs, _ := u.Messages("Archive")
	if len(msgs) != 3 || string(msgs[0].Raw) != m1 || string(msgs[1].Raw) != m2 || string(msgs[2].Raw) != m3 {
		t.Fatalf("Archive: %d messages", len(msgs))
	}
	if !msgs[0].HasFlag(imap.FlagSeen) || !msgs[0].HasFlag("$Label1") || msgs[0].HasFlag(imap.FlagFlagged) ||
		!msgs[0].InternalDate.Equal(time.Date(2021, 2, 1, 8, 9, 10, 0, time.UTC)) {
		t.Errorf("first message: %+v", msgs[0])
	}
	if !msgs[1].HasFlag(imap.FlagFlagged) || msgs[1].HasFlag(imap.FlagSeen) || len(msgs[2].Flags) != 0 {
		t.Errorf("flags: %v %v", msgs[1].Flags, msgs[2].Flags)
	}

	srv.Faults().PoisonMessage(imapmem.MessageContains("poison"), &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "Message too big"})
	r.send("a3 APPEND Archive {" + itoa(len(m1)) + "+}\r\n" + m1 + " {6+}\r\npoison\r\n")
	if got := last(r.readUntil("a3 ")); got != "a3 NO [TOOBIG] Message too big" {
		t.Errorf("poisoned MULTIAPPEND: %q", got)
	}
	r.send("a4 APPEND Missing {" + itoa(len(m1)) + "+}\r\n" + m1 + " {" + itoa(len(m3)) + "+}\r\n" + m3 + "\r\n")
	if got := last(r.readUntil("a4 ")); got != "a4 NO [TRYCREATE] No such mailbox" {
		t.Errorf("missing mailbox: %q", got)
	}
	if msgs, _ := u.Messages("Archive"); len(msgs) != 3 {
		t.Errorf("Archive has %d messages after refusals", len(msgs))
	}
}

// TestByeInMultiAppend: the BYE comes once the given number of messages
// has been received and the next is announced; nothing of the command is
// stored, and the trigger fires once.
func TestByeInMultiAppend(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Caps: multiCaps()})
	u := srv.AddUser(user, pass)
	srv.Faults().ByeInMultiAppend(2, "Server shutting down")
	m := "Subject: m\r\n\r\nm\r\n"
	lit := "{" + itoa(len(m)) + "+}\r\n" + m
	r := loggedIn(t, srv)
	r.send("a2 APPEND INBOX " + lit + "\r\n") // one message: not a MULTIAPPEND beyond 2
	r.readUntil("a2 OK")
	r.send("a3 APPEND INBOX " + lit + " " + lit + " " + lit + "\r\n")
	r.expectEOF("* BYE Server shutting down")
	if msgs, _ := u.Messages("INBOX"); len(msgs) != 1 {
		t.Errorf("INBOX has %d messages, want 1", len(msgs))
	}
	r = loggedIn(t, srv)
	r.send("a3 APPEND INBOX " + lit + " " + lit + " " + lit + "\r\n")
	if got := last(r.readUntil("a3 ")); got != "a3 OK [APPENDUID 1 2:4] APPEND completed" {
		t.Errorf("after the trigger: %q", got)
	}
}

// TestInterceptedAppendWithClient: with MULTIAPPEND advertised the fault
// layer executes every APPEND; go-imap's client (synchronizing literal
// above 4 KiB, LITERAL+ below) still gets APPENDUID, and bytes, flags and
// date land as with imapserver, including the size limit.
func TestInterceptedAppendWithClient(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Caps: multiCaps(), AppendLimit: 20000})
	u := srv.AddUser(user, pass)
	c := login(t, srv, nil)
	date := time.Date(2019, 5, 6, 7, 8, 9, 0, time.FixedZone("", -7200))
	for i, raw := range [][]byte{msg("small", 300), msg("large", 9000)} {
		d, err := appendMsg(c, "INBOX", raw, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagAnswered}, Time: date})
		if err != nil || d.UID != imap.UID(i+1) {
			t.Fatalf("append %d: %+v %v", i, d, err)
		}
	}
	_, err := appendMsg(c, "INBOX", msg("huge", 30000), nil)
	if e := imapErr(t, err); e.Code != imap.ResponseCodeTooBig {
		t.Errorf("over the limit: %+v", e)
	}
	msgs, _ := u.Messages("INBOX")
	if len(msgs) != 2 || !bytes.Equal(msgs[1].Raw, msg("large", 9000)) || !msgs[1].HasFlag(imap.FlagAnswered) || !msgs[1].InternalDate.Equal(date) {
		t.Errorf("INBOX: %d messages", len(msgs))
	}
}

func fmtInt(n int) string { return strconv.Itoa(n) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// waitNoConnections waits until the server has let go of every client
// connection.
func waitNoConnections(t *testing.T, srv *imapmem.Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for srv.ActiveConnections() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("connections still open")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCutsStoreNothingMore: after a fault cuts a connection, commands the
// client had already pipelined behind the faulted one are not executed,
// and a literal cut short by the client is not stored.
func TestCutsStoreNothingMore(t *testing.T) {
	m := "Subject: m\r\n\r\nm\r\n"
	appendLine := "a3 APPEND INBOX {" + itoa(len(m)) + "+}\r\n" + m + "\r\n"
	for _, tc := range []struct {
		name  string
		arm   func(f *imapmem.Faults)
		write string
		close bool
	}{
		{"drop at a command", func(f *imapmem.Faults) { f.DropAfterCommands("NOOP", 1) }, "a2 NOOP\r\n" + appendLine, false},
		{"refusal then drop", func(f *imapmem.Faults) {
			f.RefuseCommandThenDrop("NOOP", 1, imapmem.Office365Throttled(time.Second))
		}, "a2 NOOP\r\n" + appendLine, false},
		{"literal cut short", func(*imapmem.Faults) {}, "a2 APPEND INBOX {10000+}\r\n" + strings.Repeat("x", 5000), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imapmem.StartT(t, imapmem.Options{})
			u := srv.AddUser(user, pass)
			r := loggedIn(t, srv)
			tc.arm(srv.Faults())
			r.send(tc.write)
			if tc.close {
				r.c.Close()
			} else {
				io.ReadAll(r.br)
			}
			waitNoConnections(t, srv)
			if msgs, _ := u.Messages("INBOX"); len(msgs) != 0 {
				t.Errorf("%d messages stored: %q", len(msgs), msgs[0].Raw)
			}
		})
	}
}
