package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

func TestSyncACLsOnDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	if err := d1.Seed("user1", "Shared", []dovecot.Message{{Raw: []byte("Message-ID: <a@x>\r\n\r\nx\r\n")}}); err != nil {
		t.Fatal(err)
	}
	cfg := func(side int, d *dovecot.Server) *conn.Config {
		return &conn.Config{Side: side, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1", Timeout: 30 * time.Second}
	}
	c1, err := conn.Dial(t.Context(), cfg(1, d1))
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if err := c1.SetACL("Shared", "user2", imap.RightModificationReplace, imap.RightSet("lrs")).Wait(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := Options{Host1: cfg(1, d1), Host2: cfg(2, d2), Selection: selAll(), MixFolders: true, CheckSelectable: true,
		SyncACLs: true, Parallel: 2, BodyBudget: 8 << 20, TmpDir: t.TempDir(), ErrorsMax: 50, Out: &out}
	if res := run(t, opts); res.Errors.Count() != 0 {
		t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
	}
	c2, err := conn.Dial(t.Context(), cfg(2, d2))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	acl, err := c2.GetACL("Shared").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := rightsString(acl.Rights["user2"]); !sameRights(acl.Rights["user2"], imap.RightSet("lrs")) {
		t.Fatalf("host2 ACL for user2 is %q, want lrs\n%s", got, out.String())
	}
}
