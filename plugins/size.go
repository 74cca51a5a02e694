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
	register(Plugin{
		Name: "appendlimit",
		Kind: SkipHook,
		Doc:  "Skip messages larger than host2's APPENDLIMIT (or --appendlimit) instead of failing their APPEND.",
		New: func(values []string) (any, error) {
			if len(values) == 0 {
				return nil, fmt.Errorf("appendlimit: needs a value")
			}
			var limit int64 = -1
			for _, v := range values {
				n, err := parseInt("appendlimit", v, 1)
				if err != nil {
					return nil, err
				}
				if limit < 0 || n < limit {
					limit = n
				}
			}
			return appendLimit{limit: limit}, nil
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

// appendLimit skips messages host2 would refuse: over the limit, which
// RFC 7889 defines as the largest size accepted. When a rewrite already
// replaced the message, the size checked is that of the new bytes, which
// are what is appended.
type appendLimit struct{ limit int64 }

func (h appendLimit) Skip(m *hooks.Message) (string, error) {
	size := m.Size
	if m.Changed() {
		raw, err := m.Raw()
		if err != nil {
			return "", err
		}
		size = int64(len(raw))
	}
	if size > h.limit {
		return fmt.Sprintf("%d exceeds appendlimit %d bytes", size, h.limit), nil
	}
	return "", nil
}

func (appendLimit) HeaderOnly() bool { return true }
