package mailbox

import (
	"errors"
	"testing"
	"unicode/utf8"
)

var utf7Vectors = []struct{ utf8, utf7 string }{
	{"", ""},
	{"INBOX", "INBOX"},
	{"Données", "Donn&AOk-es"},
	{"&", "&-"},
	{"日本語", "&ZeVnLIqe-"},
	{"收件箱", "&ZTZO9nux-"},
	{"Ö", "&ANY-"},
	{"A&B", "A&-B"},
	{"&&", "&-&-"},
	{"é&", "&AOk-&-"},
	{"Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s"},
	{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
	{"😀", "&2D3eAA-"}, // surrogate pair
	{"a\x00b", "a&AAA-b"},
	{"tab\there", "tab&AAk-here"},
	{"\x7f", "&AH8-"},
	{"Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},
}

func TestEncodeUTF7(t *testing.T) {
	for _, v := range utf7Vectors {
		t.Run(v.utf8, func(t *testing.T) {
			if got := EncodeUTF7(v.utf8); got != v.utf7 {
				t.Errorf("EncodeUTF7(%q) = %q, want %q", v.utf8, got, v.utf7)
			}
		})
	}
}

func TestDecodeUTF7(t *testing.T) {
	for _, v := range utf7Vectors {
		t.Run(v.utf7, func(t *testing.T) {
			got, err := DecodeUTF7(v.utf7)
			if err != nil || got != v.utf8 {
				t.Errorf("DecodeUTF7(%q) = %q, %v; want %q", v.utf7, got, err, v.utf8)
			}
		})
	}
}

func TestEncodeUTF7InvalidUTF8(t *testing.T) {
	// An invalid byte is encoded as U+FFFD (FF FD → ",,0" in modified BASE64).
	if got, want := EncodeUTF7("a\xffb"), "a&,,0-b"; got != want {
		t.Errorf("EncodeUTF7(invalid) = %q, want %q", got, want)
	}
}

func TestDecodeUTF7Invalid(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"lone ampersand", "&"},
		{"unterminated", "&ZeVnLIqe"},
		{"unterminated at end", "abc&AOk"},
		{"raw 8-bit", "Donn\xc3\xa9es"},
		{"raw UTF-8 rune", "日本"},
		{"control byte", "a\x01b"},
		{"DEL byte", "a\x7fb"},
		{"bad base64 char", "&AO!-"},
		{"ampersand inside", "&&-"},
		{"standard base64 slash", "&U/BTFw-"},
		{"base64 length mod 4 is 1", "&AOkAA-"},
		{"odd byte count", "&AA-"},
		{"non-zero padding bits", "&AOl-"},
		{"printable ASCII in base64", "&AGE-"},
		{"ampersand in base64", "&ACY-"},
		{"adjacent sections", "&AOk-&AOk-"},
		{"adjacent sections cjk", "&U,BTFw-&ZeVnLIqe-"},
		{"lone high surrogate", "&2D0-"},
		{"lone low surrogate", "&3gA-"},
		{"high surrogate then BMP", "&2D0AQQ-"},
		{"reversed surrogates", "&3gDYPQ-"},
		{"padding char", "&AOk=-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeUTF7(tc.in)
			if err == nil {
				t.Fatalf("DecodeUTF7(%q) = %q, want error", tc.in, got)
			}
			if !errors.Is(err, ErrInvalidUTF7) {
				t.Errorf("error %v does not wrap ErrInvalidUTF7", err)
			}
		})
	}
}

// TestDisplay: "[name]" for plain ASCII, "[utf7] = [utf8]" otherwise (fed
// with the decoded names).
func TestDisplay(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"latin &ANY-", "Ö", "[&ANY-] = [Ö]"},
		{"ascii INBOX", "INBOX", "[INBOX]"},
		{"chinese &ZTZO9nux-", "收件箱", "[&ZTZO9nux-] = [收件箱]"},
		{"japanese", "日本語", "[&ZeVnLIqe-] = [日本語]"},
		{"ascii with sep", "INBOX.Sent Items", "[INBOX.Sent Items]"},
		{"ampersand", "A&B", "[A&-B] = [A&B]"},
		{"empty", "", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Display(tc.in); got != tc.want {
				t.Errorf("Display(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzUTF7RoundTrip(f *testing.F) {
	for _, v := range utf7Vectors {
		f.Add(v.utf8)
		f.Add(v.utf7)
	}
	for _, s := range []string{"&", "&-&", "&AOk-&AOk-", "&2D0-", "-&-", "a\xffb", "&AGE-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if utf8.ValidString(s) {
			enc := EncodeUTF7(s)
			for i := 0; i < len(enc); i++ {
				if enc[i] < 0x20 || enc[i] > 0x7e {
					t.Fatalf("EncodeUTF7(%q) = %q has byte %#x", s, enc, enc[i])
				}
			}
			dec, err := DecodeUTF7(enc)
			if err != nil || dec != s {
				t.Fatalf("DecodeUTF7(EncodeUTF7(%q)) = %q, %v", s, dec, err)
			}
		}
		// Decoding accepts only canonical encodings, so it is the inverse.
		if dec, err := DecodeUTF7(s); err == nil {
			if !utf8.ValidString(dec) {
				t.Fatalf("DecodeUTF7(%q) = %q is not valid UTF-8", s, dec)
			}
			if enc := EncodeUTF7(dec); enc != s {
				t.Fatalf("EncodeUTF7(DecodeUTF7(%q)) = %q", s, enc)
			}
		}
	})
}
