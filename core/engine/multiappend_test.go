package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

func dovecotOptions(t *testing.T, d1, d2 *dovecot.Server, user2, pass2 string, out *bytes.Buffer) Options {
	cfg := func(side int, d *dovecot.Server, user, pass string) *conn.Config {
		return &conn.Config{Side: side, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: user, Password: pass, Timeout: 30 * time.Second}
	}
	return Options{Host1: cfg(1, d1, "user1", "secret1"), Host2: cfg(2, d2, user2, pass2), Selection: selAll(),
		MixFolders: true, CheckSelectable: true, SyncInternalDates: true, ResyncFlags: true, MultiAppend: true,
		Parallel: 2, BodyBudget: 8 << 20, TmpDir: t.TempDir(), ErrorsMax: 50, ReconnectRetry1: 3, ReconnectRetry2: 3, Out: out}
}

// TestMultiAppendOnDovecot copies with MULTIAPPEND batches, byte for byte,
// with flags and dates, and checks that a refused batch (over quota) is
// retried message by message: what fits is stored once, the message that
// does not is reported.
func TestMultiAppendOnDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	var msgs []dovecot.Message
	for i := 0; i < 150; i++ {
		msgs = append(msgs, dovecot.Message{Raw: []byte(fmt.Sprintf("Message-ID: <m%d@x>\r\nSubject: %d\r\n\r\n%s\r\n", i, i, strings.Repeat("body ", 100))),
			Flags: []string{`\Seen`, "$Label1"}[:1+i%2], Date: time.Date(2019, 1, 1, 0, i%60, 0, 0, time.UTC)})
	}
	big := dovecot.Message{Raw: []byte("Message-ID: <big@x>\r\nSubject: big\r\n\r\n" + strings.Repeat("0123456789", 120_000) + "\r\n")}
	if err := d1.SeedMany("user1", []dovecot.Folder{{Name: "INBOX", Msgs: msgs}, {Name: "Quota", Msgs: append([]dovecot.Message{big}, msgs[:5]...)}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var trace lockedWriter
	opts := dovecotOptions(t, d1, d2, "user2", "secret2", &out)
	opts.Selection.Folders = []string{"INBOX"}
	opts.Host2.Trace = &trace
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 150 {
		t.Fatalf("transferred %d, errors %v", res.Transferred, res.Errors.Records())
	}
	// Batches: fewer APPEND commands than messages.
	if n := strings.Count(trace.String(), ` APPEND "INBOX" `); n == 0 || n >= 150 {
		t.Errorf("%d APPEND commands for 150 messages: no MULTIAPPEND batches", n)
	}
	if got, want := dovecotContents(t, d2, "user2", "secret2", "INBOX"), dovecotContents(t, d1, "user1", "secret1", "INBOX"); got != want {
		t.Fatalf("host2 INBOX differs from host1")
	}

	// The quota user has 1 MB: the big message makes the batch fail.
	out.Reset()
	opts = dovecotOptions(t, d1, d2, dovecot.QuotaUser, dovecot.QuotaPassword, &out)
	opts.Selection.Folders = []string{"Quota"}
	res = run(t, opts)
	if res.Transferred != 5 || res.Errors.ExitCode() != exitcode.OverQuota {
		t.Fatalf("quota: transferred %d, exit %d, errors %v\n%s", res.Transferred, res.Errors.ExitCode(), res.Errors.Records(), out.String())
	}
}

// lockedWriter is a bytes.Buffer safe for the traces of several
// connections.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// dovecotContents renders a folder as sorted "sha256 flags date" lines.
func dovecotContents(t *testing.T, d *dovecot.Server, user, pass, folder string) string {
	t.Helper()
	var lines []string
	for _, m := range dovecotMessages(t, d, user, pass, folder) {
		fl := flagStrings(normalizeFlags(m.Flags))
		lines = append(lines, fmt.Sprintf("%x %v %d", sha256.Sum256(m.BodySection[0].Bytes), fl, m.InternalDate.Unix()))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
