package mime

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/imapshift/imapshift/core/message"
)

// ParseValue reads a Content-Type or Content-Disposition value: the type
// in lower case and the parameters, names in lower case. It is lenient:
// unquoted values with spaces, missing values and stray semicolons are
// read as well as they can be. RFC 2231 parameters (name*=charset'lang'
// %XX, continuations name*0, name*1*...) are joined and decoded from
// their charset; RFC 2047 encoded words in a value (a common mistake of
// mailers) are decoded too. A value that cannot be decoded is kept as
// written.
func ParseValue(v string) (string, map[string]string) {
	params := map[string]string{}
	typ, rest, _ := strings.Cut(v, ";")
	typ = strings.ToLower(strings.TrimSpace(typ))
	type piece struct {
		n       int
		encoded bool
		value   string
	}
	cont := map[string][]piece{}
	for rest != "" {
		var name, value string
		rest = strings.TrimLeft(rest, " \t\r\n;")
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			if eq < 0 {
				break
			}
			rest = rest[eq:]
			continue
		}
		name = strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			value = b.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				j = len(rest)
			}
			value = strings.TrimSpace(rest[:j])
			rest = rest[j:]
		}
		if name == "" {
			continue
		}
		// RFC 2231: name*, name*0, name*0*
		base, encoded := name, false
		if strings.HasSuffix(base, "*") {
			base, encoded = strings.TrimSuffix(base, "*"), true
		}
		n := -1
		if k := strings.LastIndexByte(base, '*'); k >= 0 {
			if x, err := strconv.Atoi(base[k+1:]); err == nil && x >= 0 && x < 1000 {
				base, n = base[:k], x
			}
		}
		if n < 0 && !encoded {
			if _, dup := params[base]; !dup {
				params[base] = message.Decode(value)
			}
			continue
		}
		if n < 0 {
			n = 0
		}
		cont[base] = append(cont[base], piece{n, encoded, value})
	}
	for base, ps := range cont {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].n < ps[j].n })
		cs := ""
		var raw []byte
		for i, p := range ps {
			val := p.value
			if p.encoded {
				if i == 0 {
					if parts := strings.SplitN(val, "'", 3); len(parts) == 3 {
						cs, val = parts[0], parts[2]
					}
				}
				raw = append(raw, unpercent(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		params[base] = toUTF8(cs, raw) // an RFC 2231 value wins over a plain one
	}
	return typ, params
}

func unpercent(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			x, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			out = append(out, byte(x))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// toUTF8 decodes b from charset cs; an unknown charset, or none, leaves the
// bytes as they are.
func toUTF8(cs string, b []byte) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return string(b)
	}
	out, err := decodeCharset(cs, b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// decodeCharset converts b from charset cs to UTF-8 with go-message's
// charset tables (golang.org/x/text).
func decodeCharset(cs string, b []byte) ([]byte, error) {
	r, err := charset.Reader(cs, strings.NewReader(string(b)))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
