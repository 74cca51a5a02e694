package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// after2 is a host2 folder as read again at the end of the run, with the
// same message selection and identity as the analysis.
type after2 struct {
	count     int64 // messages, as SELECT counts them
	size, big int64 // over the messages the selection keeps
	void      int
	keys      map[string]struct{}
	// dups are the extra copies of a key (every copy after the one with
	// the lowest UID); fresh are those at or above the UIDNEXT the
	// analysis saw, which were not in the folder when the run began.
	dups, fresh []imap.UID
}

// changed2 reports whether the run wrote, or tried to write, to fr's
// host2 folder: created it, copied to it, deleted from it, or recovered
// a dead run's APPENDs there.
func (e *engine) changed2(fr *folderRun) bool {
	if fr.skipReason() != "" || !fr.analyzed {
		return false
	}
	if fr.created || (len(fr.copies) > 0 && !fr.incremental) {
		// An incremental folder is not read again for its copies: its
		// size at the end is the start plus what was copied, and the
		// APPENDs in doubt are checked apart (doubts).
		return true
	}
	if r := e.recovery; r != nil {
		if _, ok := r.folders[fr.h2]; ok {
			return true
		}
	}
	o := &e.opts
	return (o.Delete2 && len(fr.only2) > 0) || (o.Delete2Duplicates && len(fr.dups2) > 0)
}

// measure2 reads again, once the copies and deletions are done, every
// host2 folder the run changed: its messages, sizes and identity keys
// (one SELECT and one metadata FETCH each, over the parallel workers).
// The final sizes table, the final difference and the verdicts then
// describe host2 as it is, not as the run expects it to be. A folder
// left with duplicates gets a line naming it and their count; when this
// run created them and --delete2duplicates was not asked for, the run
// records an error of class report.ClassDuplicates. Under --useuid and
// --syncduplicates equal keys are expected, so no duplicate is counted.
func (e *engine) measure2(ctx context.Context, main *worker) {
	var todo []*folderRun
	for _, fr := range e.exec.folders {
		if e.changed2(fr) {
			todo = append(todo, fr)
		}
	}
	runParallel(ctx, e, main, todo, func(w *worker, fr *folderRun) {
		a, err := e.read2(ctx, w, fr)
		if err != nil {
			e.say("Host2: folder %s: could not be read again for the final report: %v", fr.h2, err)
			return
		}
		fr.mu.Lock()
		fr.after = a
		fr.mu.Unlock()
		if len(a.dups) == 0 {
			return
		}
		e.say("Host2: folder %s holds %d duplicate message(s) at the end of the run, %d created by this run: UIDs %s",
			mailbox.Display(fr.h2), len(a.dups), len(a.fresh), uidList(a.dups))
		if len(a.fresh) > 0 && !e.opts.Delete2Duplicates {
			e.fail(report.ClassDuplicates, fmt.Sprintf("Host2: folder %s: this run left %d duplicate message(s) (UIDs %s); --delete2duplicates removes them",
				mailbox.Display(fr.h2), len(a.fresh), uidList(a.fresh)))
		}
	})
}

// known2 is what the analysis learnt of one host2 message.
type known2 struct {
	uid  imap.UID
	size int64
	hkey string
	hok  bool
}

// read2 reads fr's host2 folder again and counts it as the analysis
// does. The messages that were there at the analysis (below its UIDNEXT,
// same UIDVALIDITY) are only listed with a UID SEARCH, their keys and
// sizes being known; the others are fetched with their headers.
//
// When nothing of the folder was known at the analysis (it was empty, or
// created by this run), every message is fetched: that FETCH is sent
// with the SELECT, in the same round trip.
func (e *engine) read2(ctx context.Context, w *worker, fr *folderRun) (*after2, error) {
	var a *after2
	pipelined := fr.known2 == nil || fr.uidNext2 <= 1
	err := w.retry(ctx, host2, func() error {
		c, err := w.client(ctx, host2)
		if err != nil {
			return err
		}
		w.sel[host2] = ""
		selCmd := c.Select(fr.h2, nil)
		var all []meta
		var ferr error
		if pipelined {
			var since imap.UIDSet
			since.AddRange(1, 0)
			all, ferr = fetchMetaOf(c.Client, since, e.opts.Identity.HeaderFields(), e.digest2)
		}
		sel, err := selCmd.Wait()
		if err != nil {
			return err
		}
		w.sel[host2] = fr.h2
		if pipelined && sel.NumMessages > 0 && ferr != nil {
			return ferr
		}
		return e.count2(c, fr, sel, pipelined, all, &a)
	})
	return a, err
}

// count2 is read2's reading and counting once fr's host2 folder is
// selected (sel): all are its messages when fetched with the SELECT
// (pipelined).
func (e *engine) count2(c *conn.Conn, fr *folderRun, sel *imap.SelectData, pipelined bool, all []meta, out **after2) error {
	a := &after2{count: int64(sel.NumMessages), keys: map[string]struct{}{}}
	*out = a
	if sel.NumMessages == 0 {
		return nil
	}
	var metas []meta
	from := imap.UID(1)
	if !pipelined && fr.known2 != nil && fr.uidNext2 > 1 && sel.UIDValidity == fr.validity2 {
		var old imap.UIDSet
		old.AddRange(1, imap.UID(fr.uidNext2-1))
		data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{old}}, nil).Wait()
		if err != nil {
			return err
		}
		uids := data.AllUIDs()
		slices.Sort(uids)
		for _, u := range uids {
			i, ok := slices.BinarySearchFunc(fr.known2, u, func(k known2, u imap.UID) int { return cmp.Compare(k.uid, u) })
			if ok {
				k := fr.known2[i]
				metas = append(metas, meta{uid: k.uid, size: k.size, hkey: k.hkey, hok: k.hok})
			}
		}
		from = imap.UID(fr.uidNext2)
	}
	newer, err := all, error(nil)
	if !pipelined {
		var since imap.UIDSet
		since.AddRange(from, 0)
		newer, err = fetchMetaOf(c.Client, since, e.opts.Identity.HeaderFields(), e.digest2)
	}
	// "n:*" names the last message even when its UID is below n.
	newer = slices.DeleteFunc(newer, func(m meta) bool { return m.uid < from })
	if err == nil {
		newer, err = e.selectMessages(c.Client, host2, newer)
	}
	if err != nil {
		return err
	}
	metas = append(metas, newer...)
	var rank identity.Ranker
	countDups := !e.opts.SyncDuplicates && !fr.byUID
	for _, m := range metas { // ascending UIDs
		a.size += m.size
		a.big = max(a.big, m.size)
		key, ok := m.hkey, m.hok
		if fr.byUID {
			key, ok = e.key2(fr.folderPlan, m)
		}
		if !ok {
			a.void++
			continue
		}
		if e.opts.SyncDuplicates {
			key, _ = rank.Rank(key)
		}
		if _, dup := a.keys[key]; dup && countDups {
			a.dups = append(a.dups, m.uid)
			if uint32(m.uid) >= fr.uidNext2 {
				a.fresh = append(a.fresh, m.uid)
			}
			continue
		}
		a.keys[key] = struct{}{}
	}
	return nil
}

// uidList writes UIDs for a line, the first 20 then "...".
func uidList(uids []imap.UID) string {
	uids = slices.Clone(uids)
	slices.Sort(uids)
	var parts []string
	for i, u := range uids {
		if i == 20 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprint(u))
	}
	return strings.Join(parts, ",")
}
