package plugins

import (
	"fmt"

	"github.com/imapshift/imapshift/core/hooks"
)

func init() {
	register(Plugin{
		Name: "maxsize",
		Kind: SkipHook,
		Doc:  "Skip messages whose host1 size is larger than or equal to N bytes.",
		New: func(values []string) (any, error) {
			n, err := lastInt("maxsize", values, 1)
			if err != nil {
				return nil, err
			}
			return maxSize{limit: n}, nil
		},
	})
	register(Plugin{
		Name: "minsize",
		Kind: SkipHook,
		Doc:  "Skip messages whose host1 size is smaller than or equal to N bytes.",
		New: func(values []string) (any, error) {
			n, err := lastInt("minsize", values, 0)
			if err != nil {
				return nil, err
			}
			return minSize{limit: n}, nil
		},
	})
}

// maxSize skips messages with Size >= limit: "larger or equal", as the
// imapsync manual says (its copy path used ">", its flag path ">=").
type maxSize struct{ limit int64 }

func (h maxSize) Skip(m *hooks.Message) (string, error) {
	if m.Size >= h.limit {
		return fmt.Sprintf("%d exceeds or equals maxsize limit %d bytes", m.Size, h.limit), nil
	}
	return "", nil
}

func (maxSize) HeaderOnly() bool { return true }

// minSize skips messages with Size <= limit, as imapsync does.
type minSize struct{ limit int64 }

func (h minSize) Skip(m *hooks.Message) (string, error) {
	if m.Size <= h.limit {
		return fmt.Sprintf("%d smaller than minsize %d bytes", m.Size, h.limit), nil
	}
	return "", nil
}

func (minSize) HeaderOnly() bool { return true }
