package mailbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrInvalidUTF7 is wrapped by every error DecodeUTF7 returns.
var ErrInvalidUTF7 = errors.New("invalid modified UTF-7")

// b64 is RFC 3501's modified BASE64: ',' instead of '/', no padding.
// Strict makes the decoder reject non-zero trailing bits, which keeps the
// encoding canonical.
var b64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding).Strict()

// isDirect reports whether b stands for itself in modified UTF-7 (printable
// US-ASCII; '&' is printable but must be escaped as "&-").
func isDirect(b byte) bool { return b >= 0x20 && b <= 0x7e }

// plainASCII reports whether s is its own modified UTF-7 encoding.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDirect(s[i]) || s[i] == '&' {
			return false
		}
	}
	return true
}

// EncodeUTF7 returns the modified UTF-7 form (RFC 3501's mailbox naming)
// of the UTF-8 mailbox name s: printable ASCII stands for itself, '&'
// becomes "&-", and every run of other characters becomes "&" + modified
// BASE64 of its UTF-16BE form + "-". The result is canonical, so DecodeUTF7(EncodeUTF7(s)) == s for
// every valid UTF-8 s. Invalid UTF-8 bytes are encoded as U+FFFD.
func EncodeUTF7(s string) string {
	if plainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	var run []uint16
	flush := func() {
		if len(run) == 0 {
			return
		}
		buf := make([]byte, 0, 2*len(run))
		for _, u := range run {
			buf = append(buf, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(b64.EncodeToString(buf))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r < utf8.RuneSelf && isDirect(byte(r)) {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteByte(byte(r))
			}
			continue
		}
		run = utf16.AppendRune(run, r)
	}
	flush()
	return b.String()
}

// DecodeUTF7 returns the UTF-8 form of the modified UTF-7 mailbox name s.
// It accepts only the canonical encoding EncodeUTF7 produces and otherwise
// returns an error wrapping ErrInvalidUTF7: bytes outside printable ASCII,
// an unterminated or empty-but-not-"&-" shift, BASE64 outside the modified
// alphabet or with non-zero padding bits, an odd byte count, unpaired
// surrogates, printable ASCII hidden in BASE64, and two adjacent BASE64
// sections ("-&" null shift, RFC 3501). So EncodeUTF7(DecodeUTF7(s)) == s
// whenever the error is nil.
func DecodeUTF7(s string) (string, error) {
	if plainASCII(s) {
		return s, nil
	}
	fail := func(at int, why string) (string, error) {
		return "", fmt.Errorf("mailbox: %w in %q at byte %d: %s", ErrInvalidUTF7, s, at, why)
	}
	var b strings.Builder
	b.Grow(len(s))
	afterSection := false
	for i := 0; i < len(s); {
		c := s[i]
		if !isDirect(c) {
			return fail(i, "byte outside printable ASCII")
		}
		if c != '&' {
			b.WriteByte(c)
			afterSection = false
			i++
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return fail(i, "'&' without closing '-'")
		}
		section := s[i+1 : i+1+end]
		if section == "" {
			b.WriteByte('&')
			afterSection = false
			i += 2
			continue
		}
		if afterSection {
			return fail(i, "adjacent BASE64 sections (null shift)")
		}
		raw, err := b64.DecodeString(section)
		if err != nil {
			return fail(i+1, "bad modified BASE64")
		}
		if len(raw)%2 != 0 {
			return fail(i+1, "odd number of UTF-16 bytes")
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for k := 0; k < len(units); k++ {
			u := units[k]
			var r rune
			switch {
			case utf16.IsSurrogate(rune(u)):
				if u >= 0xdc00 || k+1 == len(units) {
					return fail(i+1, "unpaired UTF-16 surrogate")
				}
				r = utf16.DecodeRune(rune(u), rune(units[k+1]))
				if r == utf8.RuneError {
					return fail(i+1, "unpaired UTF-16 surrogate")
				}
				k++
			case u < utf8.RuneSelf && isDirect(byte(u)):
				return fail(i+1, "printable ASCII encoded in BASE64")
			default:
				r = rune(u)
			}
			b.WriteRune(r)
		}
		afterSection = true
		i += end + 2
	}
	return b.String(), nil
}

// Display renders a UTF-8 mailbox name the way imapsync prints folder names
// (jux_utf8): "[name]" when the name is its own modified UTF-7 form, otherwise
// "[utf7] = [utf8]", e.g. "[&ZeVnLIqe-] = [日本語]" or "[A&-B] = [A&B]".
func Display(name string) string {
	enc := EncodeUTF7(name)
	if enc == name {
		return "[" + name + "]"
	}
	return "[" + enc + "] = [" + name + "]"
}
