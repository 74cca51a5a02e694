package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestPoisonMessageSetAside: host2 never takes one message. It is set
// aside after bounded tries, its neighbours (in the same MULTIAPPEND
// batches) all land, the report lists it with host1 folder, UID,
// Message-Id, size and host2's last answer, and a rerun against a host2
// that now takes it copies it.
func TestPoisonMessageSetAside(t *testing.T) {
	tests := []struct {
		name   string
		resp   *imap.Error // nil: the connection drops each time it is sent
		answer string
		tries  int // at least
	}{
		{"refused, Server Unavailable", imapmem.Office365ServerUnavailable(), "NO Server Unavailable. 15", 3},
		{"refused, too big", &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "Message too big"}, "NO [TOOBIG] Message too big", 1},
		{"connection dropped", nil, "connection lost before the server answered", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caps := imapmem.DefaultCaps()
			caps[imap.CapMultiAppend] = struct{}{}
			p := &pair{s1: imapmem.StartT(t, imapmem.Options{}), s2: imapmem.StartT(t, imapmem.Options{Caps: caps})}
			p.u1 = p.s1.AddUser("alice", "secret1")
			p.u2 = p.s2.AddUser("bob", "secret2")
			seedN(t, p.u1, "INBOX", 20, 500)
			poison := []byte("Message-ID: <poison@x>\r\nSubject: poison\r\nX-Marker: POISON\r\n\r\nbody\r\n")
			p.u1.Seed("INBOX", imapmem.Message{Raw: poison})
			seedN(t, p.u1, "Sent", 5, 500)
			p.s2.Faults().PoisonMessage(imapmem.MessageContains("X-Marker: POISON"), tt.resp)

			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.MultiAppend = true
			opts.SettleMax = 1
			res := run(t, opts)
			if n := res.Errors.Count(); n != 1 || res.Errors.ExitCode() != exitcode.ErrAppend {
				t.Fatalf("%d errors, exit %d, want 1 and 114: %v\n%s", n, res.Errors.ExitCode(), res.Errors.Records(), out.String())
			}
			if len(res.SetAside) != 1 {
				t.Fatalf("set aside: %+v", res.SetAside)
			}
			s := res.SetAside[0]
			if s.Folder != "INBOX" || s.UID != 21 || s.MessageID != "<poison@x>" || s.Size != int64(len(poison)) ||
				s.Tries < tt.tries || !strings.Contains(s.LastAnswer, tt.answer) {
				t.Errorf("set aside %+v, want INBOX/21 <poison@x> size %d, at least %d tries, answer %q", s, len(poison), tt.tries, tt.answer)
			}
			want := fmt.Sprintf("  set aside: host1 INBOX/21 Message-Id <poison@x> size %d after %d tries: ", len(poison), s.Tries)
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q\n%s", want, out.String())
			}
			got := snapshot(t, p.u2)
			if len(got["INBOX"]) != 20 || len(got["Sent"]) != 5 {
				t.Fatalf("host2 has %d + %d messages, want every neighbour (20 + 5)", len(got["INBOX"]), len(got["Sent"]))
			}
			// The rerun tries it again; host2 now takes it.
			p.s2.Faults().Reset()
			out.Reset()
			if res := run(t, opts); res.Errors.Count() != 0 || len(res.SetAside) != 0 {
				t.Fatalf("rerun: %v %+v\n%s", res.Errors.Records(), res.SetAside, out.String())
			}
			assertExactlyOnce(t, p, &out)
		})
	}
}

// TestByeInMultiAppend: host2 answers BYE in the middle of MULTIAPPENDs
// (three times); the run reconnects and ends with every message once.
func TestByeInMultiAppend(t *testing.T) {
	caps := imapmem.DefaultCaps()
	caps[imap.CapMultiAppend] = struct{}{}
	p := &pair{s1: imapmem.StartT(t, imapmem.Options{}), s2: imapmem.StartT(t, imapmem.Options{Caps: caps})}
	p.u1 = p.s1.AddUser("alice", "secret1")
	p.u2 = p.s2.AddUser("bob", "secret2")
	seedN(t, p.u1, "INBOX", 120, 2000)
	for range 3 {
		p.s2.Faults().ByeInMultiAppend(3, "Server shutting down")
	}
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.MultiAppend, opts.SettleMax = true, 1
	res := run(t, opts)
	if res.Errors.Count() != 0 {
		t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
	}
	if res.Counters.ReconnectHost2 == 0 {
		t.Fatalf("no reconnection: the BYE never came\n%s", out.String())
	}
	assertExactlyOnce(t, p, &out)
}
