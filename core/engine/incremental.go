package engine

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/state"
)

// The incremental analysis reads only what changed in a folder since the
// last complete sync, when the state proves everything else:
//
//   - host2's folder is exactly as the state left it: same UIDVALIDITY,
//     UIDNEXT, MESSAGES and HIGHESTMODSEQ (checked again at its SELECT);
//   - every host2 message is in the state, and every host1 message below
//     the UIDNEXT saved is in it too (no duplicates, no unidentified or
//     skipped messages): the state is a one-to-one map of both folders.
//
// Then host1's new messages are those at or above the saved UIDNEXT (one
// UID FETCH of their headers); its expunged ones are the state's host1
// UIDs no longer there (looked for only when MESSAGES says some are
// gone); flag changes are read with CHANGEDSINCE where both sides have
// CONDSTORE, else with one FLAGS-only FETCH of each side. Anything that
// does not fit (a new message without identity, or whose identity the
// state already knows, a folder changed between STATUS and SELECT) sends
// the folder back to the full header comparison.

// errNotIncremental sends a folder back to the full analysis.
var errNotIncremental = errors.New("not incremental")

// incrementalOK reports whether fp may be analysed incrementally, given
// its stored state and both folders' STATUS.
func (e *engine) incrementalOK(fs *state.FolderState, st1, st2 state.Status) bool {
	o := &e.opts
	if !fs.HasStatus || fs.Invalidated || e.plan.merged || o.SyncDuplicates || o.Delete1 || o.SkipCrossDuplicates {
		return false
	}
	if st2 != fs.Status2 || st2.Messages != uint32(fs.Len()) || st1.UIDNext < fs.Status1.UIDNext {
		return false
	}
	below := uint32(0)
	fs.Range(func(u1, _ uint32, _ string) bool {
		if u1 >= fs.Status1.UIDNext {
			return false
		}
		below++
		return true
	})
	return below == fs.Status1.Messages
}

// flagsUnchangedKnown reports whether equal statuses prove that no flag
// changed: only where both sides have CONDSTORE (or flags are not synced).
func (e *engine) flagsUnchangedKnown(fs *state.FolderState, st1, st2 state.Status) bool {
	return !e.opts.ResyncFlags ||
		(st1.HighestModSeq != 0 && st2.HighestModSeq != 0 && fs.Status1.HighestModSeq != 0 && fs.Status2.HighestModSeq != 0)
}

// incrBounds returns what fp's incremental analysis starts from: host1's
// UIDNEXT saved by the last run (old1; the messages below it are the old
// ones, oldRange), and whether flags are read with CHANGEDSINCE (both
// sides and the state have a HIGHESTMODSEQ).
func incrBounds(fp *folderPlan) (old1 imap.UID, condstore bool, oldRange imap.UIDSet) {
	fs := fp.state
	old1 = imap.UID(fs.Status1.UIDNext)
	condstore = fs.Status1.HighestModSeq != 0 && fp.status1.HighestModSeq != 0 && fs.Status2.HighestModSeq != 0
	if old1 > 1 {
		oldRange.AddRange(1, old1-1)
	}
	return old1, condstore, oldRange
}

// incr is one folder's incremental analysis under way: what each side
// told, and what was decided from host1's side (decideIncr) before
// host2's is read.
type incr struct {
	// Host1: the messages in the folder, the new messages, the flags
	// (changed ones under CONDSTORE, else those of every old message:
	// allOld), the old UIDs still there (nil: all of them). needSearch
	// is set when some old messages are gone but a second read must
	// tell which (the folder moved between STATUS and SELECT).
	count1     uint32
	fresh      []meta
	flags1     map[imap.UID][]imap.Flag
	allOld     bool
	exist1     map[imap.UID]bool
	needSearch bool
	// sent is set once host1's read was sent (incrementalFlights).
	sent bool
	// bodies are the new messages' bodies read whole with their headers
	// (send1 with partial); planIncr hands those of copies to fp.early
	// and frees the others.
	bodies map[imap.UID]*body

	// Decided from host1 and the state (decideIncr).
	keys      map[string]struct{} // the state's keys
	gone1     []uint32            // expunged on host1
	only2     []imap.UID          // their host2 copies
	copies    []meta              // new messages to copy
	present   int                 // new messages the last run copied
	pairs     map[imap.UID]imap.UID
	need2     imap.UIDSet // host2 UIDs whose flags are compared
	deletes   bool        // --delete2 removes only2
	flagsAll2 bool        // host2's flags are read whole

	// The STOREs sent in host2's read (send2 with store): the flags each
	// host2 UID was given, and the error of the STOREs.
	sentTo   map[imap.UID][]imap.Flag
	storeErr error

	// Host2, once read (read2 or the early read).
	validity2, uidNext2 uint32
	perm                []imap.Flag
	flags2              map[imap.UID][]imap.Flag
	sizes2              map[imap.UID]int64
}

