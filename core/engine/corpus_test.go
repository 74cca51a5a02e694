package engine

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// TestRealWorldCorpus syncs a directory of real-world messages (many
// malformed) between two Dovecot instances and checks that every one
// arrives exactly once and byte for byte (apart from the Message-Id line
// --addheader puts on messages without one). It runs only when
// $IMAPSHIFT_CORPUS names a directory of */*.eml files.
func TestRealWorldCorpus(t *testing.T) {
	dir := os.Getenv("IMAPSHIFT_CORPUS")
	if dir == "" {
		t.Skip("set IMAPSHIFT_CORPUS to a directory of */*.eml files")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no */*.eml in %s: %v", dir, err)
	}
	var msgs []dovecot.Message
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, dovecot.Message{Raw: raw, Flags: []string{`\Seen`}, Date: time.Date(2020, 1, 1, 0, 0, i%60, 0, time.UTC)})
	}
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	if err := d1.Seed("user1", "Corpus", msgs); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := dovecotOptions(t, d1, d2, "user1", "secret1", &out)
	opts.AddHeader = true
	var copied int64
	for i := 0; i < 2; i++ {
		res := run(t, opts)
		if res.Errors.Count() != 0 {
			t.Fatalf("run %d: errors %v", i+1, res.Errors.Records())
		}
		t.Logf("run %d: %d transferred, %d duplicates on host1, %d without identifying header", i+1, res.Transferred, res.DupHost1, res.VoidHost1)
		if i == 0 {
			copied = res.Transferred
		} else if res.Transferred != 0 {
			t.Fatalf("the rerun copied %d messages again", res.Transferred)
		}
	}
	// Messages with the same identity (Message-Id, Received) are copied
	// once, as imapsync does; each copy is byte for byte one of them.
	bodies := func(d *dovecot.Server) [][]byte {
		var out [][]byte
		for _, m := range dovecotMessages(t, d, "user1", "secret1", "Corpus") {
			raw := m.BodySection[0].Bytes
			if bytes.HasPrefix(raw, []byte("Message-Id: <")) {
				if i := bytes.Index(raw, []byte("@imapsync>\r\n")); i > 0 && i < 40 {
					raw = raw[i+len("@imapsync>\r\n"):]
				}
			}
			out = append(out, raw)
		}
		return out
	}
	on1 := map[[32]byte]bool{}
	for _, b := range bodies(d1) {
		on1[sha256.Sum256(b)] = true
	}
	on2 := bodies(d2)
	if int64(len(on2)) != copied {
		t.Fatalf("host2 has %d messages, %d were copied", len(on2), copied)
	}
	for i, b := range on2 {
		if !on1[sha256.Sum256(b)] {
			t.Fatalf("host2 message %d is not byte for byte a host1 message:\n%.300q", i+1, b)
		}
	}
	t.Logf("%d files: %d messages on host2, each identical to its host1 original", len(files), len(on2))
}
