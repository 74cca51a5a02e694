package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// TestChangedSinceOnDovecot: with the state, a folder where only flags
// changed (on either side) is resynced from FETCH CHANGEDSINCE, without
// reading the folder, and ends with host2's flags equal to host1's.
func TestChangedSinceOnDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	var msgs []dovecot.Message
	for i := 0; i < 30; i++ {
		msgs = append(msgs, dovecot.Message{Raw: []byte(fmt.Sprintf("Message-ID: <cs%d@x>\r\nSubject: %d\r\n\r\nx\r\n", i, i)), Flags: []string{`\Seen`}})
	}
	if err := d1.Seed("user1", "INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sync := func() string {
		var out bytes.Buffer
		opts := dovecotOptions(t, d1, d2, "user1", "secret1", &out)
		opts.State = openState(t, dir)
		res := run(t, opts)
		opts.State.Close()
		if res.Errors.Count() != 0 {
			t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
		}
		return out.String()
	}
	sync()
	if out := sync(); !strings.Contains(out, "unchanged since the last run") {
		t.Fatalf("second run did not skip the folder:\n%s", out)
	}
	store := func(d *dovecot.Server, seq uint32, op imap.StoreFlagsOp, f imap.Flag) {
		c, err := conn.Dial(t.Context(), &conn.Config{Side: 1, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1", Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		var s imap.SeqSet
		s.AddNum(seq)
		if err := c.Store(s, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{f}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
	store(d1, 3, imap.StoreFlagsAdd, imap.FlagFlagged) // changed on host1
	store(d2, 7, imap.StoreFlagsDel, imap.FlagSeen)    // changed on host2
	out := sync()
	// (Dovecot may report every message on the first CHANGEDSINCE of a
	// mailbox, when it starts tracking modseqs; 2 differ either way.)
	if !strings.Contains(out, "only flags changed since the last run") || !strings.Contains(out, "read with CHANGEDSINCE, 2 to set on host2") {
		t.Fatalf("third run did not use CHANGEDSINCE:\n%s", out)
	}
	if got, want := dovecotContents(t, d2, "user1", "secret1", "INBOX"), dovecotContents(t, d1, "user1", "secret1", "INBOX"); got != want {
		t.Fatalf("flags differ after the CHANGEDSINCE resync")
	}
	if out := sync(); !strings.Contains(out, "unchanged since the last run") {
		t.Fatalf("fourth run did not skip the folder:\n%s", out)
	}
	store(d1, 5, imap.StoreFlagsAdd, "$Label1")
	if out := sync(); !strings.Contains(out, "only flags changed since the last run, 1 read with CHANGEDSINCE, 1 to set on host2") {
		t.Fatalf("fifth run:\n%s", out)
	}
	if got, want := dovecotContents(t, d2, "user1", "secret1", "INBOX"), dovecotContents(t, d1, "user1", "secret1", "INBOX"); got != want {
		t.Fatalf("flags differ after the second CHANGEDSINCE resync")
	}
}
