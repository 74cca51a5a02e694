package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"unsafe"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/state"
)

// folderStatus is what STATUS tells about a folder, for the state.
type folderStatus struct {
	state.Status
	validity uint32
	size     int64 // -1 when the server has no STATUS=SIZE
}

func statusOf(c *imapclient.Client, name string) (folderStatus, error) {
	d, err := c.Status(name, statusOptions(c)).Wait()
	if err != nil {
		return folderStatus{}, err
	}
	return statusFrom(d), nil
}

// statusOptions asks for what the state compares, and the size when the
// server can tell it.
func statusOptions(c *imapclient.Client) *imap.StatusOptions {
	caps := c.Caps()
	return &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true,
		HighestModSeq: caps.Has(imap.CapCondStore),
		Size:          caps.Has(imap.CapStatusSize) || caps.Has(imap.CapIMAP4rev2)}
}

func statusFrom(d *imap.StatusData) folderStatus {
	fs := folderStatus{validity: d.UIDValidity, size: -1}
	fs.UIDNext, fs.HighestModSeq = uint32(d.UIDNext), d.HighestModSeq
	if d.NumMessages != nil {
		fs.Messages = *d.NumMessages
	}
	if d.Size != nil {
		fs.size = *d.Size
	}
	return fs
}

// pairOf names fp's folder pair in the state.
func (e *engine) pairOf(fp *folderPlan, v1, v2 uint32) state.FolderPair {
	return state.FolderPair{
		Host1: e.servers[host1].cfg.Host, User1: e.servers[host1].cfg.User, Folder1: fp.h1, Validity1: v1,
		Host2: e.servers[host2].cfg.Host, User2: e.servers[host2].cfg.User, Folder2: fp.h2, Validity2: v2,
		Tag: e.stateTag(),
	}
}

// stateTag is the fingerprint of the options that decide what a folder's
// plan is, given both folders: identity, duplicates, flags, --delete1,
// size limit. --delete2 and --delete2duplicates are not in it: with them
// the state stands in for a folder only when every host2 message is in
// it, so that there is nothing on host2 to delete (deleteNothing2). A status saved by a run with other such options does not
// let this run skip the folder (state.FolderPair.Tag).
func (e *engine) stateTag() uint64 {
	o := &e.opts
	h := fnv.New64a()
	id := o.Identity
	skip := ""
	if id.SkipHeader != nil {
		skip = id.SkipHeader.String()
	}
	fmt.Fprintf(h, "%q %q %v %v|%v %v %v %v|%v|%d", id.UseHeaders, skip, id.MessageIDNoDomain, id.NoSkipSize,
		o.AddHeader, o.SyncDuplicates, o.UseUID, o.ResyncFlags, o.Delete1, o.AppendLimit)
	return h.Sum64()
}

// deleteNothing2 reports whether, under --delete2 or --delete2duplicates,
// the state proves host2's folder holds nothing to delete: every one of
// its messages is in the state (no extra, no duplicate): mappings, the
// state's number of messages (FolderState.Len), is host2's MESSAGES.
func (e *engine) deleteNothing2(mappings int, st2 state.Status) bool {
	return !(e.opts.Delete2 || e.opts.Delete2Duplicates) || st2.Messages == uint32(mappings)
}

// stateShortcuts reports whether the state may stand in for reading a
// folder (skip it as unchanged, read only its changes): not when message
// hooks or a message selection (--search, --maxage, which move with time)
// decide what is copied, nor with --debugflags, which prints every message.
func (e *engine) stateShortcuts() bool {
	o := &e.opts
	return !e.hooks.any() && !o.DebugFlags && !o.MessageSelection.active(host1) && !o.MessageSelection.active(host2)
}