// needs2 reports whether host2's folder must be read: for the copies
// (its PERMANENTFLAGS, UIDNEXT), the flags compared or --delete2.
func (in *incr) needs2() bool { return len(in.copies) > 0 || len(in.pairs) > 0 || in.deletes }

// check2 checks that host2's folder, as SELECT tells, is as the state
// left it, and takes what the plan needs of the SELECT.
func (in *incr) check2(fp *folderPlan, sel *imap.SelectData) error {
	fs := fp.state
	if sel.UIDValidity != fp.pair.Validity2 || uint32(sel.UIDNext) != fs.Status2.UIDNext || sel.NumMessages != fs.Status2.Messages {
		return errNotIncremental
	}
	in.validity2, in.uidNext2, in.perm = sel.UIDValidity, uint32(sel.UIDNext), sel.PermanentFlags
	return nil
}

// send1 sends on c, after the SELECT of fp's host1 folder, the reads of
// its changes: the new messages, the flags and (when STATUS says some
// old messages may be gone) the old UIDs still there. It returns the
// function that reads their answers into in, given the SELECT data (nil
// when the SELECT failed: every answer is still read).
//
// With partial > 0 the FETCH of the new messages asks also for the first
// partial bytes of each (earlyBodies): the bodies read whole go to
// in.bodies.
func (e *engine) send1(c *conn.Conn, fp *folderPlan, in *incr, partial int64) func(*imap.SelectData) error {
	fs := fp.state
	old1, condstore, oldRange := incrBounds(fp)
	var newCmd, flagsCmd *imapclient.FetchCommand
	var searchCmd *imapclient.SearchCommand
	all := false
	in.dropBodies() // from an attempt on a lost connection
	if fp.status1.UIDNext > uint32(old1) {
		var since imap.UIDSet
		since.AddRange(old1, 0)
		opts := metaOptions(e.headerFields(), false)
		if partial > 0 {
			opts.BodySection = append(opts.BodySection, &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Size: partial}})
		}
		newCmd = c.Fetch(since, opts)
	}
	if old1 > 1 {
		switch {
		case !e.opts.ResyncFlags:
		case condstore && fp.status1.HighestModSeq == fs.Status1.HighestModSeq:
		case condstore:
			flagsCmd = sendFlags(c.Client, oldRange, fs.Status1.HighestModSeq)
		default:
			flagsCmd = sendFlags(c.Client, oldRange, 0)
			all = true
		}
		if !all && fp.status1.Messages < fs.Status1.Messages+(fp.status1.UIDNext-uint32(old1)) {
			searchCmd = c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{oldRange}}, nil)
		}
	}
	return func(sel *imap.SelectData) error {
		// Every answer is read, even after an error.
		var fresh0 []meta
		var bodies map[imap.UID]*body
		var flags0 map[imap.UID][]imap.Flag
		var found *imap.SearchData
		// Each in its own goroutine: the server may answer pipelined
		// FETCHes in parallel (Dovecot does), and go-imap's reader
		// waits for a command's answers to be taken in.
		var wg sync.WaitGroup
		errs := make([]error, 3)
		switch {
		case newCmd != nil && partial > 0:
			wg.Go(func() { fresh0, bodies, errs[0] = e.collectMetaBodies(c.Client, newCmd, partial) })
		case newCmd != nil:
			wg.Go(func() { fresh0, errs[0] = collectMeta(newCmd, e.digest1) })
		}
		if flagsCmd != nil {
			wg.Go(func() { flags0, errs[1] = collectFlags(flagsCmd) })
		}
		if searchCmd != nil {
			wg.Go(func() { found, errs[2] = searchCmd.Wait() })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil || sel == nil {
			freeBodies(bodies)
			return err
		}
		if sel.UIDValidity != fp.pair.Validity1 {
			freeBodies(bodies)
			return errNotIncremental
		}
		in.bodies = bodies
		in.count1, in.allOld, in.exist1, in.needSearch = sel.NumMessages, all, nil, false
		// "n:*" names the last message even when its UID is below n.
		in.fresh = slices.DeleteFunc(fresh0, func(m meta) bool { return m.uid < old1 })
		in.flags1 = flags0
		if e.opts.ResyncFlags && in.flags1 == nil && old1 > 1 {
			in.flags1 = map[imap.UID][]imap.Flag{} // no flag changed (HIGHESTMODSEQ)
		}
		if old1 <= 1 || sel.NumMessages == fs.Status1.Messages+uint32(len(in.fresh)) {
			return nil
		}
		// Some old messages are gone: which ones.
		in.exist1 = map[imap.UID]bool{}
		switch {
		case in.allOld:
			for u := range in.flags1 {
				in.exist1[u] = true
			}
		case found != nil:
			for _, u := range found.AllUIDs() {
				in.exist1[u] = true
			}
		default:
			in.needSearch = true // moved since STATUS: asked again
		}
		return nil
	}
}

