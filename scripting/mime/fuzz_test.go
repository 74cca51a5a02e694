package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	n, parts := 0, 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		p := Parse(raw)
		if !bytes.Equal(p.Write(), raw) {
			t.Errorf("%s: the unchanged tree does not write the same bytes", path)
		}
		for _, q := range p.Walk() {
			parts++
			q.Text("")
			q.Filename()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no .eml file under %s", dir)
	}
	t.Logf("%d messages, %d parts, byte-exact", n, parts)
}
