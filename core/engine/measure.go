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
	// ids are the hashes (keyHash) of the identities found, settled.
	ids hashSet
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
func (e *engine) read2(ctx context.Context, w *worker, fr *folderRun) (*after2, error) {
	var a *after2
	var keys map[string]struct{}
	err := w.reselect(ctx, host2, fr.h2, func(c *conn.Conn, sel *imap.SelectData) error {
		a = &after2{count: int64(sel.NumMessages)}
		keys = make(map[string]struct{}, sel.NumMessages)
		if sel.NumMessages == 0 {
			return nil
		}
		var rank identity.Ranker
		countDups := !e.opts.SyncDuplicates && !fr.byUID
		take := func(m meta) { // in ascending UIDs
			a.size += m.size
			a.big = max(a.big, m.size)
			key, ok := m.hkey, m.hok
			if fr.byUID {
				key, ok = e.key2(fr.folderPlan, m)
			}
			if !ok {
				a.void++
				return
			}
			if e.opts.SyncDuplicates {
				key, _ = rank.Rank(key)
			}
			if _, dup := keys[key]; dup && countDups {
				a.dups = append(a.dups, m.uid)
				if uint32(m.uid) >= fr.uidNext2 {
					a.fresh = append(a.fresh, m.uid)
				}
				return
			}
			keys[key] = struct{}{}
		}
		var next imap.UID // 0: from the first message
		newer := sel.NumMessages
		if fr.known2 != nil && fr.uidNext2 > 1 && sel.UIDValidity == fr.validity2 {
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
					take(meta{uid: k.uid, size: k.size, hkey: k.hkey, hok: k.hok})
				}
			}
			next = imap.UID(fr.uidNext2)
			newer -= min(newer, uint32(len(uids)))
		}
		// The newer messages, in chunks as the analysis reads them.
		return fetchChunked(c.Client, newer, &next, e.analysisChunk(), e.opts.Identity.HeaderFields(), false, e.digest2, func(metas []meta) error {
			metas, err := e.selectMessages(c.Client, host2, metas)
			if err != nil {
				return err
			}
			for _, m := range metas {
				take(m)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// The report counts identities from hashes: 8 bytes a message, held
	// until the end of the run, where the map takes several times that.
	a.ids = make(hashSet, 0, len(keys))
	for k := range keys {
		a.ids = append(a.ids, keyHash(k))
	}
	a.ids = a.ids.settle()
	return a, nil
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