// loadState reads both folders' STATUS and the stored state of the pair
// (see useState).
func (e *engine) loadState(ctx context.Context, w *worker, fp *folderPlan) (unchanged bool, err error) {
	var st1, st2 folderStatus
	if err := w.do(ctx, host1, func(c *conn.Conn) (err error) {
		st1, err = statusOf(c.Client, fp.h1)
		return err
	}); err != nil {
		return false, &folderError{stage: "select1", err: err}
	}
	if !fp.create {
		if err := w.do(ctx, host2, func(c *conn.Conn) (err error) {
			st2, err = statusOf(c.Client, fp.h2)
			return err
		}); err != nil {
			return false, &folderError{stage: "select2", err: err}
		}
	}
	return e.useState(fp, st1, st2), nil
}

// statusBatch is the STATUS of each of names on side s, sent in batches
// of pipelined commands: one round trip for many folders. errs[i] is the
// error of names[i] (a folder the server refuses); err is for the
// connection.
func (e *engine) statusBatch(ctx context.Context, w *worker, s side, names []string) (out []folderStatus, errs []error, err error) {
	const batch = 64
	err = w.do(ctx, s, func(c *conn.Conn) error {
		out, errs = make([]folderStatus, len(names)), make([]error, len(names))
		opts := statusOptions(c.Client)
		for start := 0; start < len(names); start += batch {
			end := min(start+batch, len(names))
			cmds := make([]*imapclient.StatusCommand, 0, end-start)
			for _, n := range names[start:end] {
				cmds = append(cmds, c.Status(n, opts))
			}
			for i, cmd := range cmds {
				d, err := cmd.Wait()
				if err != nil {
					if !alive(c) {
						return err
					}
					errs[start+i] = err
					continue
				}
				out[start+i] = statusFrom(d)
			}
		}
		return nil
	})
	return out, errs, err
}

// loadStates reads the STATUS of every folder of todo on both sides,
// pipelined (statusBatch, both sides at once), and applies the state to
// each (useState). A STATUS that came with the LIST (LIST-STATUS,
// sideInfo.status) is used instead of asking again, once. It returns the
// folders that still need an analysis; a folder whose STATUS failed is
// among them, without its state loaded, so that the analysis reports the
// failure.
func (e *engine) loadStates(ctx context.Context, main *worker, todo []*folderPlan) (rest []*folderPlan) {
	var listed [2]map[string]folderStatus
	for _, s := range []side{host1, host2} {
		if e.info[s] != nil {
			listed[s], e.info[s].status = e.info[s].status, nil
		}
	}
	// names[s] are the folders to ask STATUS of; at[s][name] is their
	// index there.
	var names [2][]string
	var at [2]map[string]int
	ask := func(s side, name string) {
		if _, ok := listed[s][name]; ok {
			return
		}
		if at[s] == nil {
			at[s] = map[string]int{}
		}
		if _, ok := at[s][name]; !ok {
			at[s][name] = len(names[s])
			names[s] = append(names[s], name)
		}
	}
	for _, fp := range todo {
		ask(host1, fp.h1)
		if !fp.create {
			ask(host2, fp.h2)
		}
	}
	var st [2][]folderStatus
	var errs [2][]error
	var err [2]error
	var wg sync.WaitGroup
	for _, s := range []side{host1, host2} {
		if len(names[s]) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st[s], errs[s], err[s] = e.statusBatch(ctx, main, s, names[s])
		}()
	}
	wg.Wait()
	if err[host1] != nil || err[host2] != nil {
		return todo // each folder's analysis tries again, and reports
	}
	// status is the STATUS of name on side s; ok is false when it failed.
	status := func(s side, name string) (folderStatus, bool) {
		if fs, ok := listed[s][name]; ok {
			return fs, true
		}
		i := at[s][name]
		return st[s][i], errs[s][i] == nil
	}
	for _, fp := range todo {
		s1, ok := status(host1, fp.h1)
		var s2 folderStatus
		if ok && !fp.create {
			s2, ok = status(host2, fp.h2)
		}
		if !ok {
			rest = append(rest, fp)
			continue
		}
		fp.stateLoaded = true
		if e.useState(fp, s1, s2) {
			fp.analyzed = true
			continue
		}
		rest = append(rest, fp)
	}
	return rest
}