// search1 sends the UID SEARCH of the old host1 messages still there,
// for a folder whose send1 left needSearch set, and returns the reader of
// its answer (as send1).
func (e *engine) search1(c *conn.Conn, fp *folderPlan, in *incr) func(*imap.SelectData) error {
	_, _, oldRange := incrBounds(fp)
	cmd := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{oldRange}}, nil)
	return func(sel *imap.SelectData) error {
		found, err := cmd.Wait()
		if err != nil || sel == nil {
			return err
		}
		if sel.UIDValidity != fp.pair.Validity1 {
			return errNotIncremental
		}
		for _, u := range found.AllUIDs() {
			in.exist1[u] = true
		}
		in.needSearch = false
		return nil
	}
}

// read1Slow is host1's read of send1 one command at a time, for a server
// without UNSELECT.
func (e *engine) read1Slow(ctx context.Context, w *worker, fp *folderPlan, in *incr) error {
	fs := fp.state
	old1, condstore, oldRange := incrBounds(fp)
	return w.reselect(ctx, host1, fp.h1, func(c *conn.Conn, sel *imap.SelectData) (err error) {
		if sel.UIDValidity != fp.pair.Validity1 {
			return errNotIncremental
		}
		in.count1, in.flags1, in.allOld, in.exist1, in.needSearch = sel.NumMessages, nil, false, nil, false
		in.fresh = nil
		if fp.status1.UIDNext > uint32(old1) {
			// New messages since the last run (messages arriving after
			// this run's STATUS are the next run's).
			var since imap.UIDSet
			since.AddRange(old1, 0)
			if in.fresh, err = fetchMetaOf(c.Client, since, e.headerFields(), e.digest1); err != nil {
				return err
			}
			// "n:*" names the last message even when its UID is below n.
			in.fresh = slices.DeleteFunc(in.fresh, func(m meta) bool { return m.uid < old1 })
		}
		if old1 <= 1 {
			return nil
		}
		switch {
		case !e.opts.ResyncFlags:
		case condstore && fp.status1.HighestModSeq == fs.Status1.HighestModSeq:
			in.flags1 = map[imap.UID][]imap.Flag{}
		case condstore:
			in.flags1, err = fetchFlags(c.Client, oldRange, fs.Status1.HighestModSeq)
		default:
			in.flags1, err = fetchFlags(c.Client, oldRange, 0)
			in.allOld = true
		}
		if err != nil || sel.NumMessages == fs.Status1.Messages+uint32(len(in.fresh)) {
			return err
		}
		// Some old messages are gone: which ones.
		in.exist1 = map[imap.UID]bool{}
		if in.allOld {
			for u := range in.flags1 {
				in.exist1[u] = true
			}
			return nil
		}
		data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{oldRange}}, nil).Wait()
		if err != nil {
			return err
		}
		for _, u := range data.AllUIDs() {
			in.exist1[u] = true
		}
		return nil
	})
}

