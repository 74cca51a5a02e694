package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// planDelete2Folders lists the host2 folders that --delete2folders
// removes: those no wanted host1 folder maps to, never INBOX, never the
// --subfolder2 root, narrowed by --delete2foldersonly and
// --delete2foldersbutnot. Deepest first.
func (e *engine) planDelete2Folders() []string {
	o := &e.opts
	if !o.Delete2Folders {
		return nil
	}
	var out []string
	for _, name := range e.plan.extra2 {
		switch {
		case mailbox.IsInbox(name),
			o.Subfolder2 != "" && (name == o.Subfolder2 || strings.HasPrefix(o.Subfolder2, name+e.info[host2].naming.Sep)),
			o.Delete2FoldersOnly != nil && !o.Delete2FoldersOnly(name),
			o.Delete2FoldersButNot != nil && o.Delete2FoldersButNot(name):
			continue
		}
		// A parent of a folder that stays is kept too.
		if e.hasMappedChild(name) {
			continue
		}
		out = append(out, name)
	}
	sortDeepestFirst(out, e.info[host2].naming.Sep)
	return out
}

// hasMappedChild reports whether some host2 folder that the sync uses
// lives under name.
func (e *engine) hasMappedChild(name string) bool {
	prefix := name + e.info[host2].naming.Sep
	for _, fp := range e.plan.folders {
		if strings.HasPrefix(fp.h2, prefix) {
			return true
		}
	}
	return false
}

func sortDeepestFirst(names []string, sep string) {
	slices.SortStableFunc(names, func(a, b string) int {
		da, db := strings.Count(a, sep), strings.Count(b, sep)
		if da != db {
			return db - da
		}
		return mailbox.Compare(a, b)
	})
}

// deleteFolders removes names on side s (UNSUBSCRIBE, then DELETE).
func (e *engine) deleteFolders(ctx context.Context, w *worker, s side, names []string) {
	host := s.String()
	for _, name := range names {
		if err := e.changes.deleteFolder(ctx, w, s, name); err != nil {
			e.fail(classOf(report.ClassUnclassified, err), fmt.Sprintf("%s: could not delete folder %s: %v", host, mailbox.Display(name), err))
			continue
		}
		e.say("%s: deleted folder %s", host, mailbox.Display(name))
	}
}

// planDelete1EmptyFolders lists the host1 folders --delete1emptyfolders
// removes: synced folders with no message and, once the deeper ones are
// gone, no child; never INBOX. Deepest first.
func (e *engine) planDelete1EmptyFolders() []string {
	if !e.opts.Delete1EmptyFolders {
		return nil
	}
	sep := e.info[host1].naming.Sep
	empty := map[string]bool{}
	for _, fp := range e.plan.folders {
		if fp.analyzed && fp.on[host1].count == 0 && !mailbox.IsInbox(fp.h1) {
			empty[fp.h1] = true
		}
	}
	remaining := slices.Clone(e.info[host1].names)
	sortDeepestFirst(remaining, sep)
	var out []string
	gone := map[string]bool{}
	for _, name := range remaining {
		if !empty[name] {
			continue
		}
		hasChild := false
		for _, other := range e.info[host1].names {
			if !gone[other] && strings.HasPrefix(other, name+sep) {
				hasChild = true
				break
			}
		}
		if !hasChild {
			out = append(out, name)
			gone[name] = true
		}
	}
	return out
}