// useState applies the stored state of fp's pair given both folders'
// STATUS (st2 is zero for a folder the plan creates). It reports whether
// the folder is unchanged on both sides since the last complete sync, in
// which case the analysis is skipped: counts come from STATUS and the
// identified messages from the state. When only flags changed
// (CONDSTORE), it sets fp.flagsOnly: the analysis then reads just the
// changed flags (changedFlags).
func (e *engine) useState(fp *folderPlan, st1, st2 folderStatus) (unchanged bool) {
	fp.status1, fp.validity1 = st1.Status, st1.validity
	fp.size1, fp.size2, fp.messages2 = st1.size, st2.size, st2.Messages
	if fp.create {
		return false // saveState pairs it once the folder exists
	}
	if st1.validity == 0 || st2.validity == 0 {
		return false // a server without UIDVALIDITY: no state
	}
	fp.pair = e.pairOf(fp, st1.validity, st2.validity)
	if ids, n, ok := e.unchangedBySummary(fp, st1, st2); ok {
		fp.unchanged = true
		e.settledByState(fp, st1, st2, n, nil, ids)
		return true
	}
	fs, err := e.opts.State.Folder(fp.pair)
	if err != nil {
		e.say("Warning: sync state of %s unusable: %v", fp.h1, err)
		return false
	}
	if fs.Invalidated {
		e.say("Host1: folder [%s]: UIDVALIDITY changed since the last run, the saved state is dropped and headers are compared instead", fp.h1)
	}
	fp.state = fs
	if fs.Invalidated || !e.stateShortcuts() {
		return false
	}
	switch {
	case fs.Unchanged(st1.Status, st2.Status) && e.flagsUnchangedKnown(fs, st1.Status, st2.Status) && e.deleteNothing2(fs.Len(), st2.Status):
		fp.unchanged = true
	case onlyFlagsChanged(fs, st1.Status, st2.Status) && e.flagsFastPath():
		fp.flagsOnly = true
	case e.incrementalOK(fs, st1.Status, st2.Status):
		fp.incremental = true
		return false
	default:
		return false
	}
	// Both sides hold the state's keys: one set, shared (nothing writes
	// to the key sets of a folder the state settles). Only the report
	// reads them, unless another folder's plan compares key strings: as
	// hashes, 8 bytes a message (a million keys in maps took 60 MB).
	var keys map[string]struct{}
	var ids hashSet
	if e.crossFolderKeys() {
		keys = make(map[string]struct{}, fs.Len())
		fs.Range(func(_, _ uint32, key string) bool {
			keys[key] = struct{}{}
			return true
		})
	} else {
		ids = make(hashSet, 0, fs.Len())
		fs.Range(func(_, _ uint32, key string) bool {
			ids = append(ids, keyHash(key))
			return true
		})
		ids = ids.settle()
	}
	e.settledByState(fp, st1, st2, fs.Len(), keys, ids)
	return fp.unchanged
}

// settledByState fills what the analysis would have found in fp, a
// folder the state settles (unchanged, or with only flags to read): the
// counts and sizes from STATUS, and the n messages of the state, with
// their keys (under crossFolderKeys) or their settled hashes, on both
// sides.
func (e *engine) settledByState(fp *folderPlan, st1, st2 folderStatus, n int, keys map[string]struct{}, ids hashSet) {
	fp.on[host1].count, fp.on[host2].count = st1.Messages, st2.Messages
	fp.inSelection1 = int(st1.Messages)
	fp.on[host1].size, fp.on[host2].size = max(st1.size, 0), max(st2.size, 0)
	if keys != nil {
		fp.on[host1].keys, fp.on[host2].keys = keys, keys
	} else {
		fp.on[host1].ids, fp.on[host2].ids = ids, ids
	}
	fp.on[host1].selected, fp.on[host2].selected = n, n
	fp.alreadyThere = n
}

