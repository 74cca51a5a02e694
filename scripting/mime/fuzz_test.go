package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/message"
)

// FuzzParse checks that no input makes the part tree builder panic, that
// an unchanged tree writes its input back, and that decoding and changing
// any part works on what was parsed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		mixed,
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo\n",           // no closing delimiter
		"Content-Type: text/plain; charset=x-unknown\n\ncaf\xe9\n",                                                 // bad charset
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\n!!*a=b=c\n--b--\n", // bad base64
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\nno header\n--b--\n",                                // parts without header
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\n",
		"Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a--\r\n",
		string(nested(200)),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p := Parse(raw)
		if !bytes.Equal(p.Write(), raw) {
			t.Fatal("unchanged tree does not write its input")
		}
		parts := p.Walk()
		if len(parts) > MaxParts {
			t.Fatalf("%d parts", len(parts))
		}
		for _, q := range parts {
			if q.Depth() > MaxDepth {
				t.Fatalf("depth %d", q.Depth())
			}
			q.Text("")
			q.Filename()
			q.IsAttachment()
		}
		last := parts[len(parts)-1]
		if last != p {
			last.Remove("removed")
		}
		p.SetBody("plain", []byte("text"))
		p.AddAttachment("a.txt", "text/plain", []byte("x"))
		out := p.Write()
		Parse(out).Walk()
	})
}

// TestCorpusRoundTrip parses every message of the folder IMAPSHIFT_CORPUS
// points to (skipped without it), writes it back unchanged and compares
// the bytes, and decodes every part.
func TestCorpusRoundTrip(t *testing.T) {
	dir := os.Getenv("IMAPSHIFT_CORPUS")
	if dir == "" {
		t.Skip("IMAPSHIFT_CORPUS is not set (a folder of .eml files)")
	}
	n, removed := 0, 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		parts := 0
		p := Parse(raw)
		if !bytes.Equal(p.Write(), raw) {
			t.Errorf("%s: the unchanged tree does not write the same bytes", path)
		}
		var leaves []*Part
		for _, q := range p.Walk() {
			parts++
			q.Text("")
			q.Filename()
			if q.Parent() != nil && !q.Multipart() {
				leaves = append(leaves, q)
			}
		}
		// Removing the last leaf keeps the header block and every other
		// leaf byte for byte.
		if len(leaves) >= 2 {
			last := leaves[len(leaves)-1]
			if err := last.Remove(""); err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			out := p.Write()
			hdr, _ := message.Split(raw)
			if !bytes.HasPrefix(out, hdr) {
				t.Errorf("%s: the header changed", path)
			}
			for _, q := range leaves[:len(leaves)-1] {
				if !bytes.Contains(out, q.src) {
					t.Errorf("%s: an untouched part changed", path)
				}
			}
			if len(Parse(out).Walk()) != parts-1 {
				t.Errorf("%s: %d parts after removing one of %d", path, len(Parse(out).Walk()), parts)
			}
			removed++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no .eml file under %s", dir)
	}
	t.Logf("%d messages byte-exact; %d with a part removed, the others kept", n, removed)
}
