package engine

import (
	"fmt"
	"io"
	"strings"

	"github.com/imapshift/imapshift/core/mailbox"
)

// dry ends the lines of a printed plan.
const dry = " (not really since --dry mode)"

// Print writes the plan as imapsync's --dry lines: the folders to create
// and subscribe, the folders to delete, then, folder by folder, the
// messages to copy, the flags to set and the messages to delete. A plan
// of a --just mode that only reports (folder lists, automap, sizes)
// prints nothing.
func (p *Plan) Print(w io.Writer) {
	pr := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	e := p.e
	if e.plan.scope == scopeNone {
		return
	}
	for _, fp := range e.plan.folders {
		if fp.skip != "" {
			continue
		}
		if fp.create {
			for _, name := range append(fp.parents, fp.h2) {
				pr("Creating folder %s on host2%s", mailbox.Display(name), dry)
			}
		}
		if fp.subscribe {
			pr("Host2: Subscribing to folder %s%s", fp.h2, dry)
		}
	}
	for s, names := range e.plan.deleted {
		for _, name := range names {
			pr("%s: deleting folder %s%s", side(s), mailbox.Display(name), dry)
		}
	}
	if e.plan.scope == scopeFolders {
		return
	}
	pr("++++ Looping on each one of %d folders to sync", len(e.plan.folders))
	for _, fp := range e.plan.folders {
		if fp.skip != "" {
			pr("Folder %s skipped: %s", mailbox.Display(fp.h1), fp.skip)
			continue
		}
		for _, c := range fp.copies {
			rewritten := ""
			if by := fp.rewrittenBy[c.uid]; len(by) > 0 {
				rewritten = " rewritten by " + strings.Join(by, ", ")
			}
			pr("msg %s/%d {%d} copying to %s%s%s", fp.h1, c.uid, c.size, fp.h2, rewritten, dry)
		}
		for _, s := range fp.stores {
			pr("Host2: msg %s/%d would get flags (%s) instead of (%s) from %s/%d%s", fp.h2, s.uid2, joinFlags(s.to), joinFlags(s.from), fp.h1, s.uid1, dry)
		}
		del1, del2 := fp.deletions(&e.opts)
		for _, u := range del2 {
			pr("Host2: msg %s/%d marked \\Deleted on host2%s", fp.h2, u, dry)
		}
		for _, u := range del1 {
			pr("Host1: msg %s/%d marked \\Deleted on host1 once on host2%s", fp.h1, u, dry)
		}
	}
	pr("++++ End looping on each folder")
	if e.labelsOn() {
		what := "the copied messages"
		if e.opts.ResyncLabels {
			what = "every message of the synced folders"
		}
		pr("Labels: host1's labels would be set on %s in host2's %s after the copy%s", what, mailbox.Display(e.allMail(host2)), dry)
	}
}

// printFolderList lists the host2 folders no host1 folder maps to.
func (e *engine) printFolderList() {
	if len(e.plan.extra2) > 0 {
		e.say("Folders in host2 not in host1:")
		for _, f := range e.plan.extra2 {
			e.say("%s", mailbox.Display(f))
		}
	}
}