// decideIncr works out, from host1's side (in) and the state, what is
// gone from host1, what to copy and which flags to compare. It returns
// errNotIncremental, having changed nothing in fp, when the folder needs
// the full analysis.
func (e *engine) decideIncr(fp *folderPlan, in *incr) error {
	fs := fp.state
	old1, condstore, _ := incrBounds(fp)
	// What the state knows, and what is gone from host1.
	in.keys = make(map[string]struct{}, fs.Len())
	in.gone1, in.only2, in.copies, in.present = nil, nil, nil, 0
	freshUIDs := make(map[imap.UID]bool, len(in.fresh))
	for _, m := range in.fresh {
		freshUIDs[m.uid] = true
	}
	fs.Range(func(u1, u2 uint32, key string) bool {
		in.keys[key] = struct{}{}
		there := freshUIDs[imap.UID(u1)]
		if imap.UID(u1) < old1 {
			there = in.exist1 == nil || in.exist1[imap.UID(u1)]
		}
		if !there {
			in.gone1 = append(in.gone1, u1)
			in.only2 = append(in.only2, imap.UID(u2))
		}
		return true
	})
	// The new host1 messages: already copied (by the last run, after its
	// STATUS), or to copy; anything else is for the full analysis.
	newKeys := map[string]struct{}{}
	for _, m := range in.fresh {
		if _, _, ok := fs.Lookup(uint32(m.uid)); ok {
			// Copied by the last run: its flags may have changed since.
			in.present++
			if e.opts.ResyncFlags {
				if in.flags1 == nil {
					in.flags1 = map[imap.UID][]imap.Flag{}
				}
				in.flags1[m.uid] = m.flags
			}
			continue
		}
		// Under --useuid a UID the state does not know is a new message;
		// otherwise its header identity must be new too.
		_, known := in.keys[m.hkey]
		_, twice := newKeys[m.hkey]
		if !m.hok || (!e.opts.UseUID && (known || twice)) || (e.plan.appendLimit > 0 && m.size > e.plan.appendLimit) {
			return errNotIncremental
		}
		newKeys[m.hkey] = struct{}{}
		in.copies = append(in.copies, m)
	}
	// Flags: the pairs to compare, host2's side read for them.
	in.pairs = map[imap.UID]imap.UID{}
	in.need2 = nil
	for u1 := range in.flags1 {
		if u2, _, ok := fs.Lookup(uint32(u1)); ok {
			in.pairs[u1] = imap.UID(u2)
			in.need2.AddNum(imap.UID(u2))
		}
	}
	in.deletes = len(in.only2) > 0 && e.opts.Delete2
	in.flagsAll2 = in.allOld && !condstore // host2's flags may have changed unseen: read them all
	return nil
}

