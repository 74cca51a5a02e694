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
//
// A folder whose STATUS read for the state after the copies (status2)
// proves what it holds is not read again: see provenAfter.
func (e *engine) measure2(ctx context.Context, main *worker) {
	var todo []*folderRun
	for _, fr := range e.exec.folders {
		if !e.changed2(fr) {
			continue
		}
		if a := e.provenAfter(fr); a != nil {
			fr.mu.Lock()
			fr.after = a
			fr.mu.Unlock()
			continue
		}
		todo = append(todo, fr)
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

// provenAfter returns fr's host2 folder as reading it again would find
// it, when its STATUS after the copies (status2) proves that it holds
// exactly the messages the analysis saw there and the copies of this run,
// and nil otherwise (it is then read again). The proof: every copy was
// answered with an APPENDUID, in the UIDVALIDITY STATUS gives (and the
// analysis saw, for a folder that existed); the copies' UIDs are distinct
// and fill [base, base+n), where base is the UIDNEXT the analysis saw (1
// for a folder this run created) and n the number of copies; UIDNEXT is
// base+n, so no other message arrived since; and MESSAGES is the
// analysis's count plus n, so none went away. A copy is then counted with
// the identity key and size of the bytes sent: host2 stores what APPEND
// gives it. The folder's bytes come from STATUS=SIZE where host2 has it.
//
// Anything the proof does not cover is read again: APPENDs in doubt, a
// dead run's batches, copies rewritten on the way (hooks, --addheader),
// two host1 folders feeding one host2 folder, --useuid and
// --syncduplicates keys, a host2 message selection, or a key copied twice.
func (e *engine) provenAfter(fr *folderRun) *after2 {
	st := fr.status2
	o := &e.opts
	if st == nil || fr.byUID || o.SyncDuplicates || o.AddHeader || e.hooks.atCopy() || e.plan.merged ||
		o.MessageSelection.active(host2) || (!fr.created && fr.create) {
		return nil
	}
	if r := e.recovery; r != nil && r.folders[fr.h2] {
		return nil
	}
	e.doubts.mu.Lock()
	_, doubt := e.doubts.folders[fr.h2]
	e.doubts.mu.Unlock()
	if doubt {
		return nil
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	n := len(fr.copiedPairs)
	if fr.rewritten > 0 || len(fr.unconfirmed1) > 0 || n != len(fr.done) || fr.appendValidity.mixed ||
		(n > 0 && fr.appendValidity.v != st.validity) {
		return nil
	}
	base, count0 := uint32(1), uint32(0)
	if !fr.create {
		if fr.validity2 != st.validity || fr.known2 == nil && fr.on[host2].count > 0 {
			return nil
		}
		base, count0 = fr.uidNext2, fr.on[host2].count
	}
	if st.UIDNext != base+uint32(n) || st.Messages != count0+uint32(n) || uint32(len(fr.known2)) != count0 {
		return nil
	}
	a := &after2{count: int64(st.Messages)}
	// The identities as hashes (keyHash), as the report counts them: a
	// map of the key strings took some 60 bytes a message. Two keys
	// sharing a hash (about 1 in 10^9 for a folder of 100,000) make a
	// copy look copied twice, and the folder is then read again.
	keys := make(map[uint64]struct{}, int(st.Messages))
	take := func(uid imap.UID, size int64, key uint64, ok bool) bool {
		a.size += size
		a.big = max(a.big, size)
		if !ok {
			a.void++
			return true
		}
		if _, dup := keys[key]; dup {
			if uint32(uid) >= base {
				return false // this run copied a key twice: read it again
			}
			a.dups = append(a.dups, uid)
			return true
		}
		keys[key] = struct{}{}
		return true
	}
	for _, k := range fr.known2 {
		var h uint64
		if k.hok {
			h = keyHash(k.hkey)
		}
		take(k.uid, k.size, h, k.hok)
	}
	// The copies in ascending host2 UIDs, as (uid2, index) pairs: 8 bytes
	// each, not a clone of the pairs.
	order := make([]uint64, len(fr.copiedPairs))
	for i, c := range fr.copiedPairs {
		order[i] = uint64(c.uid2)<<32 | uint64(i)
	}
	slices.Sort(order)
	for i, o := range order {
		c := fr.copiedPairs[uint32(o)]
		if c.uid2 != imap.UID(base)+imap.UID(i) {
			return nil // a gap or a repeated UID: not the proof's case
		}
		// keyHash of the key string, without the string (ikey.hash).
		if !take(c.uid2, 0, c.key.hash(), true) {
			return nil
		}
	}
	a.size += fr.doneBytes
	a.big = max(a.big, fr.doneBig)
	if st.size >= 0 {
		a.size = st.size
	}
	a.ids = make(hashSet, 0, len(keys))
	for h := range keys {
		a.ids = append(a.ids, h)
	}
	a.ids = a.ids.settle()
	return a
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
	a.ids = idsOf(keys)
	return a, nil
}

// idsOf is the settled set of the hashes of keys. The report counts
// identities from hashes: 8 bytes a message, held until the end of the
// run, where the map takes several times that.
func idsOf(keys map[string]struct{}) hashSet {
	ids := make(hashSet, 0, len(keys))
	for k := range keys {
		ids = append(ids, keyHash(k))
	}
	return ids.settle()
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
