package plugins

import (
	"testing"

	"github.com/imapshift/imapshift/core/hooks"
)

// build instantiates the plugin name with values, failing the test on error.
func build(t *testing.T, name string, values ...string) any {
	t.Helper()
	h, err := Build(name, values)
	if err != nil {
		t.Fatalf("Build(%q, %q): %v", name, values, err)
	}
	return h
}

func skipper(t *testing.T, name string, values ...string) hooks.MessageSkipper {
	t.Helper()
	return build(t, name, values...).(hooks.MessageSkipper)
}

func rewriter(t *testing.T, name string, values ...string) hooks.MessageRewriter {
	t.Helper()
	return build(t, name, values...).(hooks.MessageRewriter)
}

func flagger(t *testing.T, name string, values ...string) hooks.FlagFilter {
	t.Helper()
	return build(t, name, values...).(hooks.FlagFilter)
}

// rawMsg is a message whose whole bytes are known.
func rawMsg(raw string) *hooks.Message {
	m := hooks.NewMessage(nil, []byte(raw), nil)
	m.Size = int64(len(raw))
	return m
}

// lazyMsg is a message with only its header known; loads counts fetches
// of the whole message.
func lazyMsg(header, raw string, loads *int) *hooks.Message {
	m := hooks.NewMessage([]byte(header), nil, func() ([]byte, error) {
		*loads++
		return []byte(raw), nil
	})
	m.Size = int64(len(raw))
	return m
}

// rewrite runs r on raw and returns the result and whether it changed.
func rewrite(t *testing.T, r hooks.MessageRewriter, raw string) (string, bool) {
	t.Helper()
	m := rawMsg(raw)
	if err := r.Rewrite(m); err != nil {
		t.Fatalf("Rewrite(%q): %v", raw, err)
	}
	out, err := m.Raw()
	if err != nil {
		t.Fatal(err)
	}
	return string(out), m.Changed()
}
