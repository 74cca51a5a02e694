package udiff

import (
	"bytes"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	lines := func(prefix string, n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(prefix + string(rune('a'+i)) + "\r\n")
		}
		return b.String()
	}
	cases := []struct {
		name, a, b, want string
	}{
		{"identical", "x\r\ny\r\n", "x\r\ny\r\n", "--- a\n+++ b\n"},
		{"one line changed", "Subject: hi\r\n\r\nbody\r\n", "Subject: hello\r\n\r\nbody\r\n",
			"--- a\n+++ b\n@@ -1,3 +1,3 @@\n-Subject: hi\n+Subject: hello\n \n body\n"},
		{"line added at top", "a\r\nb\r\n", "X-New: 1\r\na\r\nb\r\n",
			"--- a\n+++ b\n@@ -1,2 +1,3 @@\n+X-New: 1\n a\n b\n"},
		{"only the CR differs", "a\r\nb\r\nc\r\n", "a\r\nb\nc\r\n",
			"--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+b  (LF)\n c\n"},
		{"no line end", "a\r\n", "a\r\nb",
			"--- a\n+++ b\n@@ -1 +1,2 @@\n a\n+b  (no line end)\n"},
		{"invalid UTF-8", "a\n", "a\xff\n",
			"--- a\n+++ b\n@@ -1 +1 @@\n-a\n+a\\xFF\n"},
		{"long run summarised", "", lines("l", 20),
			"--- a\n+++ b\n@@ -0,0 +1,20 @@\n+la\n+lb\n+lc\n+ld\n~ 12 more lines added\n+lq\n+lr\n+ls\n+lt\n"},
		{"far apart changes make two hunks", lines("", 12), strings.Replace(strings.Replace(lines("", 12), "a\r\n", "A\r\n", 1), "l\r\n", "L\r\n", 1),
			"--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -9,4 +9,4 @@\n i\n j\n k\n-l\n+L\n"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		Write(&out, "a", "b", []byte(c.a), []byte(c.b))
		if out.String() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, out.String(), c.want)
		}
	}
}
