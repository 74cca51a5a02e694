package plugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/imapshift/imapshift/core/hooks"
)

// PipemessTimeout is the default time one --pipemess command may take on
// one message before it is killed and the message fails.
const PipemessTimeout = 60 * time.Second

func init() {
	register(Plugin{
		Name: "pipemess",
		Kind: RewriteHook,
		Doc:  "Filter each message through shell commands, in order: each one's output is the next one's input.",
		New: func(values []string) (any, error) {
			if err := nonEmpty("pipemess", values); err != nil {
				return nil, err
			}
			return NewPipemess(values, PipemessTimeout), nil
		},
	})
}

// Pipemess is the pipemess rewrite hook: it runs the message through
// each command with `sh -c`, feeding each command's stdout to the next.
// A command that exits non-zero, times out or prints nothing fails the
// message.
type Pipemess struct {
	cmds    []string
	timeout time.Duration
}

// NewPipemess returns a pipemess hook running cmds, each limited to
// timeout per message (no limit when timeout <= 0).
func NewPipemess(cmds []string, timeout time.Duration) *Pipemess {
	return &Pipemess{cmds: append([]string(nil), cmds...), timeout: timeout}
}

// Rewrite implements hooks.MessageRewriter.
func (p *Pipemess) Rewrite(m *hooks.Message) error {
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	out, err := p.Run(context.Background(), raw)
	if err != nil {
		return err
	}
	if !bytes.Equal(out, raw) {
		m.SetRaw(out)
	}
	return nil
}

// Run pipes in through the commands and returns the last one's output.
func (p *Pipemess) Run(ctx context.Context, in []byte) ([]byte, error) {
	for i, c := range p.cmds {
		out, err := p.runOne(ctx, c, in)
		if err != nil {
			return nil, fmt.Errorf("command %d %q: %w", i+1, c, err)
		}
		in = out
	}
	return in, nil
}

func (p *Pipemess) runOne(ctx context.Context, command string, in []byte) ([]byte, error) {
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	var stdout bytes.Buffer
	stderr := &headBuffer{max: 4096}
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	// A killed shell may leave children holding the pipes: stop waiting
	// for them shortly after the kill.
	cmd.WaitDelay = 2 * time.Second
	killGroup(cmd)
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("timed out after %s", p.timeout)
	}
	if err != nil {
		if msg := oneLine(stderr.String(), 512); msg != "" {
			return nil, fmt.Errorf("%w: %s", err, msg)
		}
		return nil, err
	}
	if stdout.Len() == 0 {
		return nil, errors.New("printed nothing")
	}
	return stdout.Bytes(), nil
}

// CheckPipemess runs the commands once on a single space, as imapsync
// does at start-up (unless --nopipemesscheck): an error means the run
// must refuse to start (exit 64).
func CheckPipemess(cmds []string) error {
	if err := nonEmpty("pipemess", cmds); err != nil {
		return err
	}
	if _, err := NewPipemess(cmds, PipemessTimeout).Run(context.Background(), []byte(" ")); err != nil {
		return fmt.Errorf("pipemess check: %w", err)
	}
	return nil
}

// oneLine returns s on one line, cut to about n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// headBuffer keeps the first max bytes written to it and drops the rest,
// so that a command's stderr cannot grow without bound.
type headBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *headBuffer) String() string { return b.buf.String() }
