package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"
)

// Encoding is the Content-Transfer-Encoding in lower case ("7bit" without
// one).
func (p *Part) Encoding() string {
	v, ok := p.Header.Get("Content-Transfer-Encoding")
	v = strings.ToLower(strings.TrimSpace(v))
	if !ok || v == "" {
		return "7bit"
	}
	return v
}

// Charset is the charset parameter in lower case, "" without one.
func (p *Part) Charset() string {
	return strings.ToLower(strings.TrimSpace(p.params["charset"]))
}

// Decoded returns the body with its transfer encoding undone (base64 and
// quoted-printable; anything else is taken as it is). Bad base64 or
// quoted-printable decodes as far as it can: the error says what was
// wrong, and the bytes are still returned.
func (p *Part) Decoded() ([]byte, error) {
	raw := p.Raw()
	switch p.Encoding() {
	case "base64":
		return decodeBase64(raw)
	case "quoted-printable":
		return decodeQP(raw), nil
	}
	return raw, nil
}

// Text returns the body decoded: transfer encoding undone and, for a text
// part, converted from its charset to UTF-8. cs, when not "", replaces the
// declared charset (for a part that declares the wrong one). An unknown
// charset leaves the bytes as they are, with an error saying so.
func (p *Part) Text(cs string) ([]byte, error) {
	b, err := p.Decoded()
	if cs == "" {
		if !strings.HasPrefix(p.mediaType, "text/") {
			return b, err
		}
		cs = p.Charset()
	}
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return b, err
	}
	out, cerr := decodeCharset(cs, b)
	if cerr != nil {
		if err == nil {
			err = cerr
		}
		return b, err
	}
	return out, err
}

// decodeBase64 decodes b, skipping white space and characters outside the
// alphabet, and stopping at the padding.
func decodeBase64(b []byte) ([]byte, error) {
	clean := make([]byte, 0, len(b))
	bad := 0
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == ' ', c == '\t', c == '\r', c == '\n', c == '=':
		default:
			bad++
		}
	}
	var err error
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
		err = fmt.Errorf("base64: truncated data")
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, derr := base64.RawStdEncoding.Decode(out, clean)
	if derr != nil && err == nil {
		err = fmt.Errorf("base64: %v", derr)
	}
	if bad > 0 && err == nil {
		err = fmt.Errorf("base64: %d characters outside the alphabet skipped", bad)
	}
	return out[:n], err
}

// decodeQP decodes quoted-printable leniently: an "=" that does not start
// an escape or a soft line break is kept.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		switch {
		case j < len(b) && b[j] == '\n':
			i = j
		case j+1 < len(b) && b[j] == '\r' && b[j+1] == '\n':
			i = j + 1
		case j == len(b):
			i = j
		default:
			out = append(out, c)
		}
	}
	return out
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// encode chooses a transfer encoding for content of media type typ and
// returns it with the encoded body, line ends eol. Text that is 7-bit with
// short lines is kept as it is; UTF-8 text with less than a third of
// 8-bit bytes becomes quoted-printable; the rest base64 in 76-character lines.
func encode(typ string, content []byte, eol string) (string, []byte) {
	text := strings.HasPrefix(typ, "text/") || typ == "message/rfc822"
	if text {
		content = normaliseEOL(content, eol)
		if sevenBit(content) {
			return "7bit", content
		}
		high := 0
		for _, c := range content {
			if c >= 0x80 {
				high++
			}
		}
		if high*3 < len(content) && utf8.Valid(content) && typ != "message/rfc822" {
			var buf bytes.Buffer
			w := quotedprintable.NewWriter(&buf)
			w.Write(content)
			w.Close()
			return "quoted-printable", normaliseEOL(buf.Bytes(), eol)
		}
	}
	enc := base64.StdEncoding.EncodeToString(content)
	out := make([]byte, 0, len(enc)+len(enc)/76*len(eol)+len(eol))
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, eol...)
		enc = enc[76:]
	}
	out = append(out, enc...)
	out = append(out, eol...)
	return "base64", out
}

// sevenBit reports whether b is ASCII without NUL or bare CR and with lines
// of at most 998 characters.
func sevenBit(b []byte) bool {
	line := 0
	for i, c := range b {
		if c >= 0x80 || c == 0 || c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return false
		}
		if c == '\n' {
			line = 0
			continue
		}
		if line++; line > 998 {
			return false
		}
	}
	return true
}

// normaliseEOL gives every line of b the ending eol.
func normaliseEOL(b []byte, eol string) []byte {
	if !bytes.ContainsAny(b, "\r\n") {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/40)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			out = append(out, eol...)
		case '\n':
			out = append(out, eol...)
		default:
			out = append(out, b[i])
		}
	}
	return out
}
