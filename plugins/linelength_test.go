package plugins

import (
	"bytes"
	"github.com/imapshift/imapshift/core/hooks"
	"strings"
	"testing"
)

// TestMaxLineLength: the longest line counts its LF; CRLF, NUL and a last
// line without LF too.
func TestMaxLineLength(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"\n", 1},
		{"a\nab\n", 3},
		{"a\nab\nabc\n", 4},
		{"abc", 3},
		{"a\nabcd", 4},
		{"a\r\nab\r\n", 4},
		{"\x00\x00\x00\n\x00\n", 4},
		{"\n\n\n", 1},
	} {
		if got := MaxLineLength([]byte(tt.in)); got != tt.want {
			t.Errorf("MaxLineLength(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestMaxLineLengthSkip(t *testing.T) {
	for _, tt := range []struct {
		limit, raw string
		skip       bool
	}{
		{"3", "a\nab\n", false},
		{"3", "a\nab\nabc\n", true},
		{"4", "a\nab\nabc\n", false},
		{"4", "ab\r\nabc\r\n", true}, // the CR counts
		{"5", "ab\r\nabc\r\n", false},
		{"2", "\x00\n\x00\x00", false},
	} {
		loads := 0
		m := lazyMsg("", tt.raw, &loads)
		reason, err := skipper(t, "maxlinelength", tt.limit).Skip(m)
		if err != nil {
			t.Fatal(err)
		}
		if (reason != "") != tt.skip {
			t.Errorf("maxlinelength %s on %q: reason %q, want skip %v", tt.limit, tt.raw, reason, tt.skip)
		}
		if loads != 1 {
			t.Errorf("maxlinelength fetched the body %d times, want 1", loads)
		}
	}
	h := build(t, "maxlinelength", "3")
	if ho, ok := h.(interface{ HeaderOnly() bool }); ok && ho.HeaderOnly() {
		t.Error("maxlinelength claims to be header-only")
	}
	if ar, ok := h.(hooks.AfterRewrite); !ok || !ar.AfterRewrite() {
		t.Error("maxlinelength is not an AfterRewriter")
	}
}

// TestTruncmess cuts a message to N bytes, on raw bytes with CRLF, LF and
// NUL.
func TestTruncmess(t *testing.T) {
	for _, tt := range []struct {
		n, in, want string
		changed     bool
	}{
		{"2", "abc", "ab", true},
		{"5", "123456789\n", "12345", true},
		{"3", "abc", "abc", false},
		{"10", "abc", "abc", false},
		{"3", "a\r\nb\r\n", "a\r\n", true},
		{"4", "a\x00\nb\x00\n", "a\x00\nb", true},
	} {
		got, changed := rewrite(t, rewriter(t, "truncmess", tt.n), tt.in)
		if got != tt.want || changed != tt.changed {
			t.Errorf("truncmess %s on %q = %q (changed %v), want %q (changed %v)",
				tt.n, tt.in, got, changed, tt.want, tt.changed)
		}
	}
	// The truncated message must not let an append overwrite the original.
	orig := []byte("abcdef")
	m := rawMsg("")
	m.SetRaw(orig)
	if err := rewriter(t, "truncmess", "3").Rewrite(m); err != nil {
		t.Fatal(err)
	}
	out, _ := m.Raw()
	_ = append(out, 'X')
	if !bytes.Equal(orig, []byte("abcdef")) {
		t.Errorf("appending to the truncated message changed the original: %q", orig)
	}
}

func TestLineLengthCommandAndMinimum(t *testing.T) {
	long := "Subject: x\r\n\r\n" + strings.Repeat("a", 50) + "\r\nshort\r\n"
	// The limit is read like --maxlinelength's: "2_0" is 20, 0 is refused.
	h, err := Build("maxlinelengthcmd", []string{"2_0", "fold -w 10"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build("maxlinelengthcmd", []string{"0", "fold -w 10"}); err == nil {
		t.Error("a zero limit was accepted")
	}
	m := hooks.NewMessage(nil, []byte(long), nil)
	if err := h.(hooks.MessageRewriter).Rewrite(m); err != nil {
		t.Fatal(err)
	}
	raw, _ := m.Raw()
	if !m.Changed() || MaxLineLength(raw) > 20 {
		t.Fatalf("not folded: %q", raw)
	}
	short := hooks.NewMessage(nil, []byte("Subject: x\r\n\r\nok\r\n"), nil)
	h.(hooks.MessageRewriter).Rewrite(short)
	if short.Changed() {
		t.Fatal("a message within the limit went through the command")
	}
	s, _ := Build("minmaxlinelength", []string{"60"})
	if r, _ := s.(hooks.MessageSkipper).Skip(hooks.NewMessage(nil, []byte(long), nil)); r == "" {
		t.Fatal("minmaxlinelength 60 kept a message whose lines are all shorter")
	}
	s, _ = Build("minmaxlinelength", []string{"10"})
	if r, _ := s.(hooks.MessageSkipper).Skip(hooks.NewMessage(nil, []byte(long), nil)); r != "" {
		t.Fatalf("minmaxlinelength 10 skipped a 52-byte line: %s", r)
	}
}
