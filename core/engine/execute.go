package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/journal"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// execution is the progress of carrying out a plan.
type execution struct {
	loopAt time.Time // when the message loop began, for the rates
	// all are the runs of every folder of the plan, in plan order;
	// folders those of the folders being carried out (all of them, or
	// the current group's).
	all, folders []*folderRun
	stats        counters
	// planned and plannedBytes are what the groups carried out so far
	// copy, for Progress.Start.
	planned      int
	plannedBytes int64
}

// counters are updated by many goroutines.
type counters struct {
	transferred  atomic.Int64
	bytes        atomic.Int64
	biggest      atomic.Int64
	foldersDone  atomic.Int64
	deleted      [2]atomic.Int64
	toCopy       atomic.Int64 // planned copies not yet done (for the ETA)
	exitWhenOver atomic.Bool
	sent         atomic.Int64 // bytes written to host2, for --exitwhenover
}

// folderRun is the progress of one folder's part of the plan.
type folderRun struct {
	*folderPlan
	// created is set once the host2 folder was created by this run;
	// notCreated when creating it failed, which leaves the folder out.
	created, notCreated bool
	// atCopy counts the copy-time hook decisions and every message that
	// could not be copied or flagged.
	atCopy tally

	mu sync.Mutex // guards the fields below
	// done are the hashes (keyHash) of the keys copied: the report only
	// counts them, and a hash takes 8 bytes where a key took 40. Once the
	// host2 folder was read again (after), the report counts host2 from
	// there: compact then drops the hashes and keeps their number in
	// doneDropped (copiedCount is the number of copies).
	done        []uint64
	doneDropped int
	doneBytes   int64
	doneBig     int64
	rewritten   int
	// copiedPairs are the copies host2 gave a UID for (APPENDUID), saved
	// in the state; confirmed1 are their host1 UIDs. unconfirmed1 were
	// copied without one and are looked up on host2 before --delete1.
	copiedPairs  []matchedPair
	confirmed1   []imap.UID
	unconfirmed1 []copyItem
	// appendValidity is the UIDVALIDITY of the APPENDUIDs of copiedPairs.
	appendValidity validityOf
	// after is the host2 folder as read again at the end (measure2), nil
	// when it was not.
	after *after2
	// status2 is host2's STATUS of the folder read for saving the state
	// once the copies and deletions are done (readStatus2), nil when it
	// was not read: saveState then reads it.
	status2 *folderStatus

	// storedBatch is set once storeBatch set the folder's flags (or
	// reported their failure); pre are its bodies fetched ahead by
	// prefetch (guarded by mu).
	storedBatch bool
	pre         map[imap.UID]prefetched
	// ahead is the journal's record of the keys of pre (aheadKeys), made
	// before any of them was sent (0: none); aheadDoubt is set once an
	// APPEND of those keys has an unknown outcome: the record then stays
	// unsettled.
	ahead      journal.Batch
	aheadKeys  map[string]bool
	aheadDoubt atomic.Bool

	// settled is closed once the folder part of the plan has been carried
	// out for it (created, or found it could not be: notCreated), which
	// its APPENDs wait for.
	settled chan struct{}

	// jobsLeft counts the folder's execution jobs down as they finish;
	// started is set by the first job to begin (several may start at
	// once on different workers).
	jobsLeft atomic.Int32
	started  atomic.Bool
}

// copiedCount is the number of messages copied to fr's folder (done);
// the caller holds fr.mu.
func (fr *folderRun) copiedCount() int { return len(fr.done) + fr.doneDropped }

// skipReason is why the folder is left out of the execution ("": it is
// not).
func (fr *folderRun) skipReason() string {
	if fr.notCreated {
		return "could not be created on host2"
	}
	return fr.skip
}

// runOf returns the progress of fp, nil before Execute.
func (e *engine) runOf(fp *folderPlan) *folderRun {
	if e.exec == nil {
		return nil
	}
	return e.exec.all[fp.index-1]
}