// unchangedBySummary settles, when it can, an unchanged folder from the
// state's summary (state.Store.Scan): the statuses, and the hashes of the
// keys read in passing, without loading the mappings (Store.Folder copies
// every key, a megabyte for 10,000 messages, the bulk of a rerun's work
// when nothing changed). It reports ok when fp is unchanged as useState
// decides it; otherwise nothing is set, and useState loads the folder's
// state. fp.state stays nil: nothing reads the mappings of an unchanged
// folder.
func (e *engine) unchangedBySummary(fp *folderPlan, st1, st2 folderStatus) (ids hashSet, n int, ok bool) {
	if !e.stateShortcuts() || e.crossFolderKeys() {
		return nil, 0, false
	}
	asState := func(sum state.Summary) *state.FolderState {
		return &state.FolderState{HasStatus: sum.HasStatus, Status1: sum.Status1, Status2: sum.Status2}
	}
	sum, ok, err := e.opts.State.Scan(fp.pair, func(sum state.Summary) bool {
		fs := asState(sum)
		if !fs.Unchanged(st1.Status, st2.Status) || !e.flagsUnchangedKnown(fs, st1.Status, st2.Status) {
			return false
		}
		ids = make(hashSet, 0, st1.Messages)
		return true
	}, func(_, _ uint32, key []byte) {
		ids = append(ids, keyHashBytes(key))
	})
	// deleteNothing2 needs the number of mappings: known once scanned.
	if err != nil || !ok || !e.deleteNothing2(sum.Len, st2.Status) {
		return nil, 0, false
	}
	return ids.settle(), sum.Len, true
}

// keyHashBytes is keyHash of a key read from the state file, without
// copying it.
func keyHashBytes(k []byte) uint64 {
	if len(k) == 0 {
		return keyHash("")
	}
	return keyHash(unsafe.String(&k[0], len(k)))
}

// uidKey is the identity of a message under --useuid: its host1 UID.
func uidKey(uid imap.UID) string { return "uid:" + strconv.FormatUint(uint64(uid), 10) }

// saveState records what the run established for fp: every host1 message
// known to be on host2 (matched at analysis or copied with an APPENDUID),
// and, when the whole folder went through (finished, without error), both
// statuses, so that the next run can skip the folder if nothing changes.
//
// Its writes go to sw, which commits them with those of the other
// folders (stateWriter): the status, set last, is written by the commit
// that writes the folder's last mappings, or after them.
func (e *engine) saveState(ctx context.Context, w *worker, fp *folderRun, finished bool, sw *stateWriter) {
	if fp.validity1 == 0 || fp.unchanged {
		return
	}
	var st2 folderStatus
	var err error
	if fp.status2 != nil { // read already, with the others (readStatus2)
		st2 = *fp.status2
	} else {
		err = w.do(ctx, host2, func(c *conn.Conn) (err error) {
			if w.sel[host2] != "" {
				// STATUS on the mailbox a connection has selected may answer
				// from that connection's view; leave it first (UNSELECT and
				// STATUS go in one round trip: the server answers them in
				// order).
				unsel := c.Unselect()
				status := c.Status(fp.h2, statusOptions(c.Client))
				uerr := unsel.Wait()
				d, err := status.Wait()
				if uerr != nil {
					return uerr
				}
				w.sel[host2] = ""
				if err != nil {
					return err
				}
				st2 = statusFrom(d)
				return nil
			}
			st2, err = statusOf(c.Client, fp.h2)
			return err
		})
	}
	if err != nil || st2.validity == 0 || (fp.pair.Validity2 != 0 && st2.validity != fp.pair.Validity2) {
		return // host2's folder changed under us: keep nothing
	}
	pair := fp.pair
	if pair.Validity1 == 0 { // created by this run
		pair = e.pairOf(fp.folderPlan, fp.validity1, st2.validity)
	}
	b := sw.batch(pair)
	for _, uid1 := range fp.dropped {
		b.Delete(uid1) // expunged on host1 (incremental analysis)
		sw.wrote()
	}
	if fp.listed {
		// The analysis listed both folders: mappings of messages gone from
		// either side (expunged on host1, deleted on host2) are dropped, so
		// the state does not grow with every message ever synced.
		for _, uid1 := range fp.state.Prune(hasUID(fp.all[host1]), hasUID(fp.all[host2])) {
			b.Delete(uid1)
			sw.wrote()
		}
	}
	fp.mu.Lock()
	matched, copied := fp.matched, fp.copiedPairs
	complete := finished && fp.atPlan.failures() == 0 && fp.atCopy.failures() == 0
	fp.mu.Unlock()
	for _, pairs := range [][]matchedPair{matched, copied} {
		for _, m := range pairs {
			b.Put(uint32(m.uid1), uint32(m.uid2), fp.keyString(m.uid1, m.key, m.odd))
			sw.wrote()
		}
	}
	if complete {
		b.SetStatus(fp.status1, st2.Status)
	}
}

