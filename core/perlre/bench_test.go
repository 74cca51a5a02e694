package perlre

import (
	"strings"
	"testing"
)

// message builds an n-byte message with a header, 8-bit text and long
// base64-like lines.
func message(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@b\r\nSubject: caf\xe9\r\nDisposition-Notification-To: a@b\r\n\r\n")
	line := strings.Repeat("Voil\xe0 du texte accentu\xe9 ", 3) + "\r\n"
	for b.Len() < n {
		b.WriteString(line)
	}
	return []byte(b.String())
}

func benchApply(b *testing.B, expr string) {
	s, err := ParseSubst(expr)
	if err != nil {
		b.Fatal(err)
	}
	msg := message(10 << 20)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ApplyBytes(msg)
	}
}

func BenchmarkDisarmReadReceipts10MB(b *testing.B) { benchApply(b, DisarmReadReceipts) }
func BenchmarkOfficeWrap10MB(b *testing.B)         { benchApply(b, OfficeWrapLines) }
func BenchmarkNULToSpace10MB(b *testing.B)         { benchApply(b, `s/\000/ /g`) }
func BenchmarkQuoteLines10MB(b *testing.B)         { benchApply(b, `s/^/> /mg`) }
func BenchmarkDotsLine10MB(b *testing.B)           { benchApply(b, `s/^\.(.)/..$1/mg`) }
func BenchmarkTr10MB(b *testing.B)                 { benchApply(b, `tr/\x80-\xff/?/`) }

func BenchmarkFolderName(b *testing.B) {
	s, err := ParseSubst(`s/(.*)/\U$1/`)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		s.Apply("INBOX/Éléments envoyés")
	}
}
