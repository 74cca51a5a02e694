package plugins

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/perlre"
)

func init() {
	register(Plugin{
		Name: "skipmess",
		Kind: SkipHook,
		Doc:  "Skip messages matching a Perl regex (/re/, m{re}flags or a bare pattern; repeatable, any match skips; reads the body).",
		New: func(values []string) (any, error) {
			if err := nonEmpty("skipmess", values); err != nil {
				return nil, err
			}
			h := skipMess{exprs: append([]string(nil), values...)}
			for _, v := range values {
				r, err := perlre.ParseMatch(v)
				if err != nil {
					return nil, perlre.WithOption(err, "--skipmess")
				}
				if err := try(func() { r.Match([]byte(" ")) }); err != nil {
					return nil, fmt.Errorf("--skipmess %q: %w", v, err)
				}
				h.rules = append(h.rules, r)
			}
			return h, nil
		},
	})
	register(Plugin{
		Name: "regexmess",
		Kind: RewriteHook,
		Doc:  "Apply Perl s/// or tr/// rules to each whole message, in order (repeatable).",
		New: func(values []string) (any, error) {
			rules, err := substs("--regexmess", values)
			if err != nil {
				return nil, err
			}
			return regexMess{rules: rules}, nil
		},
	})
	register(Plugin{
		Name: "regexflag",
		Kind: FlagHook,
		Doc:  "Apply Perl s/// or tr/// rules to the space-separated flag list, in order (repeatable).",
		New: func(values []string) (any, error) {
			rules, err := substs("--regexflag", values)
			if err != nil {
				return nil, err
			}
			return regexFlag{rules: rules}, nil
		},
	})
}

// substs parses s/// or tr/// rules and runs each once on a single space,
// as imapsync checks them at start-up.
func substs(option string, values []string) ([]*perlre.Subst, error) {
	if err := nonEmpty(strings.TrimPrefix(option, "--"), values); err != nil {
		return nil, err
	}
	rules := make([]*perlre.Subst, 0, len(values))
	for _, v := range values {
		r, err := perlre.ParseSubst(v)
		if err != nil {
			return nil, perlre.WithOption(err, option)
		}
		if err := try(func() { r.Apply(" "); r.ApplyBytes([]byte(" ")) }); err != nil {
			return nil, fmt.Errorf("%s %q: %w", option, v, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// try runs f and turns a panic into an error: a rule that fails at run
// time must not take a worker down.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rule failed: %v", r)
		}
	}()
	f()
	return nil
}

// skipMess skips a message when one of its rules matches the whole
// message (byte-string semantics).
type skipMess struct {
	exprs []string
	rules []*perlre.Match
}

func (h skipMess) Skip(m *hooks.Message) (string, error) {
	raw, err := m.Raw()
	if err != nil {
		return "", err
	}
	for i, r := range h.rules {
		var hit bool
		if err := try(func() { hit = r.Match(raw) }); err != nil {
			return "", fmt.Errorf("skipmess %q: %w", h.exprs[i], err)
		}
		if hit {
			return fmt.Sprintf("matches skipmess %q", h.exprs[i]), nil
		}
	}
	return "", nil
}

func (skipMess) HeaderOnly() bool { return false }

// regexMess applies its rules in order to the whole message, with Perl's
// byte-string semantics (.{10239} counts bytes), and replaces the message
// only when they changed it.
type regexMess struct{ rules []*perlre.Subst }

func (h regexMess) Rewrite(m *hooks.Message) error {
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	out := raw
	for i, r := range h.rules {
		if err := try(func() { out = r.ApplyBytes(out) }); err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
	}
	if !bytes.Equal(out, raw) {
		m.SetRaw(out)
	}
	return nil
}

// regexFlag applies its rules in order to the flags joined with spaces,
// then splits the result on white space. A rule that fails is skipped for
// that message, as imapsync does.
type regexFlag struct{ rules []*perlre.Subst }

func (h regexFlag) Flags(_ *hooks.Message, flags []string) ([]string, error) {
	in := strings.Join(flags, " ")
	out := in
	for _, r := range h.rules {
		_ = try(func() { out = r.Apply(out) })
	}
	if out == in {
		return flags, nil
	}
	return strings.Fields(out), nil
}

func (regexFlag) HeaderOnly() bool { return true }
