package plugins

import (
	"bytes"

	"github.com/imapshift/imapshift/core/hooks"
)

func init() {
	register(Plugin{
		Name: "disarmreadreceipts",
		Kind: RewriteHook,
		Doc:  "Rename Disposition-Notification-To: to X-Disposition-Notification-To: in the header block.",
		New: func(values []string) (any, error) {
			if err := noValues("disarmreadreceipts", values); err != nil {
				return nil, err
			}
			return disarmReadReceipts{}, nil
		},
	})
}

var dispositionNotificationTo = []byte("disposition-notification-to:")

// disarmReadReceipts prefixes "X-" to every Disposition-Notification-To
// field of the header block (up to the first empty line), whatever its
// case, so that host2 (Exchange, Office 365) sends no read receipt.
type disarmReadReceipts struct{}

func (disarmReadReceipts) Rewrite(m *hooks.Message) error {
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	if out, ok := DisarmReadReceipts(raw); ok {
		m.SetRaw(out)
	}
	return nil
}

// DisarmReadReceipts returns raw with every Disposition-Notification-To:
// header field renamed X-Disposition-Notification-To:, and whether there
// was one. Only the header block is looked at; raw is not modified.
func DisarmReadReceipts(raw []byte) ([]byte, bool) {
	var at []int
	for pos := 0; pos < len(raw); {
		line := raw[pos:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		if line[0] == '\n' || (len(line) >= 2 && line[0] == '\r' && line[1] == '\n') {
			break // the empty line ending the header block
		}
		if len(line) >= len(dispositionNotificationTo) &&
			bytes.EqualFold(line[:len(dispositionNotificationTo)], dispositionNotificationTo) {
			at = append(at, pos)
		}
		pos += len(line)
	}
	if len(at) == 0 {
		return raw, false
	}
	out := make([]byte, 0, len(raw)+2*len(at))
	prev := 0
	for _, p := range at {
		out = append(out, raw[prev:p]...)
		out = append(out, "X-"...)
		prev = p
	}
	out = append(out, raw[prev:]...)
	return out, true
}