// Execute carries out the plan: it creates and subscribes host2 folders,
// sets flags, copies messages, deletes what the deletion options remove
// and saves the state; then it closes the connections. It returns the
// run's result; the error is non-nil only for a plan made with
// Options.Dry, which is never carried out.
func (p *Plan) Execute(ctx context.Context) (*Result, error) {
	defer p.Close()
	e := p.e
	if e.opts.Dry {
		return nil, errors.New("engine: a plan made with Options.Dry cannot be executed")
	}
	ctx, cancel := e.execContext(ctx)
	defer cancel()
	if err := e.beginExecute(); err != nil {
		return nil, err
	}
	e.executePart(ctx, p.main)
	return e.endExecute(ctx), nil
}

// execContext is the context of the execution: cancelled on return, or
// once --errorsmax is reached (at once if it was during the analysis).
func (e *engine) execContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	e.cancel = cancel
	e.mu.Unlock()
	if e.stopped.Load() {
		cancel() // --errorsmax was reached during the analysis
	}
	return ctx, cancel
}

// beginExecute sets up the execution of every folder of the plan.
func (e *engine) beginExecute() error {
	e.exec = &execution{}
	in, err := openInflight(e.journal)
	if err != nil {
		return err
	}
	e.inflight = in
	for _, fp := range e.plan.folders {
		e.exec.all = append(e.exec.all, &folderRun{folderPlan: fp, settled: make(chan struct{})})
	}
	e.exec.folders = e.exec.all
	return nil
}

// executePart carries out the plan of the folders of e.plan.folders (all
// of them, or a group's): folders, then messages, then host2 is read
// again for the report.
func (e *engine) executePart(ctx context.Context, main *worker) {
	e.exec.folders = e.exec.folders[:0:0]
	for _, fp := range e.plan.folders {
		fr := e.runOf(fp)
		if fr.early != nil {
			// Bodies read with the headers (earlyBodies).
			fr.mu.Lock()
			fr.pre, fr.early = fr.early, nil
			fr.mu.Unlock()
		}
		e.exec.folders = append(e.exec.folders, fr)
	}
	switch e.plan.scope {
	case scopeFolders:
		e.executeFolders(ctx, main)
	case scopeAll:
		// A small plan (this group's) is carried out on main's
		// connections; the next group is analysed with every worker.
		e.sizePool(e.smallPlan())
		defer e.sizePool(false)
		// The Appenders log in to host2 while the folders are created.
		e.warmAppenders(ctx, main, e.copyJobs())
		if e.overlapFolders() {
			// The other workers begin fetching bodies while main creates
			// the folders; each folder's first APPEND waits for it.
			e.execute(ctx, main, func() { e.executeFolders(ctx, main) })
		} else {
			e.executeFolders(ctx, main)
			e.execute(ctx, main, nil)
		}
		e.syncLabels(ctx)
		if ctx.Err() == nil {
			// After a stop the report keeps the figures the run expects.
			e.measure2(ctx, main)
		}
	}
}

// endExecute ends the execution of the whole plan (every group) and
// returns the run's result.
func (e *engine) endExecute(ctx context.Context) *Result {
	e.exec.folders = e.exec.all
	if e.plan.scope == scopeAll && e.opts.FolderSizesAtEnd {
		e.printSizes(false)
	}
	e.inflight.close(ctx.Err() == nil && e.doubts.complete())
	return e.result()
}

// overlapFolders tells whether the folder part of the plan may run
// beside the first copy jobs: only when it creates and subscribes folders
// and nothing else (no folder deletion, no ACL, no --folderfirst or
// --folderlast order) and no connection bound makes the workers wait for
// one another.
func (e *engine) overlapFolders() bool {
	o := &e.opts
	return len(e.plan.deleted[host1]) == 0 && len(e.plan.deleted[host2]) == 0 && !o.SyncACLs &&
		len(o.Selection.FolderFirst) == 0 && len(o.Selection.FolderLast) == 0 && e.turnLimit() == 0
}