// send2 sends on c, after the SELECT of fp's host2 folder, the read of
// the flags decideIncr wants compared (and of every size under
// --delete2), and returns the function that reads the answer into in and
// checks the folder is as the state left it (check2); as send1.
//
// With store, the flags of host1's changed messages are set on host2 in
// the same round trip, after that FETCH (earlyStores): in.sentTo then
// holds the flags sent by host2 UID, and in.storeErr the STOREs' error.
func (e *engine) send2(c *conn.Conn, fp *folderPlan, in *incr, store bool) func(*imap.SelectData) error {
	// One FETCH: two pipelined FETCHes of overlapping UIDs could have
	// their answers mixed up (go-imap hands an answer to the first
	// pending FETCH naming its UID).
	var cmd *imapclient.FetchCommand
	switch {
	case in.deletes:
		// The folder is read again at the end (measure2): its messages'
		// sizes, with the keys from the state, spare that read their
		// headers.
		cmd = sendFlagsSizes(c.Client, allUIDs(), len(in.pairs) > 0, true)
	case len(in.pairs) == 0:
	case in.flagsAll2:
		cmd = sendFlags(c.Client, allUIDs(), 0)
	default:
		cmd = sendFlags(c.Client, in.need2, 0)
	}
	in.sentTo, in.storeErr = nil, nil
	readStores := func() error { return nil }
	if store {
		var sets []imap.UIDSet
		var flags [][]imap.Flag
		in.sentTo, sets, flags = e.earlyStoreSets(fp, in)
		readStores = e.changes.sendStores(c, sets, flags)
	}
	return func(sel *imap.SelectData) error {
		var flags map[imap.UID][]imap.Flag
		var sizes map[imap.UID]int64
		var err error
		if cmd != nil {
			flags, sizes, err = collectFlagsSizes(cmd)
		}
		if serr := readStores(); serr != nil {
			in.storeErr = serr
			if !alive(c) {
				err = errors.Join(err, serr)
			}
		}
		if err != nil || sel == nil {
			return err
		}
		if err := in.check2(fp, sel); err != nil {
			return err
		}
		in.flags2, in.sizes2 = flags, nil
		if in.deletes {
			in.sizes2 = sizes
		}
		return nil
	}
}

