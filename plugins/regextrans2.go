package plugins

import (
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/perlre"
)

func init() {
	register(Plugin{
		Name: "regextrans2",
		Kind: FolderHook,
		Doc:  "Apply Perl s/// or tr/// rules to each host2 folder name, in order (repeatable).",
		New: func(values []string) (any, error) {
			rules, err := substs("--regextrans2", values)
			if err != nil {
				return nil, err
			}
			return regexTrans2{rules: rules}, nil
		},
	})
}

// regexTrans2 rewrites the host2 name with each rule in turn.
type regexTrans2 struct{ rules []*perlre.Subst }

func (r regexTrans2) MapFolder(f hooks.Folder) (hooks.FolderResult, error) {
	name := f.Target
	for _, s := range r.rules {
		name = s.Apply(name)
	}
	return hooks.FolderResult{Target: name}, nil
}
