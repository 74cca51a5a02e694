package engine

import (
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/mailbox"
)

// The names of the built-in folder steps, as plans and `imapshift
// folders` show them.
const (
	stepF1F2      = "f1f2"
	stepAutomap   = "automap"
	stepTranslate = "translate"
	stepInboxFix  = "fixInboxINBOX"
)

// folderChain builds the folder hooks of this run, in imapsync's order:
// --f1f2 and --automap (each final when it applies), the name translation
// (subfolders, prefixes, separators), the option rules (--regextrans2 and
// other built-in folder plugins), the INBOX case fix, then scripts.
func (e *engine) folderChain() *hooks.Chain {
	o := &e.opts
	i1, i2 := e.info[host1], e.info[host2]
	c := &hooks.Chain{}
	if len(o.F1F2) > 0 {
		c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: stepF1F2, Hook: tableMapper(o.F1F2)})
	}
	if o.Automap && o.Subfolder1 == "" && o.Subfolder2 == "" {
		m, notes := mailbox.Automap(i1.folders, i2.folders, i1.naming.Prefix, i2.naming.Prefix)
		for _, n := range notes {
			e.say("%s", n)
		}
		if len(m) > 0 {
			e.say("Folders mapping from --automap feature (use --f1f2 to override any mapping):")
			for _, l := range mailbox.AutomapLines(m, i1.names) {
				e.say("%s", l)
			}
			c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: stepAutomap, Hook: tableMapper(m)})
		}
	}
	tr := &mailbox.Translator{
		Sep1: i1.naming.Sep, Sep2: i2.naming.Sep,
		Prefix1: i1.naming.Prefix, Prefix2: i2.naming.Prefix,
		FixSlash2: o.FixSlash2, Subfolder1: o.Subfolder1, Subfolder2: o.Subfolder2,
	}
	c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: stepTranslate, Hook: translateMapper{tr}})
	c.Folders = append(c.Folders, o.FolderRules...)
	if o.FixInboxINBOX {
		if fix := mailbox.InboxCaseFix(i1.names, i2.names); fix != (mailbox.InboxFix{}) {
			c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: stepInboxFix, Hook: inboxFixMapper(fix)})
		}
	}
	if o.Hooks != nil {
		c.Folders = append(c.Folders, o.Hooks.Folders...)
	}
	return c
}

// tableMapper maps exact host1 names and ends the chain when it applies.
type tableMapper map[string]string

func (t tableMapper) MapFolder(f hooks.Folder) (hooks.FolderResult, error) {
	if v := t[f.Name]; v != "" {
		return hooks.FolderResult{Target: v, Final: true}, nil
	}
	return hooks.FolderResult{}, nil
}

// translateMapper is imapsync's name translation without the rules that
// other steps carry.
type translateMapper struct{ tr *mailbox.Translator }

func (t translateMapper) MapFolder(f hooks.Folder) (hooks.FolderResult, error) {
	h2, _, err := t.tr.Translate(f.Name)
	return hooks.FolderResult{Target: h2}, err
}

type inboxFixMapper mailbox.InboxFix

func (i inboxFixMapper) MapFolder(f hooks.Folder) (hooks.FolderResult, error) {
	return hooks.FolderResult{Target: mailbox.InboxFix(i).Apply(f.Target)}, nil
}