// read2Slow is send2 one command at a time, for a server without
// UNSELECT.
func (e *engine) read2Slow(ctx context.Context, w *worker, fp *folderPlan, in *incr) error {
	return w.reselect(ctx, host2, fp.h2, func(c *conn.Conn, sel *imap.SelectData) (err error) {
		if err := in.check2(fp, sel); err != nil {
			return err
		}
		in.flags2, in.sizes2 = nil, nil
		if in.deletes {
			msgs, err := c.Fetch(allUIDs(), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
			if err != nil {
				return err
			}
			in.sizes2 = make(map[imap.UID]int64, len(msgs))
			for _, m := range msgs {
				in.sizes2[m.UID] = m.RFC822Size
			}
		}
		switch {
		case len(in.pairs) == 0:
		case in.flagsAll2:
			in.flags2, err = fetchFlags(c.Client, allUIDs(), 0)
		default:
			in.flags2, err = fetchFlags(c.Client, in.need2, 0)
		}
		return err
	})
}

// incremental plans fp from its changes only (see above). It returns
// errNotIncremental, having changed nothing in fp, when the folder needs
// the full analysis; other errors are a folder's failure, as in analyze.
func (e *engine) incremental(ctx context.Context, w *worker, fp *folderPlan) error {
	fs := fp.state
	in := &incr{}
	// Host2 is read at the same time as host1, on the worker's other
	// connection, where its folder is small enough to read all its flags
	// (and sizes, under --delete2) rather than those of the pairs host1's
	// changes name: one round trip for the folder instead of two. Else
	// its connection is at least opened meanwhile on a worker's first
	// folder (a dial costs round trips and the server's start of a
	// session). The two sides share no state of the worker but the
	// appender, which only a dial with a bound on host2's connections
	// touches: not then.
	var early *early2
	wait2 := func() {}
	switch {
	case e.maxConns(host2) != 0:
	case fs.Len() <= earlyMax:
		early = &early2{done: make(chan struct{})}
		go func() {
			defer close(early.done)
			early.piped, early.err = w.flight(ctx, host2, fp.h2, func(c *conn.Conn) func(*imap.SelectData) error {
				cmd := sendFlagsSizes(c.Client, allUIDs(), e.opts.ResyncFlags, e.opts.Delete2)
				return func(sel *imap.SelectData) error {
					flags, sizes, err := collectFlagsSizes(cmd)
					if err != nil || sel == nil {
						return err
					}
					early.sel, early.flags, early.sizes = sel, flags, sizes
					return nil
				}
			})
		}()
		wait2 = func() { <-early.done }
		defer wait2()
	case !alive(w.conns[host2]):
		dial2 := make(chan struct{})
		go func() {
			defer close(dial2)
			w.client(ctx, host2) // a failure is the host2 read's to report
		}()
		wait2 = func() { <-dial2 }
		defer wait2()
	}
	// Host1, in one round trip where the server has UNSELECT: SELECT,
	// the new messages, the flags and (when STATUS says some old
	// messages may be gone) the old UIDs still there, then UNSELECT.
	piped, err := w.flight(ctx, host1, fp.h1, func(c *conn.Conn) func(*imap.SelectData) error {
		return e.send1(c, fp, in, 0)
	})
	if err == nil && piped && in.needSearch {
		_, err = w.flight(ctx, host1, fp.h1, func(c *conn.Conn) func(*imap.SelectData) error {
			return e.search1(c, fp, in)
		})
	}
	if err == nil && !piped {
		err = e.read1Slow(ctx, w, fp, in)
	}
	if errors.Is(err, errNotIncremental) {
		return err
	}
	if err != nil {
		return &folderError{stage: "select1", err: err}
	}
	if err := e.decideIncr(fp, in); err != nil {
		return err
	}
	if in.needs2() {
		wait2()
		// As host1: in one round trip where the server has UNSELECT.
		piped2 := false
		if early != nil {
			piped2, err = early.piped, early.err
			if err == nil && piped2 {
				err = in.check2(fp, early.sel)
				in.flags2 = early.flags
				if in.deletes {
					in.sizes2 = early.sizes
				}
			}
		}
		if err == nil && !piped2 {
			piped2, err = w.flight(ctx, host2, fp.h2, func(c *conn.Conn) func(*imap.SelectData) error {
				return e.send2(c, fp, in, false)
			})
		}
		if err == nil && !piped2 {
			err = e.read2Slow(ctx, w, fp, in)
		}
		if errors.Is(err, errNotIncremental) {
			return err
		}
		if err != nil {
			return &folderError{stage: "select2", err: err}
		}
	}
	e.planIncr(fp, in)
	return nil
}

// planIncr writes fp's plan from its incremental analysis, once both
// sides are read.
func (e *engine) planIncr(fp *folderPlan, in *incr) {
	fs := fp.state
	fp.validity2, fp.uidNext2, fp.permanentFlags = in.validity2, in.uidNext2, in.perm
	fp.byUID = e.opts.UseUID && fs.Len() > 0
	in1, in2 := &fp.on[host1], &fp.on[host2]
	in1.count, in2.count = in.count1, fs.Status2.Messages
	in1.size, in2.size = max(fp.size1, 0), max(fp.size2, 0)
	in1.keys, in2.keys = make(map[string]struct{}, len(in.keys)+len(in.copies)), in.keys
	goneSet := make(map[uint32]bool, len(in.gone1))
	for _, u := range in.gone1 {
		goneSet[u] = true
	}
	fs.Range(func(u1, _ uint32, key string) bool {
		if !goneSet[u1] {
			in1.keys[key] = struct{}{}
		}
		return true
	})
	for _, m := range in.copies {
		in1.keys[m.hkey] = struct{}{}
		c := copyItem{uid: m.uid, size: m.size, byUID: e.opts.UseUID}
		fp.setKey(&c, m.hkey)
		c.setFlags(e.flagsFor2(fp, m.flags))
		switch {
		case e.opts.IDateFromHeader:
			c.setDate(m.hdrDate)
		case e.opts.SyncInternalDates:
			c.setDate(m.date)
		}
		fp.copies = append(fp.copies, c)
	}
	in1.selected, in2.selected = len(in1.keys), fs.Len()
	fp.inSelection1 = int(in.count1)
	fp.alreadyThere = fs.Len() - len(in.gone1)
	fp.bytesAlready = max(in1.size-fp.copyBytes(), 0)
	// Flags set already in host2's read (earlyStores) are right when
	// they are what host2's PERMANENTFLAGS, now known, let through: the
	// folder's stores are then done (storedEarly). Else every pair given
	// other flags is set again, as any other store.
	fp.storedEarly = in.sentTo != nil && in.storeErr == nil
	for u1, u2 := range in.pairs {
		f1, ok1 := in.flags1[u1]
		f2, ok2 := in.flags2[u2]
		if !ok1 || !ok2 || goneSet[uint32(u1)] {
			continue // expunged meanwhile: the next run reads the folder
		}
		to := e.flagsFor2(fp, f1)
		sent, isSent := in.sentTo[u2]
		wrong := isSent && !sameFlags(sent, to)
		if wrong {
			fp.storedEarly = false
		}
		if wrong || !sameFlags(to, normalizeFlags(f2)) {
			fp.stores = append(fp.stores, storeItem{uid1: u1, uid2: u2, from: f2, to: to})
		}
	}
	slices.SortFunc(fp.stores, func(a, b storeItem) int { return int(a.uid1) - int(b.uid1) })
	only2 := slices.Clone(in.only2)
	slices.Sort(only2)
	fp.only2 = only2
	if in.sizes2 != nil {
		fp.known2 = make([]known2, 0, fs.Len())
		fs.Range(func(_, u2 uint32, key string) bool {
			if size, ok := in.sizes2[imap.UID(u2)]; ok {
				fp.known2 = append(fp.known2, known2{uid: imap.UID(u2), size: size, hkey: key, hok: true})
			}
			return true
		})
		slices.SortFunc(fp.known2, func(a, b known2) int { return int(a.uid) - int(b.uid) })
	}
	fp.dropped = in.gone1
	fs.Prune(func(u uint32) bool { return !goneSet[u] }, nil)
	e.say("Host1: folder [%s]: read since the last run: %d new messages (%d copied by the last run, %d to copy), %d flags compared, %d expunged",
		fp.h1, len(in.fresh), in.present, len(in.copies), len(in.pairs), len(in.gone1))
}

// earlyMax is the most messages of a folder whose host2 flags the
// incremental analysis reads whole, at the same time as host1.
const earlyMax = 5000

// early2 is host2's read of the incremental analysis made at the same
// time as host1's (flight): sel is nil when it failed.
type early2 struct {
	done  chan struct{}
	piped bool
	err   error
	sel   *imap.SelectData
	flags map[imap.UID][]imap.Flag
	sizes map[imap.UID]int64
}

// flight runs, on side s, a folder's reads in one round trip: SELECT
// (EXAMINE on host1, as selectFolder), the commands send sends, then
// UNSELECT, all sent before any answer is read; then the function send
// returned reads the answers, given the SELECT data (nil when the SELECT
// failed: it must still read every answer, and its error is then not
// used). It reports false, having sent nothing, when the server has no
// UNSELECT: the caller then works one command at a time.
//
// The connection has no folder selected before the SELECT (a folder left
// selected is left first, and waited for) nor after the UNSELECT. That
// matters: go-imap hands a FETCH response to the oldest pending FETCH
// whose UIDs contain it, so an unsolicited FETCH of another folder (a
// flag changed there by another session) reaching send's FETCHes would
// be taken for one of this folder's.
func (w *worker) flight(ctx context.Context, s side, folder string, send func(*conn.Conn) func(*imap.SelectData) error) (piped bool, err error) {
	piped = true
	err = w.retry(ctx, s, func() error {
		c, err := w.client(ctx, s)
		if err != nil {
			return err
		}
		if !c.Caps().Has(imap.CapUnselect) {
			piped = false
			return nil
		}
		if w.sel[s] != "" {
			if err := c.Unselect().Wait(); err != nil {
				piped = false // refused: one command at a time
				return nil
			}
			w.sel[s] = ""
		}
		selCmd := c.Select(folder, &imap.SelectOptions{ReadOnly: s == host1 && !w.e.opts.writes1()})
		read := send(c)
		unsel := c.Unselect()
		data, selErr := selCmd.Wait()
		if selErr != nil {
			data = nil
		}
		rerr := read(data)
		if err := unsel.Wait(); err != nil && selErr == nil {
			w.sel[s] = folder // still selected
		}
		if selErr != nil {
			return selErr
		}
		return rerr
	})
	return piped, err
}
