package conn

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

func gmailSeed(t *testing.T, u *imapmem.User, id string, labels ...string) {
	t.Helper()
	raw := "From: a@example.org\r\nSubject: " + id + "\r\nMessage-Id: <" + id + "@example.org>\r\n\r\nbody " + id + "\r\n"
	if _, err := u.SeedLabels(imapmem.Message{Raw: []byte(raw), Date: time.Now()}, labels...); err != nil {
		t.Fatal(err)
	}
}

func TestGmailLabelsRoundTrip(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{Gmail: true})
	u := srv.AddUser("g", "pw")
	gmailSeed(t, u, "m1", `\Inbox`, "Work/2024", "Été")
	gmailSeed(t, u, "m2")
	gmailSeed(t, u, "m3", `\Important`)

	var tr syncBuffer
	g, err := DialGmail(context.Background(), memConfig(srv, "g", "pw", &tr))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Select(u.AllMail()); err != nil {
		t.Fatal(err)
	}
	msgs, err := g.FetchLabels([]string{"Message-Id"})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages: %+v", len(msgs), msgs)
	}
	got := slices.Clone(msgs[0].Labels)
	slices.Sort(got)
	if want := []string{"Work/2024", `\Inbox`, "Été"}; !slices.Equal(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}
	if !strings.Contains(string(msgs[0].Header), "Message-Id: <m1@example.org>") || msgs[0].MsgID == 0 || msgs[0].Size == 0 {
		t.Errorf("message 1 = %+v", msgs[0])
	}
	if msgs[1].Labels == nil || len(msgs[1].Labels) != 0 {
		t.Errorf("archived message labels = %#v, want empty", msgs[1].Labels)
	}

	n, err := g.StoreLabels("+", []uint32{msgs[1].UID, msgs[2].UID}, []string{"Été/Août", `\Inbox`})
	if err != nil || n != 1 {
		t.Fatalf("StoreLabels = %d, %v", n, err)
	}
	if _, err := g.StoreLabels("-", []uint32{msgs[0].UID}, []string{"Été"}); err != nil {
		t.Fatal(err)
	}
	all, _ := u.GmailMessages()
	wants := [][]string{{"Work/2024", `\Inbox`}, {`\Inbox`, "Été/Août"}, {`\Important`, `\Inbox`, "Été/Août"}}
	for i, m := range all {
		if !slices.Equal(m.Labels, wants[i]) {
			t.Errorf("message %d labels = %q, want %q", i+1, m.Labels, wants[i])
		}
	}
	if !strings.Contains(tr.String(), `+X-GM-LABELS.SILENT ("&AMk-t&AOk-/Ao&APs-t" "\\Inbox")`) {
		t.Errorf("trace lacks the encoded STORE:\n%s", tr.String())
	}

	uids, err := g.Search("label:inbox -subject:m1")
	if err != nil || !slices.Equal(uids, []uint32{msgs[1].UID, msgs[2].UID}) {
		t.Errorf("Search = %v, %v", uids, err)
	}
}

func TestGmailRefusesServerWithoutExtension(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("g", "pw")
	_, err := DialGmail(context.Background(), memConfig(srv, "g", "pw", nil))
	var ec *exitcode.Error
	if !errors.As(err, &ec) || ec.Code != exitcode.Usage || !strings.Contains(err.Error(), "does not announce X-GM-EXT-1") {
		t.Fatalf("err = %v", err)
	}
}

func TestUIDSets(t *testing.T) {
	if got := uidSets([]uint32{5, 1, 2, 3, 9, 10, 12}, 100); !slices.Equal(got, []string{"1:3,5,9:10,12"}) {
		t.Errorf("uidSets = %q", got)
	}
	if got := uidSets([]uint32{1, 3, 5, 7}, 3); !slices.Equal(got, []string{"1,3", "5,7"}) {
		t.Errorf("split uidSets = %q", got)
	}
}

// TestParseGmailFetch reads FETCH answers in the shapes Gmail's
// documentation shows: system labels as atoms or quoted strings, names
// with blanks, a literal header (which raw.line turns into a Go-quoted
// string), and an unsolicited FLAGS update without UID.
func TestParseGmailFetch(t *testing.T) {
	for _, tc := range []struct {
		in     string
		uid    uint32
		msgid  uint64
		labels []string
		header string
	}{
		{`1 FETCH (X-GM-MSGID 1278455344230334865 X-GM-LABELS (\Inbox \Sent Important "Muy Importante") UID 4 RFC822.SIZE 10)`,
			4, 1278455344230334865, []string{`\Inbox`, `\Sent`, "Important", "Muy Importante"}, ""},
		{`2 FETCH (UID 7 X-GM-LABELS ("\\Important" "&AMk-t&AOk-/2024") X-GM-MSGID 5 BODY[HEADER.FIELDS (MESSAGE-ID)] "Message-Id: <a@b>\r\n\r\n")`,
			7, 5, []string{`\Important`, "Été/2024"}, "Message-Id: <a@b>\r\n\r\n"},
		{`3 FETCH (UID 9 X-GM-LABELS () X-GM-MSGID 6)`, 9, 6, []string{}, ""},
		{`4 FETCH (FLAGS (\Seen))`, 0, 0, nil, ""},
	} {
		m, ok := parseGmailFetch(tc.in)
		if !ok || m.UID != tc.uid || m.MsgID != tc.msgid || !slices.Equal(m.Labels, tc.labels) || string(m.Header) != tc.header {
			t.Errorf("parseGmailFetch(%q) = %+v, %v", tc.in, m, ok)
		}
	}
}
