package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/message"
	"github.com/imapshift/imapshift/core/report"
)

// engine is one run.
type engine struct {
	opts    Options
	servers [2]*server
	spool   *spool
	changes changes

	mu    sync.Mutex // guards output and the fields below
	out   io.Writer
	noted map[string]bool
	errs  report.Errors
	start time.Time
	// memStart is the process memory when the run began, for the report.
	memStart float64
	loopAt   time.Time

	plan     plan
	pool     []*worker // the Parallel workers, made on first use (workers)
	hooks    msgHooks
	throttle *throttle
	// appendLimit is the largest message host2 takes (0: no limit).
	appendLimit int64
	// deleted lists the folders removed (or, dry, to remove) on each side.
	deleted  [2][]string
	progress Progress
	info     [2]*sideInfo
	stats    counters
	cancel   context.CancelFunc
}

// counters are updated by many goroutines.
type counters struct {
	transferred   atomic.Int64
	bytes         atomic.Int64
	biggest       atomic.Int64
	foldersDone   atomic.Int64
	deleted       [2]atomic.Int64
	toCopy        atomic.Int64 // planned copies not yet done (for the ETA)
	errorsReached atomic.Bool
	exitWhenOver  atomic.Bool
	sent          atomic.Int64 // bytes written to host2, for --exitwhenover
}

// Run carries out one sync (or, with JustFolders / JustFolderSizes / Dry,
// the corresponding subset) and returns its result. The error is non-nil
// only when the run could not proceed (logins, listing); per-message and
// per-folder problems are in Result.Errors.
func Run(ctx context.Context, opts Options) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e := &engine{
		opts: opts,
		servers: [2]*server{
			{cfg: opts.Host1, retries: opts.ReconnectRetry1},
			{cfg: opts.Host2, retries: opts.ReconnectRetry2},
		},
		spool:    newSpool(opts.BodyBudget, opts.TmpDir),
		out:      opts.Out,
		noted:    map[string]bool{},
		start:    time.Now(),
		memStart: report.PeakRSSMiB(),
		cancel:   cancel,
	}
	if e.out == nil {
		e.out = io.Discard
	}
	e.hooks = newMsgHooks(opts.Hooks, opts.AddHeader)
	e.throttle = newThrottle(opts.Limits)
	e.progress = opts.Progress
	if e.progress == nil {
		e.progress = noProgress{}
	}
	return e.run(ctx)
}

func (e *engine) say(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sayLocked(fmt.Sprintf(format, args...))
}

func (e *engine) sayLocked(line string) {
	io.WriteString(e.out, line+"\n")
}

// fail records an error of class c, prints its line, and stops the run
// once --errorsmax is reached. The class, not the line, counts towards the
// exit code.
func (e *engine) fail(c report.Class, msg string) {
	n := e.errs.Add(c, msg)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sayLocked(msg)
	if max := e.opts.ErrorsMax; max > 0 && n >= max && !e.stats.errorsReached.Load() {
		e.stats.errorsReached.Store(true)
		e.sayLocked(fmt.Sprintf("Maximum number of errors %d reached ( you can change %d to any value, for example 100 with --errorsmax 100 ). Exiting.", max, max))
		e.cancel()
	}
}

// msgFail records an error about a message or the flags of fp; the folder
// then does not count as completely synced for the state.
func (e *engine) msgFail(fp *folderPlan, c report.Class, msg string) {
	fp.mu.Lock()
	fp.failed++
	fp.mu.Unlock()
	e.fail(c, msg)
}