// waitSettled waits until fr's folder part is carried out (see settled),
// and reports whether its host2 folder is there to copy into.
func (e *engine) waitSettled(ctx context.Context, fr *folderRun) bool {
	if fr.settled == nil {
		return !fr.notCreated
	}
	select {
	case <-fr.settled:
		return !fr.notCreated
	case <-ctx.Done():
		return false
	}
}

// jobMsgs is the most messages of one copy job: larger folders are
// split in chunks that several workers share.
const jobMsgs = 1000

// copyJobs counts the copy jobs of the plan (an estimate made before the
// folders are created: a folder that cannot be created has none).
func (e *engine) copyJobs() int {
	n := 0
	for _, fp := range e.plan.folders {
		if fp.skip == "" && fp.analyzed {
			n += (len(fp.copies) + jobMsgs - 1) / jobMsgs
		}
	}
	return n
}

// executeFolders carries out the folder part of the plan: missing host2
// folders are created (parents first), ACLs copied, subscriptions added,
// then --delete2folders and --delete1emptyfolders run.
func (e *engine) executeFolders(ctx context.Context, w *worker) {
	// Every CREATE, then every SUBSCRIBE, is sent at once, in one round
	// trip: over a WAN link each folder would otherwise cost a round
	// trip or two.
	var names, subs []string
	subOf := map[*folderRun]int{} // index in subs
	seen := map[string]bool{}
	for _, fr := range e.exec.folders {
		if fr.skip != "" {
			continue
		}
		if fr.subscribe {
			subOf[fr] = len(subs)
			subs = append(subs, fr.h2)
		}
		if !fr.create {
			continue
		}
		for _, name := range append(fr.parents, fr.h2) {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	created := map[string]error{}
	var subErrs []error
	if len(names) > 0 || len(subs) > 0 {
		var errs []error
		errs, subErrs = e.changes.createMany(ctx, w, names, subs)
		for i, err := range errs {
			created[names[i]] = err
		}
	}
	var subscribe []*folderRun
	defer func() {
		for _, fr := range e.exec.folders {
			if fr.settled != nil {
				close(fr.settled)
			}
		}
	}()
	for _, fr := range e.exec.folders {
		if fr.skip != "" {
			continue
		}
		if fr.create {
			for _, name := range append(fr.parents, fr.h2) {
				e.say("Creating folder %s on host2", mailbox.Display(name))
				if err := created[name]; err != nil {
					e.fail(classOf(report.ClassCreate, err), fmt.Sprintf("Could not create folder %s from %s: %v", mailbox.Display(name), mailbox.Display(fr.h1), err))
					if name == fr.h2 {
						fr.notCreated = true
					}
				}
			}
			fr.created = !fr.notCreated
		}
		if fr.notCreated {
			continue
		}
		if e.opts.SyncACLs {
			e.syncACLs(ctx, w, fr.folderPlan)
		}
		if fr.subscribe {
			subscribe = append(subscribe, fr)
		}
	}
	for _, fr := range subscribe {
		e.say("Host2: Subscribing to folder %s", fr.h2)
		if err := subErrs[subOf[fr]]; err != nil {
			e.say("Host2: could not subscribe to folder %s: %v", fr.h2, err)
		}
	}
	e.deleteFolders(ctx, w, host2, e.plan.deleted[host2])
	e.deleteFolders(ctx, w, host1, e.plan.deleted[host1])
}

// execute carries out the message part of the plan: flags first, then
// copies, folder by folder over the parallel workers; large folders are
// split in chunks that several workers share. The --folderfirst folders
// are copied before the others begin, the --folderlast folders once the
// others have ended. Then come each folder's
// deletions and the saving of its state.
//
// first, when not nil, is the folder part, which main carries out before
// it takes jobs, while the other workers begin.
func (e *engine) execute(ctx context.Context, main *worker, first func()) {
	x := e.exec
	e.say("++++ Looping on each one of %d folders to sync", len(e.plan.folders))
	if x.loopAt.IsZero() {
		x.loopAt = time.Now()
	}
	type job struct {
		fr    *folderRun
		items []copyItem
		store bool
	}
	var jobs []job
	// A small plan's flags and bodies (executeBatch) are handled by main
	// once the folders are settled; the jobs wait for that.
	var batched chan struct{}
	if e.small && first != nil {
		batched = make(chan struct{})
		folders := first
		first = func() {
			defer close(batched)
			folders()
			var frs []*folderRun
			for _, fr := range x.folders {
				if fr.skipReason() == "" && fr.analyzed {
					frs = append(frs, fr)
				}
			}
			e.executeBatch(ctx, main, frs)
		}
	}
	chunk := jobMsgs
	for _, fr := range x.folders {
		if fr.skipReason() != "" || !fr.analyzed {
			continue
		}
		n := len(jobs)
		if len(fr.stores) > 0 {
			jobs = append(jobs, job{fr: fr, store: true})
		}
		for i := 0; i < len(fr.copies); i += chunk {
			jobs = append(jobs, job{fr: fr, items: fr.copies[i:min(i+chunk, len(fr.copies))]})
		}
		fr.jobsLeft.Store(int32(len(jobs) - n))
		if c := len(fr.copies); c > 0 {
			// What copied records, at its size: appending would leave up
			// to twice that allocated, and as much garbage, at the end of
			// a group of 100,000 copies.
			fr.mu.Lock()
			fr.done = slices.Grow(fr.done, c)
			fr.copiedPairs = slices.Grow(fr.copiedPairs, c)
			fr.confirmed1 = slices.Grow(fr.confirmed1, c)
			fr.mu.Unlock()
		}
	}
	msgs, bytes := e.plan.totals()
	x.stats.toCopy.Add(int64(msgs))
	x.planned += msgs
	x.plannedBytes += bytes
	e.progress.Start(x.planned, x.plannedBytes)
	jobDone := func(fr *folderRun) {
		if fr.jobsLeft.Add(-1) == 0 {
			e.progress.FolderDone(fr.h1)
		}
	}
	// endTail waits for the answers to w's copy jobs whose APPENDs are
	// written, and finishes them.
	endTail := func(w *worker) {
		tails := w.tails
		w.tails = nil
		for _, t := range tails {
			e.copyEnd(ctx, w, t)
			jobDone(t.fr)
		}
	}
	work := func(w *worker, j job) {
		if batched != nil {
			select {
			case <-batched:
			case <-ctx.Done():
				return
			}
		}
		if first != nil && isClosed(j.fr.settled) && j.fr.notCreated {
			return // left out: could not be created
		}
		if j.fr.started.CompareAndSwap(false, true) {
			e.progress.FolderStart(j.fr.h1, len(j.fr.copies), j.fr.copyBytes())
		}
		switch {
		case j.store && j.fr.storedBatch:
		case j.store:
			e.storeFlags(ctx, w, j.fr)
		case first != nil:
			// The answers to this job's APPENDs are waited for once the
			// next job's are written: the worker does not idle for a
			// round trip at the end of each folder. A small plan's
			// workers (whose bodies are fetched ahead) write every job's
			// APPENDs before they wait for any answer.
			t := e.copyBegin(ctx, w, j.fr, j.items)
			if !e.small {
				endTail(w)
			}
			w.tails = append(w.tails, t)
			return
		default:
			e.copyChunk(ctx, w, j.fr, j.items)
		}
		jobDone(j.fr)
	}
	if first != nil {
		runParallelAfter(ctx, e, main, first, jobs, work, endTail)
	} else {
		runPhased(ctx, e, main, jobs, func(j job) *folderPlan { return j.fr.folderPlan }, work)
	}
	e.settleAhead()
	e.dropPrefetched()
	var active []*folderRun // analyzed and not left out
	for _, fr := range x.folders {
		if fr.skipReason() == "" && fr.analyzed {
			active = append(active, fr)
		}
	}
	if ctx.Err() == nil && !e.opts.SyncDuplicates {
		// --syncduplicates copies equal keys on purpose: no check then.
		e.removeDuplicates(ctx, main)
	}
	e.sayQuota(ctx, main)
	if o := &e.opts; o.Delete1 || o.Expunge1 || o.Delete2 || o.Delete2Duplicates || o.State != nil {
		// After a stop (signal, --errorsmax) nothing more is deleted, but
		// what was established is still saved.
		saveCtx := context.WithoutCancel(ctx)
		stopped := ctx.Err() != nil
		if !stopped && (o.Delete1 || o.Expunge1 || o.Delete2 || o.Delete2Duplicates) {
			runParallel(ctx, e, main, active, func(w *worker, fr *folderRun) {
				e.finishFolder(ctx, w, fr)
			})
		}
		if o.State != nil {
			// Host2's STATUS of every folder in one round trip, once the
			// deletions are done; then the state of each.
			e.readStatus2(saveCtx, main, active)
			sw := &stateWriter{e: e}
			for _, fr := range active {
				e.saveState(saveCtx, main, fr, !stopped, sw)
			}
			sw.commit()
		}
	}
	x.stats.foldersDone.Add(int64(len(active)))
	e.say("++++ End looping on each folder")
	if e.plan.groups == nil {
		e.printSetAside() // once, at the end of the groups otherwise
	}
}

// validityOf collects UIDVALIDITY values: v is the first added, mixed
// is set once another (or an unknown, 0) was added.
type validityOf struct {
	v          uint32
	mixed, set bool
}

func (o *validityOf) add(v uint32) {
	switch {
	case v == 0:
		o.mixed = true
	case !o.set:
		o.v, o.set = v, true
	case o.v != v:
		o.mixed = true
	}
}

// isClosed reports whether ch is closed (without waiting).
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// readStatus2 reads host2's STATUS of the folders of frs whose state is
// saved, pipelined on main's connection, into their status2. A folder
// whose STATUS fails is left without one.
func (e *engine) readStatus2(ctx context.Context, main *worker, frs []*folderRun) {
	var names []string
	var want []*folderRun
	for _, fr := range frs {
		if fr.validity1 != 0 && !fr.unchanged {
			names = append(names, fr.h2)
			want = append(want, fr)
		}
	}
	if len(names) == 0 {
		return
	}
	// STATUS on the mailbox a connection has selected may answer from
	// that connection's view: it is left first, with an UNSELECT sent in
	// the same round trip as the STATUS commands (the server takes them in
	// order). When the UNSELECT fails on the connection the STATUS went
	// to, their answers are not used.
	var unselect *imapclient.Command
	var via *conn.Conn
	selected := main.sel[host2]
	if c := main.conns[host2]; selected != "" && alive(c) {
		unselect, via = c.Unselect(), c
	}
	main.sel[host2] = ""
	st, errs, err := e.statusBatch(ctx, main, host2, names)
	if unselect != nil {
		if uerr := unselect.Wait(); uerr != nil && main.conns[host2] == via {
			if alive(via) {
				main.sel[host2] = selected
			}
			return
		}
	}
	if err != nil {
		return
	}
	for i, fr := range want {
		if errs[i] == nil {
			fr.status2 = &st[i]
		}
	}
}

// storeFlags sets host2 flags equal to host1's, grouping messages that
// get the same flags into one UID STORE; the STOREs are sent at once.
func (e *engine) storeFlags(ctx context.Context, w *worker, fr *folderRun) {
	if fr.storedEarly {
		e.stored(fr, nil) // set in host2's read (earlyStores)
		return
	}
	if !e.waitSettled(ctx, fr) {
		return
	}
	sets, flags := storeSets(fr)
	err := w.inFolder(ctx, host2, fr.h2, func(c *conn.Conn) error {
		return e.changes.storeMany(c, sets, flags)
	})
	e.stored(fr, err)
}

// stored reports the outcome of fr's STOREs.
func (e *engine) stored(fr *folderRun, err error) {
	if err != nil {
		e.msgFail(fr, classOf(report.ClassFlags, err), fmt.Sprintf("Host2: folder %s: could not add flags: %v", fr.h2, err))
		return
	}
	for _, s := range fr.stores {
		e.say("Host2: msg %s/%d flags set to (%s) from %s/%d", fr.h2, s.uid2, joinFlags(s.to), fr.h1, s.uid1)
	}
}

// storeSets groups fr's stores by the flags they set: one UID STORE
// each, in a stable order.
func storeSets(fr *folderRun) (sets []imap.UIDSet, flags [][]imap.Flag) {
	groups := map[string]*imap.UIDSet{}
	flagsOf := map[string][]imap.Flag{}
	var order []string
	for _, s := range fr.stores {
		k := joinFlags(s.to)
		if groups[k] == nil {
			groups[k] = &imap.UIDSet{}
			flagsOf[k] = s.to
			order = append(order, k)
		}
		groups[k].AddNum(s.uid2)
	}
	sort.Strings(order)
	sets, flags = make([]imap.UIDSet, len(order)), make([][]imap.Flag, len(order))
	for i, k := range order {
		sets[i], flags[i] = *groups[k], flagsOf[k]
	}
	return sets, flags
}

// copied records a successful copy and prints imapsync's line.
//
// validity is the UIDVALIDITY of the APPENDUID that gave uid2 (0: not
// known, as for a copy found by reading host2).
func (e *engine) copied(fr *folderRun, f fetched, uid2, validity uint32) {
	st := &e.exec.stats
	size := f.item.size
	fr.mu.Lock()
	if uid2 != 0 {
		fr.appendValidity.add(validity)
		fr.confirmed1 = append(fr.confirmed1, f.item.uid)
		fr.copiedPairs = append(fr.copiedPairs, matchedPair{uid1: f.item.uid, uid2: imap.UID(uid2), key: f.item.hkey, odd: f.item.oddKey})
	} else {
		fr.unconfirmed1 = append(fr.unconfirmed1, f.item)
	}
	fr.done = append(fr.done, fr.matchHash(f.item))
	fr.doneBytes += size
	fr.doneBig = max(fr.doneBig, size)
	fr.mu.Unlock()
	n := st.transferred.Add(1)
	total := st.bytes.Add(size)
	for {
		b := st.biggest.Load()
		if size <= b || st.biggest.CompareAndSwap(b, size) {
			break
		}
	}
	left := st.toCopy.Add(-1)
	e.progress.Copied(fr.h1, size)
	elapsed := time.Since(e.exec.loopAt).Seconds()
	rate, bw := 0.0, 0.0
	if elapsed > 0 {
		rate, bw = float64(n)/elapsed, float64(total)/elapsed
	}
	eta := ""
	if e.opts.FolderSizes && rate > 0 {
		secs := float64(left) / rate
		eta = fmt.Sprintf(" ETA: %s  %1.0f s  %d/%d msgs left", time.Now().Add(time.Duration(secs*float64(time.Second))).Format("Mon Jan 2 15:04:05 2006"), secs, left, n+left)
	}
	uid2s := "?"
	if uid2 != 0 {
		uid2s = fmt.Sprint(uid2)
	}
	e.say("msg %s/%-19s copied to %s/%-10s %.2f msgs/s  %s/s %s copied%s",
		fr.h1, fmt.Sprintf("%d {%d}", f.item.uid, size), fr.h2, uid2s, rate, report.BytesBin(int64(bw)), report.BytesBin(total), eta)
}

// appendFailed records a refused APPEND with imapsync's wording; the
// server's answer decides the class (over quota, too big, virus...).
func (e *engine) appendFailed(fr *folderRun, f fetched, err error) {
	e.msgFail(fr, classOf(report.ClassAppend, err), fmt.Sprintf("- msg %s/%d {%d} could not append ( Subject:[%s], Date:[%s], Size:[%d], Flags:[%s] ) to folder %s: %v",
		fr.h1, f.item.uid, f.item.size, f.subject, f.date, f.item.size, joinFlags(f.item.flags()), fr.h2, err))
}

// msgFail records an error of class c about a message or the flags of
// fr; the folder then does not count as completely synced for the state.
func (e *engine) msgFail(fr *folderRun, c report.Class, msg string) {
	fr.atCopy.fail()
	e.failIn(fr.h1, c, msg)
}
