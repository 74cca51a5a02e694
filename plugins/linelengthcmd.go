package plugins

import (
	"fmt"

	"github.com/imapshift/imapshift/core/hooks"
)

func init() {
	register(Plugin{
		Name: "minmaxlinelength",
		Kind: SkipHook,
		Doc:  "Skip messages whose longest line is at most N bytes (imapsync's debugging aid; reads the body).",
		New: func(values []string) (any, error) {
			n, err := lastInt("minmaxlinelength", values, 0)
			if err != nil {
				return nil, err
			}
			return minMaxLineLength{limit: n}, nil
		},
	})
	register(Plugin{
		Name: "maxlinelengthcmd",
		Kind: RewriteHook,
		Doc:  "Pipe messages with a line longer than --maxlinelength N through a command instead of skipping them (values: N, then the command).",
		New: func(values []string) (any, error) {
			if len(values) != 2 {
				return nil, fmt.Errorf("maxlinelengthcmd: needs --maxlinelength N and the command")
			}
			n, err := parseInt("maxlinelength", values[0], 1)
			if err != nil {
				return nil, fmt.Errorf("maxlinelengthcmd: %w", err)
			}
			return lineLengthCmd{limit: n, pipe: NewPipemess([]string{values[1]}, PipemessTimeout)}, nil
		},
	})
}

// minMaxLineLength skips messages whose lines are all short.
type minMaxLineLength struct{ limit int64 }

func (h minMaxLineLength) Skip(m *hooks.Message) (string, error) {
	raw, err := m.Raw()
	if err != nil {
		return "", err
	}
	if n := MaxLineLength(raw); int64(n) <= h.limit {
		return fmt.Sprintf("longest line %d bytes is within minmaxlinelength %d", n, h.limit), nil
	}
	return "", nil
}

func (minMaxLineLength) AfterRewrite() bool { return true }
func (minMaxLineLength) HeaderOnly() bool   { return false }

// lineLengthCmd pipes a message with an over-long line through a command
// (imapsync's --maxlinelengthcmd), leaving the others untouched.
type lineLengthCmd struct {
	limit int64
	pipe  *Pipemess
}

func (h lineLengthCmd) Rewrite(m *hooks.Message) error {
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	if int64(MaxLineLength(raw)) <= h.limit {
		return nil
	}
	return h.pipe.Rewrite(m)
}