func (e *engine) run(ctx context.Context) (*Result, error) {
	opts := &e.opts
	// Both logins are always attempted.
	var c1, c2 *conn.Conn
	var err1, err2 error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c1, err1 = conn.Dial(ctx, opts.Host1) }()
	go func() { defer wg.Done(); c2, err2 = conn.Dial(ctx, opts.Host2) }()
	wg.Wait()
	if err := errors.Join(err1, err2); err != nil {
		for _, c := range []*conn.Conn{c1, c2} {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	for _, c := range []*conn.Conn{c1, c2} {
		e.say("%s: success login on [%s] with user [%s] auth [%s]", c.Config.Name(), c.Config.Host, c.Config.User, c.Mech)
		for _, n := range c.Notes {
			e.say("%s", n)
		}
	}
	main := &worker{e: e, conns: [2]*conn.Conn{c1, c2}}
	defer e.closeWorkers(main)

	if err := e.discover(ctx, main); err != nil {
		return nil, err
	}
	if opts.JustFolderLists {
		for _, side := range e.info {
			e.say("%s folders list:", side.name)
			for _, n := range side.names {
				e.say("%s", mailbox.Display(n))
			}
		}
		return e.result(), nil
	}
	e.appendLimit = effectiveAppendLimit(opts.AppendLimit, e.info[host2].caps)
	if err := e.nameFolders(); err != nil {
		return nil, err
	}
	e.printFolderList()
	if opts.JustAutomap {
		return e.result(), nil
	}
	if opts.JustFolders {
		e.deleted[1] = e.planDelete2Folders()
		if opts.Dry {
			e.printFolderPlan()
		} else {
			e.executeFolders(ctx, main)
		}
		return e.result(), nil
	}
	// Folders missing on host2 are analysed as empty there; they are
	// created afterwards, so that --skipemptyfolders and --justfoldersizes
	// create nothing they should not.
	e.analyzeAll(ctx, main)
	if opts.SkipCrossDuplicates {
		e.skipCrossDuplicates()
	}
	if err := e.checkDeletions(); err != nil {
		return nil, err
	}
	if opts.FolderSizes || opts.JustFolderSizes {
		e.printSizes(true)
	}
	if opts.JustFolderSizes {
		return e.result(), nil
	}
	e.deleted = [2][]string{e.planDelete1EmptyFolders(), e.planDelete2Folders()}
	if opts.Dry {
		e.printFolderPlan()
		e.printPlan()
	} else {
		e.executeFolders(ctx, main)
		e.execute(ctx, main)
	}
	if opts.FolderSizesAtEnd && !opts.Dry {
		e.printSizes(false)
	}
	return e.result(), nil
}

func (e *engine) discover(ctx context.Context, w *worker) error {
	var err error
	if e.info[host1], err = discover(ctx, w.conns[host1], host1.String(), e.opts.Sep1, e.opts.Prefix1); err != nil {
		return err
	}
	if e.info[host2], err = discover(ctx, w.conns[host2], host2.String(), e.opts.Sep2, e.opts.Prefix2); err != nil {
		return err
	}
	for _, n := range append(e.info[host1].notes, e.info[host2].notes...) {
		e.say("%s", n)
	}
	e.say("Host1: found %d folders.", len(e.info[host1].names))
	e.say("Host2: found %d folders.", len(e.info[host2].names))
	e.say("Host1: %s", e.info[host1].naming)
	e.say("Host2: %s", e.info[host2].naming)
	return nil
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

func (e *engine) printFolderList() {
	if len(e.plan.extra2) > 0 {
		e.say("Folders in host2 not in host1:")
		for _, f := range e.plan.extra2 {
			e.say("%s", mailbox.Display(f))
		}
	}
}

// executeFolders carries out the folder part of the plan: missing host2
// folders are created (parents first), ACLs copied, subscriptions added,
// then --delete2folders and --delete1emptyfolders run.
func (e *engine) executeFolders(ctx context.Context, w *worker) {
	for _, fp := range e.plan.folders {
		if fp.skip != "" {
			continue
		}
		if fp.create {
			for _, p := range append(fp.parents, fp.h2) {
				e.say("Creating folder %s on host2", mailbox.Display(p))
				if err := e.changes.create(ctx, w, p); err != nil {
					e.fail(classOf(report.ClassCreate, err), fmt.Sprintf("Could not create folder %s from %s: %v", mailbox.Display(p), mailbox.Display(fp.h1), err))
					if p == fp.h2 {
						fp.skip = "could not be created on host2"
					}
					continue
				}
				e.info[host2].exists[p] = true
			}
			if fp.skip == "" {
				fp.create, fp.created = false, true
			}
		}
		if e.opts.SyncACLs && fp.skip == "" {
			e.syncACLs(ctx, w, fp)
		}
		if fp.subscribe && fp.skip == "" {
			e.say("Host2: Subscribing to folder %s", fp.h2)
			if err := e.changes.subscribe(ctx, w, fp.h2); err != nil {
				e.say("Host2: could not subscribe to folder %s: %v", fp.h2, err)
			}
		}
	}
	e.deleteFolders(ctx, w, host2, e.deleted[host2])
	e.deleteFolders(ctx, w, host1, e.deleted[host1])
}

// printFolderPlan lists what executeFolders would do (--dry).
func (e *engine) printFolderPlan() {
	const dry = " (not really since --dry mode)"
	for _, fp := range e.plan.folders {
		if fp.skip != "" {
			continue
		}
		if fp.create {
			for _, p := range append(fp.parents, fp.h2) {
				e.say("Creating folder %s on host2%s", mailbox.Display(p), dry)
			}
		}
		if fp.subscribe {
			e.say("Host2: Subscribing to folder %s%s", fp.h2, dry)
		}
	}
	for side, names := range e.deleted {
		for _, name := range names {
			e.say("Host%d: deleting folder %s%s", side+1, mailbox.Display(name), dry)
		}
	}
}

// analyzeAll reads every wanted folder on both sides with the parallel
// workers and builds the message plan.
func (e *engine) analyzeAll(ctx context.Context, main *worker) {
	total := len(e.plan.folders)
	todo := e.plan.folders
	if e.opts.State != nil {
		// With the state, a cheap STATUS on the main connections settles
		// every unchanged folder before any other connection is opened.
		todo = nil
		for _, fp := range e.plan.folders {
			if fp.skip != "" {
				continue
			}
			unchanged, err := e.loadState(ctx, main, fp)
			fp.stateLoaded = err == nil
			if err == nil && unchanged {
				fp.analyzed = true
				e.say("Folder %7s %-35s -> %-35s unchanged since the last run (--usecache)", fmt.Sprintf("%d/%d", fp.index, total), mailbox.Display(fp.h1), mailbox.Display(fp.h2))
				continue
			}
			todo = append(todo, fp)
		}
	}
	runParallel(ctx, e, main, todo, func(w *worker, fp *folderPlan) {
		if fp.skip != "" {
			return
		}
		if err := e.analyze(ctx, w, fp); err != nil {
			var fe *folderError
			if errors.As(err, &fe) && fe.stage == "select1" {
				e.fail(classOf(report.ClassSelect, err), fmt.Sprintf("Host1: folder %s: Could not select: %v", fp.h1, err))
			} else {
				e.fail(classOf(report.ClassSelect, err), fmt.Sprintf("Host2: folder %s: Could not select: %v", fp.h2, err))
			}
			fp.skip = "select failed"
			return
		}
		if e.opts.SkipEmptyFolders && fp.inSelection1 == 0 {
			fp.skip = "empty on host1 (--skipemptyfolders)"
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.sayLocked(fmt.Sprintf("Folder %7s %-35s -> %-35s", fmt.Sprintf("%d/%d", fp.index, total), mailbox.Display(fp.h1), mailbox.Display(fp.h2)))
		e.sayLocked(fmt.Sprintf("Host1: folder [%s] has %d messages in total (mentioned by SELECT)", fp.h1, fp.count1))
		if fp.create {
			e.sayLocked(fmt.Sprintf("Host2: folder [%s] does not exist yet", fp.h2))
		} else {
			e.sayLocked(fmt.Sprintf("Host2: folder [%s] has %d messages in total (mentioned by SELECT)", fp.h2, fp.count2))
			e.sayLocked(fmt.Sprintf("Host2: folder [%s] permanentflags: %s", fp.h2, joinFlags(fp.permanentFlags)))
		}
		e.sayLocked(fmt.Sprintf("Host1: folder [%s] selected %d messages, duplicates %d", fp.h1, fp.selected1, fp.dup1))
		e.sayLocked(fmt.Sprintf("Host2: folder [%s] selected %d messages, duplicates %d", fp.h2, fp.selected2, fp.dup2))
	})
}

// runParallel hands jobs, in order, to up to Parallel workers; main is
// one of them. The other workers live as long as the run (their
// connections are opened on first use and reused from phase to phase).
func runParallel[T any](ctx context.Context, e *engine, main *worker, jobs []T, fn func(*worker, T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for _, w := range e.workers(main) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				fn(w, j)
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// workers returns the run's Parallel workers, main first.
func (e *engine) workers(main *worker) []*worker {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pool) == 0 {
		e.pool = append(e.pool, main)
		for i := 1; i < e.opts.parallel(); i++ {
			e.pool = append(e.pool, &worker{e: e})
		}
	}
	return e.pool
}

// closeWorkers logs the workers (main included) out, in parallel.
func (e *engine) closeWorkers(main *worker) {
	ws := e.pool
	if len(ws) == 0 {
		ws = []*worker{main}
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.close()
		}()
	}
	wg.Wait()
}

// printPlan lists what a real run would do (--dry).
func (e *engine) printPlan() {
	e.say("++++ Looping on each one of %d folders to sync", len(e.plan.folders))
	for _, fp := range e.plan.folders {
		if fp.skip != "" {
			e.say("Folder %s skipped: %s", mailbox.Display(fp.h1), fp.skip)
			continue
		}
		for _, c := range fp.copies {
			rewritten := ""
			if len(c.rewrittenBy) > 0 {
				rewritten = " rewritten by " + strings.Join(c.rewrittenBy, ", ")
			}
			e.say("msg %s/%d {%d} copying to %s%s (not really since --dry mode)", fp.h1, c.uid, c.size, fp.h2, rewritten)
		}
		for _, s := range fp.stores {
			e.say("Host2: msg %s/%d would get flags (%s) instead of (%s) from %s/%d (not really since --dry mode)", fp.h2, s.uid2, joinFlags(s.to), joinFlags(s.from), fp.h1, s.uid1)
		}
		e.printDeletions(fp)
	}
	e.say("++++ End looping on each folder")
}

// execute carries out the plan: flags first, then copies, folder by folder
// over the parallel workers; large folders are split in chunks that
// several workers share.
func (e *engine) execute(ctx context.Context, main *worker) {
	e.say("++++ Looping on each one of %d folders to sync", len(e.plan.folders))
	e.loopAt = time.Now()
	type job struct {
		fp    *folderPlan
		items []copyItem
		store bool
	}
	var jobs []job
	chunk := 1000
	for _, fp := range e.plan.folders {
		if fp.skip != "" || !fp.analyzed {
			continue
		}
		n := len(jobs)
		if len(fp.stores) > 0 {
			jobs = append(jobs, job{fp: fp, store: true})
		}
		for i := 0; i < len(fp.copies); i += chunk {
			jobs = append(jobs, job{fp: fp, items: fp.copies[i:min(i+chunk, len(fp.copies))]})
		}
		fp.jobsLeft.Store(int32(len(jobs) - n))
	}
	// After every plan change (cross-duplicate skips included).
	msgs, bytes := e.plan.totals()
	e.stats.toCopy.Store(int64(msgs))
	e.progress.Start(msgs, bytes)
	runParallel(ctx, e, main, jobs, func(w *worker, j job) {
		if j.fp.started.CompareAndSwap(false, true) {
			e.progress.FolderStart(j.fp.h1, len(j.fp.copies), j.fp.copyBytes())
		}
		if j.store {
			e.storeFlags(ctx, w, j.fp)
		} else {
			e.copyChunk(ctx, w, j.fp, j.items)
		}
		if j.fp.jobsLeft.Add(-1) == 0 {
			e.progress.FolderDone(j.fp.h1)
		}
	})
	if o := &e.opts; o.Delete1 || o.Expunge1 || o.Delete2 || o.Delete2Duplicates || o.State != nil {
		var analyzed []*folderPlan
		for _, fp := range e.plan.folders {
			if fp.skip == "" && fp.analyzed {
				analyzed = append(analyzed, fp)
			}
		}
		// After a stop (signal, --errorsmax) nothing more is deleted, but
		// what was established is still saved.
		saveCtx := context.WithoutCancel(ctx)
		stopped := ctx.Err() != nil
		runParallel(saveCtx, e, main, analyzed, func(w *worker, fp *folderPlan) {
			if !stopped {
				e.finishFolder(ctx, w, fp)
			}
			if o.State != nil {
				e.saveState(saveCtx, w, fp, !stopped)
			}
		})
	}
	for _, fp := range e.plan.folders {
		if fp.skip == "" && fp.analyzed {
			e.stats.foldersDone.Add(1)
		}
	}
	e.say("++++ End looping on each folder")
}

// storeFlags sets host2 flags equal to host1's, grouping messages that
// get the same flags into one UID STORE.
func (e *engine) storeFlags(ctx context.Context, w *worker, fp *folderPlan) {
	groups := map[string]*imap.UIDSet{}
	flagsOf := map[string][]imap.Flag{}
	var order []string
	for _, s := range fp.stores {
		k := joinFlags(s.to)
		if groups[k] == nil {
			groups[k] = &imap.UIDSet{}
			flagsOf[k] = s.to
			order = append(order, k)
		}
		groups[k].AddNum(s.uid2)
	}
	sort.Strings(order)
	err := w.inFolder(ctx, host2, fp.h2, func(c *conn.Conn) error {
		for _, k := range order {
			if err := e.changes.store(c, *groups[k], flagsOf[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.msgFail(fp, classOf(report.ClassFlags, err), fmt.Sprintf("Host2: folder %s: could not add flags: %v", fp.h2, err))
		return
	}
	for _, s := range fp.stores {
		e.say("Host2: msg %s/%d flags set to (%s) from %s/%d", fp.h2, s.uid2, joinFlags(s.to), fp.h1, s.uid1)
	}
}

// copied records a successful copy and prints imapsync's line.
func (e *engine) copied(fp *folderPlan, f fetched, uid2 uint32) {
	size := f.item.size
	fp.mu.Lock()
	if uid2 != 0 {
		fp.confirmed1 = append(fp.confirmed1, f.item.uid)
		fp.copiedPairs = append(fp.copiedPairs, matchedPair{uid1: f.item.uid, uid2: imap.UID(uid2), key: f.item.hkey})
	} else {
		fp.unconfirmed1 = append(fp.unconfirmed1, f.item)
	}
	fp.done = append(fp.done, f.item.key)
	fp.doneBytes += size
	fp.doneBig = max(fp.doneBig, size)
	fp.mu.Unlock()
	n := e.stats.transferred.Add(1)
	total := e.stats.bytes.Add(size)
	for {
		b := e.stats.biggest.Load()
		if size <= b || e.stats.biggest.CompareAndSwap(b, size) {
			break
		}
	}
	left := e.stats.toCopy.Add(-1)
	e.progress.Copied(fp.h1, size)
	elapsed := time.Since(e.loopAt).Seconds()
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
		fp.h1, fmt.Sprintf("%d {%d}", f.item.uid, size), fp.h2, uid2s, rate, report.BytesBin(int64(bw)), report.BytesBin(total), eta)
}

// appendFailed records a refused APPEND with imapsync's wording; the
// server's answer decides the class (over quota, too big, virus...).
func (e *engine) appendFailed(fp *folderPlan, f fetched, err error) {
	e.msgFail(fp, classOf(report.ClassAppend, err), fmt.Sprintf("- msg %s/%d {%d} could not append ( Subject:[%s], Date:[%s], Size:[%d], Flags:[%s] ) to folder %s: %v",
		fp.h1, f.item.uid, f.item.size, f.subject, f.date, f.item.size, joinFlags(f.item.flags), fp.h2, err))
}

// headerSummary extracts Subject and Date (unfolded, trimmed) from the
// start of a message.
func headerSummary(head []byte) (subject, date string) {
	h := message.Parse(head)
	subject, _ = h.Get("Subject")
	date, _ = h.Get("Date")
	return subject, date
}