// stateChunk is the most state writes one transaction carries: bbolt
// holds a transaction's writes (its nodes, the keys and values, then the
// pages it spills) until the commit, some 200 bytes a write, and a group
// of 100,000 copies in one transaction added 20 MB to the live heap at
// the end of each group. A file sync every 16,384 writes costs little
// beside the copies they record.
var stateChunk = 16384

// stateCommitted, when set (by tests), is called after each commit of a
// stateWriter, with its error: a test can copy the state file there to
// see what a crash right after that commit would leave.
var stateCommitted func(error)

// stateWriter commits the state writes of the folders of a plan (or a
// group): in one transaction (one file sync) when they are few, else in
// transactions of about stateChunk writes. Splitting keeps the promises
// of the state: a mapping is written only once its copy is confirmed, and
// a folder's status, set last, is written with or after its last
// mappings; any commit that writes a folder's mappings without its status
// clears the stored status (state.Batch.Commit), so a run stopped between
// two commits leaves the folder to be compared again, never taken as
// unchanged.
type stateWriter struct {
	e       *engine
	batches []*state.Batch // not yet committed, or being filled
	ops     int            // writes since the last commit
}

// batch starts the writes of pair p.
func (sw *stateWriter) batch(p state.FolderPair) *state.Batch {
	b := sw.e.opts.State.Batch(p)
	sw.batches = append(sw.batches, b)
	return b
}

// wrote counts one write, and commits every batch once stateChunk are
// pending; the batch being filled stays, to carry the next writes.
func (sw *stateWriter) wrote() {
	sw.ops++
	if sw.ops < stateChunk {
		return
	}
	sw.flush()
	if n := len(sw.batches); n > 1 {
		sw.batches = append(sw.batches[:0], sw.batches[n-1])
	}
}

// commit commits what is pending: at the end of the plan (or group).
func (sw *stateWriter) commit() {
	sw.flush()
	sw.batches = nil
}

func (sw *stateWriter) flush() {
	sw.ops = 0
	err := sw.e.opts.State.CommitAll(sw.batches...)
	if err != nil {
		sw.e.say("Warning: could not save the sync state: %v", err)
	}
	if stateCommitted != nil {
		stateCommitted(err)
	}
}

// hasUID returns a membership test for uids, sorted in ascending order.
func hasUID(uids []imap.UID) func(uint32) bool {
	return func(u uint32) bool {
		_, ok := slices.BinarySearch(uids, imap.UID(u))
		return ok
	}
}

// matchedPair is a host1 message and its copy on host2, with the host1
// message's header key (folderPlan.keyString gives its string; odd as in
// copyItem.oddKey).
type matchedPair struct {
	uid1, uid2 imap.UID
	key        ikey
	odd        bool
}
