package plugins

import (
	"bytes"
	"fmt"

	"github.com/imapshift/imapshift/core/hooks"
)

func init() {
	register(Plugin{
		Name: "maxlinelength",
		Kind: SkipHook,
		Doc:  "Skip messages with a line longer than N bytes, its LF included (reads the body).",
		New: func(values []string) (any, error) {
			n, err := lastInt("maxlinelength", values, 1)
			if err != nil {
				return nil, err
			}
			return maxLineLength{limit: n}, nil
		},
	})
	register(Plugin{
		Name: "truncmess",
		Kind: RewriteHook,
		Doc:  "Truncate messages to their first N bytes.",
		New: func(values []string) (any, error) {
			n, err := lastInt("truncmess", values, 1)
			if err != nil {
				return nil, err
			}
			return truncMess{limit: n}, nil
		},
	})
}

// MaxLineLength returns the length in bytes of the longest line of raw,
// counting its LF (and a CR before it); a last line without LF counts its
// bytes. It is imapsync's max_line_length: "" is 0, "\n" is 1.
func MaxLineLength(raw []byte) int {
	longest := 0
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		n := i + 1
		if i < 0 {
			n = len(raw)
		}
		longest = max(longest, n)
		raw = raw[n:]
	}
	return longest
}

// maxLineLength skips messages with a line longer than limit bytes.
type maxLineLength struct{ limit int64 }

func (h maxLineLength) Skip(m *hooks.Message) (string, error) {
	raw, err := m.Raw()
	if err != nil {
		return "", err
	}
	if n := MaxLineLength(raw); int64(n) > h.limit {
		return fmt.Sprintf("line length %d exceeds maxlinelength %d bytes", n, h.limit), nil
	}
	return "", nil
}

func (maxLineLength) HeaderOnly() bool   { return false }
func (maxLineLength) AfterRewrite() bool { return true }

// truncMess keeps the first limit bytes of a message.
type truncMess struct{ limit int64 }

func (h truncMess) Rewrite(m *hooks.Message) error {
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	if int64(len(raw)) > h.limit {
		m.SetRaw(raw[:h.limit:h.limit])
	}
	return nil
}
