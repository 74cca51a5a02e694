package verify

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// dovecotClients logs in as user1 on both instances.
func dovecotClients(t *testing.T, d1, d2 *dovecot.Server) (*imapclient.Client, *imapclient.Client) {
	t.Helper()
	dial := func(side int, d *dovecot.Server) *imapclient.Client {
		c, err := conn.Dial(t.Context(), &conn.Config{Side: side, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: dovecot.Users["user1"], Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.Client
	}
	return dial(1, d1), dial(2, d2)
}

// TestDovecotLargeBodyStreams compares a 32 MiB message whose host2 copy
// has one byte changed in the middle (same headers, same size) between
// two Dovecot instances. Only Bodies sees it, and the comparison allocates
// far less than the message: the literal streams into the hash.
func TestDovecotLargeBodyStreams(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	line := strings.Repeat("0123456789abcdef", 4) + "\r\n"
	var b bytes.Buffer
	b.WriteString("Message-Id: <big@example.org>\r\nSubject: big\r\n\r\n")
	for b.Len() < 32<<20 {
		b.WriteString(line)
	}
	big := b.Bytes()
	alt := bytes.Clone(big)
	alt[len(alt)/2] ^= 1
	small := raw("<small@example.org>", "small\r\n")
	date := time.Date(2023, 5, 1, 12, 0, 0, 0, time.UTC)
	msgs := func(bigRaw []byte) []dovecot.Message {
		return []dovecot.Message{{Raw: small, Flags: []string{`\Seen`}, Date: date}, {Raw: bigRaw, Flags: []string{`\Seen`, "$Label1"}, Date: date}}
	}
	if err := d1.Seed("user1", "Big", msgs(big)); err != nil {
		t.Fatal(err)
	}
	if err := d2.Seed("user1", "Big", msgs(alt)); err != nil {
		t.Fatal(err)
	}
	c1, c2 := dovecotClients(t, d1, d2)
	pairs := []Pair{{"Big", "Big"}}

	rep, err := Compare(t.Context(), c1, c2, pairs, Options{})
	if err != nil || !rep.Equal() || rep.Folders[0].Matched != 2 {
		t.Fatalf("without bodies: %v %s", err, rep.Verdict())
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err = Compare(t.Context(), c1, c2, pairs, Options{Bodies: true})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	if rep.Equal() || rep.Differences() != 1 || rep.Count(BodyDiffers) != 1 || rep.Folders[0].Differences[0].UID1 != 2 {
		t.Fatalf("with bodies:\n%s", out.String())
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while hashing 2 × %d MiB\n%s", alloc>>10, len(big)>>20, out.String())
	if alloc > 8<<20 {
		t.Errorf("allocated %d MiB while comparing bodies: the literal was buffered", alloc>>20)
	}
}

// TestDovecotCorpus is TestCorpus against two Dovecot instances, which
// serve every message with CRLF line ends and parse headers their own
// way. It runs only when $IMAPSHIFT_CORPUS is set.
func TestDovecotCorpus(t *testing.T) {
	dir := os.Getenv("IMAPSHIFT_CORPUS")
	if dir == "" {
		t.Skip("set IMAPSHIFT_CORPUS to a directory of .eml files")
	}
	var msgs []dovecot.Message
	for i, m := range corpus(t, dir) {
		msgs = append(msgs, dovecot.Message{Raw: m.Raw, Flags: []string{`\Seen`}, Date: base.Add(time.Duration(i) * time.Second)})
	}
	target := alterable(t, corpus(t, dir))
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	if err := d1.Seed("user1", "Corpus", msgs); err != nil {
		t.Fatal(err)
	}
	if err := d2.Seed("user1", "Corpus", msgs); err != nil {
		t.Fatal(err)
	}
	c1, c2 := dovecotClients(t, d1, d2)
	pairs := []Pair{{"Corpus", "Corpus"}}
	var out strings.Builder
	rep, err := Compare(t.Context(), c1, c2, pairs, Options{Bodies: true, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	rep.Print(&out)
	if !rep.Equal() {
		t.Fatalf("seeded alike, but:\n%s", out.String())
	}
	f := rep.Folders[0]
	t.Logf("%d messages: %d matched, %d host1 duplicates, %d unidentified; %s", f.Messages1, f.Matched, f.Duplicates1, f.Unidentified1, rep.Verdict())

	// Replace the host2 copy of one message by an altered one of the same
	// size: it gets a higher UID, the pair is still found by its key.
	alt, _ := alter(msgs[target].Raw)
	if err := d2.Seed("user1", "Corpus", []dovecot.Message{{Raw: alt, Flags: []string{`\Seen`}, Date: msgs[target].Date}}); err != nil {
		t.Fatal(err)
	}
	if err := expungeUID(c2, "Corpus", target+1); err != nil {
		t.Fatal(err)
	}
	rep, err = Compare(t.Context(), c1, c2, pairs, Options{Bodies: true, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	rep.Print(&out)
	if rep.Differences() != 1 || rep.Count(BodyDiffers) != 1 || rep.Folders[0].Differences[0].UID1 != imap.UID(target+1) {
		t.Fatalf("one body altered (host1 UID %d), but:\n%s", target+1, out.String())
	}
	t.Logf("%s", rep.Verdict())
}

// expungeUID deletes one message of folder.
func expungeUID(c *imapclient.Client, folder string, uid int) error {
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		return err
	}
	set := imap.UIDSetNum(imap.UID(uid))
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return err
	}
	return c.UIDExpunge(set).Close()
}
