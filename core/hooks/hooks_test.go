package hooks

import (
	"errors"
	"strings"
	"testing"
)

type mapFn func(Folder) (FolderResult, error)

func (f mapFn) MapFolder(x Folder) (FolderResult, error) { return f(x) }

func TestChainMapFolder(t *testing.T) {
	upper := mapFn(func(f Folder) (FolderResult, error) { return FolderResult{Target: strings.ToUpper(f.Target)}, nil })
	final := mapFn(func(f Folder) (FolderResult, error) { return FolderResult{Target: "Fixed", Final: true}, nil })
	keep := mapFn(func(f Folder) (FolderResult, error) { return FolderResult{}, nil })
	skip := mapFn(func(f Folder) (FolderResult, error) { return FolderResult{Skip: "not wanted"}, nil })
	fail := mapFn(func(f Folder) (FolderResult, error) { return FolderResult{}, errors.New("boom") })
	for _, tc := range []struct {
		name                  string
		hooks                 []Named[FolderMapper]
		target, skip, by, err string
	}{
		{"no hooks keep the name", nil, "a/b", "", "", ""},
		{"a hook that changes nothing decides nothing", []Named[FolderMapper]{{"keep", keep}}, "a/b", "", "", ""},
		{"last changer decides", []Named[FolderMapper]{{"upper", upper}, {"keep", keep}}, "A/B", "", "upper", ""},
		{"final stops the chain", []Named[FolderMapper]{{"final", final}, {"upper", upper}}, "Fixed", "", "final", ""},
		{"skip wins", []Named[FolderMapper]{{"upper", upper}, {"skip", skip}, {"final", final}}, "A/B", "not wanted", "skip", ""},
		{"error names the hook", []Named[FolderMapper]{{"fail", fail}}, "", "", "fail", "fail: folder \"a/b\": boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Chain{Folders: tc.hooks}
			target, skip, by, err := c.MapFolder(Folder{Name: "a/b", Target: "a/b"})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || target != tc.target || skip != tc.skip || by != tc.by {
				t.Fatalf("got (%q, %q, %q, %v), want (%q, %q, %q)", target, skip, by, err, tc.target, tc.skip, tc.by)
			}
		})
	}
}

type rewriteFn func(*Message) error

func (f rewriteFn) Rewrite(m *Message) error { return f(m) }

func TestRewriteKeepsBytesUnlessChanged(t *testing.T) {
	raw := []byte("Subject: x\r\n\r\nbody\r\n")
	m := NewMessage(nil, raw, nil)
	noop := rewriteFn(func(m *Message) error { _, err := m.Raw(); return err })
	tag := rewriteFn(func(m *Message) error {
		r, _ := m.Raw()
		m.SetRaw(append([]byte("X-Tag: 1\r\n"), r...))
		return nil
	})
	c := Chain{Rewrites: []Named[MessageRewriter]{{"noop", noop}, {"tag", tag}, {"noop2", noop}}}
	by, err := c.Rewrite(m)
	if err != nil || len(by) != 1 || by[0] != "tag" || !m.Changed() {
		t.Fatalf("changed by %v, err %v", by, err)
	}
	if got := string(m.Header()); got != "X-Tag: 1\r\nSubject: x\r\n\r\n" {
		t.Fatalf("header %q", got)
	}
	untouched := NewMessage(nil, raw, nil)
	if by, _ := (&Chain{Rewrites: []Named[MessageRewriter]{{"noop", noop}}}).Rewrite(untouched); len(by) != 0 || untouched.Changed() {
		t.Fatal("a no-op rewrite marked the message changed")
	}
}

func TestLazyBody(t *testing.T) {
	loads := 0
	m := NewMessage([]byte("Subject: x\n\n"), nil, func() ([]byte, error) { loads++; return []byte("Subject: x\n\nbody\n"), nil })
	if string(m.Header()) != "Subject: x\n\n" || m.Loaded() || loads != 0 {
		t.Fatal("reading the header fetched the body")
	}
	for i := 0; i < 2; i++ {
		if raw, err := m.Raw(); err != nil || string(raw) != "Subject: x\n\nbody\n" {
			t.Fatalf("Raw = %q, %v", raw, err)
		}
	}
	if loads != 1 {
		t.Fatalf("body fetched %d times", loads)
	}
}

// TestHeaderCutFromRaw: the header a hook sees is message.Split's, also
// for a message that starts with an empty line (no header at all).
func TestHeaderCutFromRaw(t *testing.T) {
	for raw, want := range map[string]string{
		"Subject: x\r\n\r\nbody\r\n\r\nmore": "Subject: x\r\n\r\n",
		"Subject: x\n\nbody":                 "Subject: x\n\n",
		"\r\nbody\r\n\r\nmore":               "\r\n",
		"Subject: no body":                   "Subject: no body",
	} {
		if got := string(NewMessage(nil, []byte(raw), nil).Header()); got != want {
			t.Errorf("Header of %q = %q, want %q", raw, got, want)
		}
	}
}
