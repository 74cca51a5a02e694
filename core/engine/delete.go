package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// storeBatch bounds the UIDs of one STORE or UID EXPUNGE.
const storeBatch = 500

// writes1 reports whether host1 is changed at all; host1 folders are then
// selected read-write instead of EXAMINEd.
func (o *Options) writes1() bool { return o.Delete1 || o.Expunge1 }

// checkDeletions refuses, before anything is deleted, what would lose
// mail: --delete2 on a host2 folder fed by two host1 folders, and --delete2
// removing more than the threshold of a folder without --force. The share
// is checked only for a folder where more than Delete2Min messages would
// go, so that ordinary scripts cleaning a few extras in a small folder
// keep working.
func (e *engine) checkDeletions() error {
	o := &e.opts
	if !o.Delete2 {
		return nil
	}
	if e.plan.merged {
		return exitcode.New(exitcode.Usage, "--delete2 refused: two host1 folders map to the same host2 folder (see the warning above), so each would delete the other's messages")
	}
	if o.Force {
		return nil
	}
	var over []string
	for _, fp := range e.plan.folders {
		n := len(fp.only2)
		if o.Delete2Duplicates {
			n += len(fp.dups2)
		}
		if fp.on[host2].count > 0 && n > 0 && n > o.Delete2Min && float64(n) > o.Delete2Threshold*float64(fp.on[host2].count) {
			over = append(over, fmt.Sprintf("%s (%d of %d)", fp.h2, n, fp.on[host2].count))
		}
	}
	if len(over) > 0 {
		return exitcode.New(exitcode.Usage, "--delete2 refused: it would delete more than %.0f%% (and more than %d messages) of host2 folder(s) %s; check the folder mapping with --dry, then add --force if this is really wanted", o.Delete2Threshold*100, o.Delete2Min, strings.Join(over, ", "))
	}
	return nil
}

// finishFolder runs the deletions of one folder once its copies are done:
// --delete2 / --delete2duplicates on host2, then --delete1 / --expunge1 on
// host1. A host1 message is deleted only when its copy is confirmed.
func (e *engine) finishFolder(ctx context.Context, w *worker, fp *folderRun) {
	o := &e.opts
	if o.Delete2 || o.Delete2Duplicates {
		var uids []imap.UID
		if o.Delete2 {
			uids = append(uids, fp.only2...)
		}
		if o.Delete2Duplicates {
			uids = append(uids, fp.dups2...)
		}
		e.deleteMessages(ctx, w, host2, fp.h2, uids, o.UIDExpunge2, o.Expunge2)
	}
	switch {
	case o.Delete1 && len(e.overQuota()) > 0:
		// Host2 is full: every host1 message stays until a run completes.
	case o.Delete1:
		e.deleteMessages(ctx, w, host1, fp.h1, e.confirmed(ctx, w, fp), o.Expunge1, o.Expunge1)
	case o.Expunge1:
		e.deleteMessages(ctx, w, host1, fp.h1, nil, false, true)
	}
}

// confirmed returns the host1 UIDs whose message is known to be on host2:
// already there at analysis, or copied with an APPENDUID, or found on host2
// by its key after the copy (servers without UIDPLUS).
func (e *engine) confirmed(ctx context.Context, w *worker, fp *folderRun) []imap.UID {
	fp.mu.Lock()
	uids := append(append([]imap.UID(nil), fp.present1...), fp.confirmed1...)
	unsure := fp.unconfirmed1
	fp.mu.Unlock()
	if len(unsure) > 0 {
		missing, _, _ := e.onHost2(ctx, w, fp, unsure)
		gone := map[imap.UID]bool{}
		for _, it := range missing {
			gone[it.uid] = true
		}
		for _, it := range unsure {
			if !gone[it.uid] {
				uids = append(uids, it.uid)
			}
		}
	}
	return uids
}

// deleteMessages marks uids \Deleted in folder on side s and expunges
// them: with UID EXPUNGE when uidExpunge and the server has UIDPLUS, else
// with EXPUNGE when expunge. uids may be empty to only EXPUNGE. Dry runs
// never get here: Plan.Print lists the deletions instead.
func (e *engine) deleteMessages(ctx context.Context, w *worker, s side, folder string, uids []imap.UID, uidExpunge, expunge bool) {
	host := s.String()
	if len(uids) == 0 && !expunge {
		return
	}
	err := w.inFolder(ctx, s, folder, func(c *conn.Conn) error {
		for i := 0; i < len(uids); i += storeBatch {
			var set imap.UIDSet
			for _, u := range uids[i:min(i+storeBatch, len(uids))] {
				set.AddNum(u)
			}
			if err := e.changes.markDeleted(c, set); err != nil {
				return err
			}
		}
		switch {
		case len(uids) > 0 && uidExpunge && hasUIDPlus(c.Caps()):
			for i := 0; i < len(uids); i += storeBatch {
				var set imap.UIDSet
				for _, u := range uids[i:min(i+storeBatch, len(uids))] {
					set.AddNum(u)
				}
				if err := e.changes.expunge(c, &set); err != nil {
					return err
				}
			}
			e.say("%s: UidExpunging %d message(s) in folder %s", host, len(uids), folder)
		case expunge:
			if err := e.changes.expunge(c, nil); err != nil {
				return err
			}
			e.say("%s: Expunging folder %s", host, folder)
		}
		return nil
	})
	if err != nil {
		e.fail(classOf(report.ClassUnclassified, err), fmt.Sprintf("%s: folder %s: could not delete messages: %v", host, folder, err))
		return
	}
	for _, u := range uids {
		e.say("%s: msg %s/%d marked \\Deleted on host%d", host, folder, u, s+1)
	}
	e.exec.stats.deleted[s].Add(int64(len(uids)))
}

func hasUIDPlus(caps imap.CapSet) bool {
	return caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)
}
