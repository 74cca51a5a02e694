package engine

import (
	"fmt"
	"strings"

	"github.com/imapshift/imapshift/core/exitcode"
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
	if e.labelsMode() == GmailLabelsKeywords {
		c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: "gmaillabels", Hook: archiveMapper{"Archive"}})
	}
	if all2 := e.allMail(host2); e.labelsOn() && all2 != "" {
		// Labels on Gmail: All Mail is copied into All Mail, whatever
		// the other rules do with names; between two Gmail accounts
		// (unless --subfolder), each special folder goes to host2's
		// folder of the same role (\Important included, which automap
		// does not know), whatever each account calls it.
		c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: "synclabels", Hook: archiveMapper{all2}})
		if e.isGmail(host1) && o.Subfolder1 == "" && o.Subfolder2 == "" {
			c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: "synclabels", Hook: e.roleMapper()})
		}
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

// archiveMapper sends the \\All folder to a fixed host2 folder: "Archive"
// (--gmaillabels keywords: the messages without another label), or
// host2's All Mail (labels synced to Gmail).
type archiveMapper struct{ to string }

func (a archiveMapper) MapFolder(f hooks.Folder) (hooks.FolderResult, error) {
	if hasAttr(f.SpecialUse, `\All`) {
		return hooks.FolderResult{Target: a.to, Final: true}, nil
	}
	return hooks.FolderResult{}, nil
}

// roleMapper maps each host1 special folder to host2's folder with the
// same special-use attribute.
func (e *engine) roleMapper() tableMapper {
	m := tableMapper{}
	for _, f1 := range e.info[host1].folders {
		for _, sl := range systemLabels {
			if !hasAttr(f1.Attrs, sl.attr) {
				continue
			}
			for _, f2 := range e.info[host2].folders {
				if hasAttr(f2.Attrs, sl.attr) {
					m[f1.Name] = f2.Name
				}
			}
		}
	}
	return m
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

// nameFolders selects the host1 folders and maps each to its host2 name.
func (e *engine) nameFolders() error {
	o := &e.opts
	i1, i2 := e.info[host1], e.info[host2]
	subs := make([]string, 0, len(i1.subscribed))
	for n := range i1.subscribed {
		subs = append(subs, n)
	}
	sel := o.Selection
	if o.Subfolder1 != "" {
		root, ok := mailbox.Subfolder1Root(o.Subfolder1, i1.naming.Sep, i1.naming.Prefix, i1.names)
		if !ok {
			return exitcode.New(exitcode.Subfolder1NoExists, "--subfolder1 %s: no such folder on host1", o.Subfolder1)
		}
		sel.FolderRec = append(sel.FolderRec, root)
	}
	if sel.DefaultAll() {
		e.say("Including all folders found by default. Use --subscribed or --folder or --folderrec or --include to select specific folders. Use --exclude to unselect specific folders.")
	}
	wanted, warnings := mailbox.Select(i1.names, subs, sel, i1.naming.Sep)
	for _, w := range warnings {
		e.say("%s", w)
	}
	chain := e.folderChain()
	mapped := map[string]bool{}  // host2 names some host1 folder maps to
	planned := map[string]bool{} // host2 names this run creates
	seen2 := map[string]string{}
	claimed := map[string]string{} // lower-case host2 names fed by a kept folder
	n := 0
	for _, h1 := range wanted {
		h2, skip, rule, err := chain.MapFolder(hooks.Folder{
			Name: h1, Target: h1, Sep1: i1.naming.Sep, Sep2: i2.naming.Sep,
			Prefix1: i1.naming.Prefix, Prefix2: i2.naming.Prefix, SpecialUse: i1.specialUse(h1),
		})
		if err != nil {
			return exitcode.Wrap(exitcode.Usage, err)
		}
		n++
		if rule == "" {
			rule = stepTranslate
		}
		fp := &folderPlan{index: n, h1: h1, h2: h2, rule: rule, skip: skip}
		if o.CheckSelectable && i1.noselect[h1] && fp.skip == "" {
			fp.skip = "\\Noselect on host1"
			fp.rule = "checkselectable"
		}
		if prev, dup := seen2[h2]; dup && fp.skip == "" {
			e.say("Warning: host1 folders [%s] and [%s] both map to host2 folder [%s]", prev, h1, h2)
			e.plan.merged = true
		}
		if !o.MixFolders && fp.skip == "" && !i2.exists[h2] {
			if other, ok := i2.existsFold(h2, claimed); ok {
				fp.skip = fmt.Sprintf("host2 already has [%s] (--nomixfolders)", other)
				fp.rule = "nomixfolders"
			}
		}
		if fp.skip == "" {
			claimed[strings.ToLower(h2)] = h2
		}
		seen2[h2] = h1
		mapped[h2] = true
		if fp.skip == "" && !i2.exists[h2] {
			fp.create = true
			for _, p := range mailbox.Parents(h2, i2.naming.Sep) {
				if !i2.exists[p] && !planned[p] {
					fp.parents = append(fp.parents, p)
					planned[p] = true
				}
			}
			planned[h2] = true
		}
		if o.Subscribe && (o.SubscribeAll || i1.subscribed[h1]) && !i2.subscribed[h2] {
			fp.subscribe = true
		}
		if fp.skip != "" {
			e.say("Folder %s skipped (%s): %s", mailbox.Display(h1), fp.rule, fp.skip)
		}
		e.plan.folders = append(e.plan.folders, fp)
	}
	for _, h2 := range i2.names {
		if !mapped[h2] {
			e.plan.extra2 = append(e.plan.extra2, h2)
		}
	}
	return nil
}
