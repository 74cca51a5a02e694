package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzKey checks that Key never panics, that CRLF and LF blocks give the
// same key, and that the key has the md5_base64 shape.
func FuzzKey(f *testing.F) {
	f.Add(sampleHeader)
	f.Add("Message-Id: <a@b>\n\tfolded\nReceived: x\n\nbody")
	f.Add("Received:\xff\x80 \t\n Message-Id:@@\n")
	f.Fuzz(func(t *testing.T, h string) {
		lf := strings.ReplaceAll(h, "\r", "")
		crlf := strings.ReplaceAll(lf, "\n", "\r\n")
		for _, o := range []Options{{}, {UseHeaders: []string{"ALL"}, MessageIDNoDomain: true}} {
			k1, ok1 := o.Key([]byte(lf), 1)
			k2, ok2 := o.Key([]byte(crlf), 1)
			if k1 != k2 || ok1 != ok2 {
				t.Fatalf("%+v: LF key %q %v, CRLF key %q %v", o, k1, ok1, k2, ok2)
			}
			if ok1 && len(k1) != 22 {
				t.Fatalf("key %q is not 22 characters", k1)
			}
		}
	})
}

// TestKeyCorpus runs Key over a directory tree of real-world .eml files
// named by $IMAPSHIFT_CORPUS (files in DIR/*/*.eml): every message with a
// Message-ID is identified, and line ends do not matter.
func TestKeyCorpus(t *testing.T) {
	dir := os.Getenv("IMAPSHIFT_CORPUS")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
	if dir == "" || len(files) == 0 {
		t.Skip("set IMAPSHIFT_CORPUS to a directory of */*.eml files")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lf := strings.ReplaceAll(string(b), "\r\n", "\n")
		crlf := strings.ReplaceAll(lf, "\n", "\r\n")
		k1, ok1 := Options{}.Key([]byte(lf), 0)
		k2, ok2 := Options{}.Key([]byte(crlf), 0)
		if k1 != k2 || ok1 != ok2 {
			t.Errorf("%s: LF and CRLF keys differ", name)
		}
		head, _, _ := strings.Cut(lf, "\n\n")
		hasID := strings.Contains(strings.ToLower("\n"+head), "\nmessage-id:")
		if hasID && !ok1 {
			t.Errorf("%s: has a Message-ID but is unidentified", name)
		}
	}
}
