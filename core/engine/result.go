package engine

import (
	"container/heap"
	"slices"
	"time"

	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// Result is what a run did: the statistics of the final report, the
// errors, and each folder's fate (for `imapshift folders` and --json).
type Result struct {
	report.Snapshot
	Errors  *report.Errors
	Dry     bool
	Folders []FolderResult
}

// FolderResult is one host1 folder's fate.
type FolderResult struct {
	Host1, Host2 string
	// Rule is what decided the host2 name: "f1f2", "automap" or
	// "translate".
	Rule string
	// Action is "exists", "create" (a dry run or a failed creation),
	// "created", or "delete" for a folder --delete2folders or
	// --delete1emptyfolders removes (only Host1 or Host2 is set then).
	Action string
	Skip   string
}

func (e *engine) result() *Result {
	var c report.Counters
	c.FoldersWanted = len(e.plan.folders)
	c.ReconnectHost1 = e.servers[host1].reconnects.Load()
	c.ReconnectHost2 = e.servers[host2].reconnects.Load()
	if x := e.exec; x != nil {
		c.FoldersSynced = int(x.stats.foldersDone.Load())
		c.Transferred = x.stats.transferred.Load()
		c.BytesTransferred = x.stats.bytes.Load()
		c.Biggest = x.stats.biggest.Load()
		c.DeletedHost1 = x.stats.deleted[host1].Load()
		c.DeletedHost2 = x.stats.deleted[host2].Load()
	}
	c.LabelsSynced, c.LabelsSet, c.LabelsStores = e.labels.ran, e.labels.set, e.labels.stores
	// The identities of the whole account, as sorted 64-bit hashes of the
	// keys (keyHash; 8 bytes a message, where a million keys in a map of
	// strings took 50 MB): they only count messages, and a collision
	// (about 1 in 10^7 for a million messages) can only miscount by one.
	// Each folder's set is settled: the account's are counted by merging
	// them (unionOf), not copied into one set of the whole account.
	var sets1, sets2 []hashSet
	res := &Result{Errors: &e.errs, Dry: e.opts.Dry}
	var start1, start2, final2 report.Diff
	for _, fp := range e.plan.folders {
		fr := e.runOf(fp)
		on1, on2 := &fp.on[host1], &fp.on[host2]
		action, skip := "exists", fp.skip
		switch {
		case fr != nil && fr.created:
			action = "created"
		case fp.create:
			action = "create"
		}
		if fr != nil {
			skip = fr.skipReason()
		}
		res.Folders = append(res.Folders, FolderResult{Host1: fp.h1, Host2: fp.h2, Rule: fp.rule, Action: action, Skip: skip})
		c.DupHost1 += int64(on1.dup)
		c.DupHost2 += int64(on2.dup)
		c.VoidHost1 += int64(on1.void)
		c.VoidHost2 += int64(on2.void)
		c.Skipped += int64(fp.alreadyThere + on1.dup)
		c.BytesSkipped += fp.bytesAlready
		fp.atPlan.addTo(&c)
		c.CrossDupHost2 += int64(fp.crossDup)
		c.Skipped += int64(fp.crossDup)
		var done []uint64
		var copied int
		var after *after2
		if fr != nil {
			fr.atCopy.addTo(&c)
			fr.mu.Lock()
			c.Rewritten += int64(fr.rewritten)
			copied = fr.copiedCount()
			after = fr.after
			if after == nil || fp.byUID {
				done = slices.Clone(fr.done)
			}
			fr.mu.Unlock()
		}
		start1.Messages += int64(on1.count)
		start1.Bytes += on1.size
		start2.Messages += int64(on2.count)
		start2.Bytes += on2.size
		end2 := e.host2AtEnd(fp, false)
		final2.Messages += end2.Messages
		final2.Bytes += end2.Bytes
		if e.opts.Dry {
			copies, del1, del2 := fp.dryFigures(&e.opts)
			c.WouldTransfer += int64(copies)
			if e.plan.scope == scopeAll && fp.skip == "" {
				c.DeletedHost1 += int64(del1)
				c.DeletedHost2 += int64(del2)
			}
		}
		sets1 = append(sets1, on1.settled())
		var dupEnd, dupNew int64
		switch {
		case after != nil && !fp.byUID:
			// host2 as read again at the end. Under --useuid keys are the
			// state's UID map, which knows this run's copies only once
			// saved: the expected keys are used then.
			sets2 = append(sets2, after.ids)
			dupEnd, dupNew = int64(len(after.dups)), int64(len(after.fresh))
		case len(done) > 0:
			sets2 = append(sets2, append(on2.appendHashes(nil), done...).settle())
		default:
			sets2 = append(sets2, on2.settled())
		}
		c.DupHost2End += dupEnd
		c.DupHost2New += dupNew
		res.Snapshot.Folders = append(res.Snapshot.Folders, report.FolderReport{
			Host1: fp.h1, Host2: fp.h2,
			Transferred: int64(copied), Skipped: int64(fp.alreadyThere + on1.dup),
			DupHost1: int64(on1.dup), DupHost2: int64(on2.dup), DupHost2End: dupEnd, DupHost2New: dupNew,
			VoidHost1: int64(on1.void), VoidHost2: int64(on2.void),
		})
	}
	c.IdentifiedHost1, c.IdentifiedHost2, c.In1Not2, c.In2Not1 = compareUnions(sets1, sets2)
	for s, names := range e.plan.deleted {
		for _, n := range names {
			fr := FolderResult{Action: "delete", Rule: [2]string{"delete1emptyfolders", "delete2folders"}[s]}
			if side(s) == host1 {
				fr.Host1 = n
			} else {
				fr.Host2 = n
			}
			res.Folders = append(res.Folders, fr)
		}
	}
	res.Counters = c
	res.SetAside = e.poison.list()
	res.Start, res.End = e.start, time.Now()
	res.MemStartMiB = e.memStart
	if e.opts.FolderSizes && !e.opts.JustFolders {
		res.StartDiff = &report.Diff{Messages: start2.Messages - start1.Messages, Bytes: start2.Bytes - start1.Bytes}
		if e.opts.FolderSizesAtEnd && !e.opts.Dry {
			res.FinalDiff = &report.Diff{
				Messages: final2.Messages - start1.Messages,
				Bytes:    final2.Bytes - start1.Bytes,
			}
		}
	}
	return res
}

// host2AtEnd is the size of fp's host2 folder: at the start (before),
// else as read again at the end (measure2), else, for a folder the run
// did not change or could not read again, the start plus what was copied.
func (e *engine) host2AtEnd(fp *folderPlan, before bool) report.SideSize {
	on2 := &fp.on[host2]
	s := report.SideSize{Exists: !fp.create, Messages: int64(on2.count), Bytes: on2.size, Biggest: on2.big}
	fr := e.runOf(fp)
	if before || fr == nil {
		return s
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if a := fr.after; a != nil {
		return report.SideSize{Exists: true, Messages: a.count, Bytes: a.size, Biggest: a.big}
	}
	if fr.created || fr.copiedCount() > 0 {
		s.Exists = true
	}
	s.Messages += int64(fr.copiedCount())
	s.Bytes += fr.doneBytes
	s.Biggest = max(s.Biggest, fr.doneBig)
	return s
}

// printSizes prints imapsync's folder sizes table. The sizes come from
// the analysis (SELECT and the metadata FETCH); after the sync, host2's
// come from host2 read again (host2AtEnd).
func (e *engine) printSizes(before bool) {
	t0 := time.Now()
	var sizes []report.FolderSize
	for _, fp := range e.plan.folders {
		if !fp.analyzed {
			continue
		}
		fs := report.FolderSize{Name1: mailbox.Display(fp.h1), Name2: mailbox.Display(fp.h2)}
		fs.Host1 = report.SideSize{Exists: true, Messages: int64(fp.on[host1].count), Bytes: fp.on[host1].size, Biggest: fp.on[host1].big}
		fs.Host2 = e.host2AtEnd(fp, before)
		sizes = append(sizes, fs)
	}
	totals := report.SumFolderSizes(sizes)
	totals.Elapsed = time.Since(t0)
	e.mu.Lock()
	defer e.mu.Unlock()
	report.WriteFolderSizes(e.out, sizes, totals, before)
}

// hashSet is a set of key hashes: appended to, then settled.
type hashSet []uint64

// settle sorts the set and drops repeated hashes.
func (h hashSet) settle() hashSet {
	slices.Sort(h)
	return slices.Compact(h)
}

// notIn counts the hashes of settled h that settled o lacks.
func (h hashSet) notIn(o hashSet) (n int64) {
	j := 0
	for _, x := range h {
		for j < len(o) && o[j] < x {
			j++
		}
		if j == len(o) || o[j] != x {
			n++
		}
	}
	return n
}

// unionOf walks the union of settled sets in ascending order, each hash
// once, without building it: a merge of the sets' heads.
type unionOf struct {
	sets headHeap // the sets not yet walked through
}

func newUnion(sets []hashSet) *unionOf {
	u := &unionOf{}
	for _, s := range sets {
		if len(s) > 0 {
			u.sets = append(u.sets, s)
		}
	}
	heap.Init(&u.sets)
	return u
}

// next returns the next hash of the union; ok is false at its end.
func (u *unionOf) next() (h uint64, ok bool) {
	if len(u.sets) == 0 {
		return 0, false
	}
	h = u.sets[0][0]
	for len(u.sets) > 0 && u.sets[0][0] == h {
		if u.sets[0] = u.sets[0][1:]; len(u.sets[0]) == 0 {
			heap.Pop(&u.sets)
		} else {
			heap.Fix(&u.sets, 0)
		}
	}
	return h, true
}

// headHeap is a container/heap of non-empty settled sets, by their first
// (lowest) hash.
type headHeap []hashSet

func (h headHeap) Len() int           { return len(h) }
func (h headHeap) Less(i, j int) bool { return h[i][0] < h[j][0] }
func (h headHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *headHeap) Push(x any)        { *h = append(*h, x.(hashSet)) }
func (h *headHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// compareUnions counts the union of sets1, that of sets2 (all settled),
// and the hashes of each union that the other lacks.
func compareUnions(sets1, sets2 []hashSet) (n1, n2, in1Not2, in2Not1 int64) {
	u1, u2 := newUnion(sets1), newUnion(sets2)
	h1, ok1 := u1.next()
	h2, ok2 := u2.next()
	for ok1 || ok2 {
		switch {
		case ok1 && (!ok2 || h1 < h2):
			n1++
			in1Not2++
			h1, ok1 = u1.next()
		case ok2 && (!ok1 || h2 < h1):
			n2++
			in2Not1++
			h2, ok2 = u2.next()
		default: // in both
			n1++
			n2++
			h1, ok1 = u1.next()
			h2, ok2 = u2.next()
		}
	}
	return n1, n2, in1Not2, in2Not1
}
