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

// incremental plans fp from its changes only (see above). It returns
// errNotIncremental, having changed nothing in fp, when the folder needs
// the full analysis; other errors are a folder's failure, as in analyze.
func (e *engine) incremental(ctx context.Context, w *worker, fp *folderPlan) error {
	fs := fp.state
	old1 := imap.UID(fs.Status1.UIDNext)
	condstore := fs.Status1.HighestModSeq != 0 && fp.status1.HighestModSeq != 0 && fs.Status2.HighestModSeq != 0
	var (
		count1   uint32
		fresh    []meta
		flags1   map[imap.UID][]imap.Flag // changed (CONDSTORE) or all old host1 flags
		allOld   bool                     // flags1 lists every old host1 message
		exist1   map[imap.UID]bool        // old host1 UIDs still there (nil: all)
		oldRange imap.UIDSet
	)
	if old1 > 1 {
		oldRange.AddRange(1, old1-1)
	}
	// check2 checks that host2's folder is as the state left it, and
	// takes what the plan needs of its SELECT.
	var perm []imap.Flag
	var validity2, uidNext2 uint32
	check2 := func(sel *imap.SelectData) error {
		if sel.UIDValidity != fp.pair.Validity2 || uint32(sel.UIDNext) != fs.Status2.UIDNext || sel.NumMessages != fs.Status2.Messages {
			return errNotIncremental
		}
		validity2, uidNext2, perm = sel.UIDValidity, uint32(sel.UIDNext), sel.PermanentFlags
		return nil
	}
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
	var needSearch bool
	piped, err := w.flight(ctx, host1, fp.h1, func(c *conn.Conn) func(*imap.SelectData) error {
		var newCmd, flagsCmd *imapclient.FetchCommand
		var searchCmd *imapclient.SearchCommand
		all := false
		if fp.status1.UIDNext > uint32(old1) {
			var since imap.UIDSet
			since.AddRange(old1, 0)
			newCmd = c.Fetch(since, metaOptions(e.headerFields(), false))
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
			var errs []error
			var fresh0 []meta
			var flags0 map[imap.UID][]imap.Flag
			var found *imap.SearchData
			// Each in its own goroutine: the server may answer pipelined
			// FETCHes in parallel (Dovecot does), and go-imap's reader
			// waits for a command's answers to be taken in.
			var wg sync.WaitGroup
			errs = make([]error, 3)
			if newCmd != nil {
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
				return err
			}
			if sel.UIDValidity != fp.pair.Validity1 {
				return errNotIncremental
			}
			count1, allOld, exist1, needSearch = sel.NumMessages, all, nil, false
			// "n:*" names the last message even when its UID is below n.
			fresh = slices.DeleteFunc(fresh0, func(m meta) bool { return m.uid < old1 })
			flags1 = flags0
			if e.opts.ResyncFlags && flags1 == nil && old1 > 1 {
				flags1 = map[imap.UID][]imap.Flag{} // no flag changed (HIGHESTMODSEQ)
			}
			if old1 <= 1 || sel.NumMessages == fs.Status1.Messages+uint32(len(fresh)) {
				return nil
			}
			// Some old messages are gone: which ones.
			exist1 = map[imap.UID]bool{}
			switch {
			case allOld:
				for u := range flags1 {
					exist1[u] = true
				}
			case found != nil:
				for _, u := range found.AllUIDs() {
					exist1[u] = true
				}
			default:
				needSearch = true // moved since STATUS: asked again below
			}
			return nil
		}
	})
	if err == nil && piped && needSearch {
		_, err = w.flight(ctx, host1, fp.h1, func(c *conn.Conn) func(*imap.SelectData) error {
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
					exist1[u] = true
				}
				return nil
			}
		})
	}
	if err == nil && !piped {
		err = w.reselect(ctx, host1, fp.h1, func(c *conn.Conn, sel *imap.SelectData) (err error) {
			if sel.UIDValidity != fp.pair.Validity1 {
				return errNotIncremental
			}
			count1, flags1, allOld, exist1 = sel.NumMessages, nil, false, nil
			fresh = nil
			if fp.status1.UIDNext > uint32(old1) {
				// New messages since the last run (messages arriving after
				// this run's STATUS are the next run's).
				var since imap.UIDSet
				since.AddRange(old1, 0)
				if fresh, err = fetchMetaOf(c.Client, since, e.headerFields(), e.digest1); err != nil {
					return err
				}
				// "n:*" names the last message even when its UID is below n.
				fresh = slices.DeleteFunc(fresh, func(m meta) bool { return m.uid < old1 })
			}
			if old1 <= 1 {
				return nil
			}
			switch {
			case !e.opts.ResyncFlags:
			case condstore && fp.status1.HighestModSeq == fs.Status1.HighestModSeq:
				flags1 = map[imap.UID][]imap.Flag{}
			case condstore:
				flags1, err = fetchFlags(c.Client, oldRange, fs.Status1.HighestModSeq)
			default:
				flags1, err = fetchFlags(c.Client, oldRange, 0)
				allOld = true
			}
			if err != nil || sel.NumMessages == fs.Status1.Messages+uint32(len(fresh)) {
				return err
			}
			// Some old messages are gone: which ones.
			exist1 = map[imap.UID]bool{}
			if allOld {
				for u := range flags1 {
					exist1[u] = true
				}
				return nil
			}
			data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{oldRange}}, nil).Wait()
			if err != nil {
				return err
			}
			for _, u := range data.AllUIDs() {
				exist1[u] = true
			}
			return nil
		})
	}
	if errors.Is(err, errNotIncremental) {
		return err
	}
	if err != nil {
		return &folderError{stage: "select1", err: err}
	}

	// What the state knows, and what is gone from host1.
	keys := make(map[string]struct{}, fs.Len())
	var gone1 []uint32
	var only2 []imap.UID
	freshUIDs := make(map[imap.UID]bool, len(fresh))
	for _, m := range fresh {
		freshUIDs[m.uid] = true
	}
	fs.Range(func(u1, u2 uint32, key string) bool {
		keys[key] = struct{}{}
		there := freshUIDs[imap.UID(u1)]
		if imap.UID(u1) < old1 {
			there = exist1 == nil || exist1[imap.UID(u1)]
		}
		if !there {
			gone1 = append(gone1, u1)
			only2 = append(only2, imap.UID(u2))
		}
		return true
	})
	// The new host1 messages: already copied (by the last run, after its
	// STATUS), or to copy; anything else is for the full analysis.
	var copies []meta
	newKeys := map[string]struct{}{}
	present := 0
	for _, m := range fresh {
		if _, _, ok := fs.Lookup(uint32(m.uid)); ok {
			// Copied by the last run: its flags may have changed since.
			present++
			if e.opts.ResyncFlags {
				if flags1 == nil {
					flags1 = map[imap.UID][]imap.Flag{}
				}
				flags1[m.uid] = m.flags
			}
			continue
		}
		// Under --useuid a UID the state does not know is a new message;
		// otherwise its header identity must be new too.
		_, known := keys[m.hkey]
		_, twice := newKeys[m.hkey]
		if !m.hok || (!e.opts.UseUID && (known || twice)) || (e.plan.appendLimit > 0 && m.size > e.plan.appendLimit) {
			return errNotIncremental
		}
		newKeys[m.hkey] = struct{}{}
		copies = append(copies, m)
	}
	// Flags: the pairs to compare, host2's side read for them.
	pairs := map[imap.UID]imap.UID{}
	var need2 imap.UIDSet
	for u1 := range flags1 {
		if u2, _, ok := fs.Lookup(uint32(u1)); ok {
			pairs[u1] = imap.UID(u2)
			need2.AddNum(imap.UID(u2))
		}
	}
	var flags2 map[imap.UID][]imap.Flag
	var sizes2 map[imap.UID]int64
	deletes := len(only2) > 0 && e.opts.Delete2
	if len(copies) > 0 || len(pairs) > 0 || deletes {
		wait2()
		// As host1: in one round trip where the server has UNSELECT.
		flagsAll2 := allOld && !condstore // host2's flags may have changed unseen: read them all
		piped2 := false
		if early != nil {
			piped2, err = early.piped, early.err
			if err == nil && piped2 {
				err = check2(early.sel)
				flags2 = early.flags
				if deletes {
					sizes2 = early.sizes
				}
			}
		}
		if err == nil && !piped2 {
			piped2, err = w.flight(ctx, host2, fp.h2, func(c *conn.Conn) func(*imap.SelectData) error {
				// One FETCH: two pipelined FETCHes of overlapping UIDs
				// could have their answers mixed up (go-imap hands an
				// answer to the first pending FETCH naming its UID).
				var cmd *imapclient.FetchCommand
				switch {
				case deletes:
					// The folder is read again at the end (measure2): its
					// messages' sizes, with the keys from the state, spare
					// that read their headers.
					cmd = sendFlagsSizes(c.Client, allUIDs(), len(pairs) > 0, true)
				case len(pairs) == 0:
				case flagsAll2:
					cmd = sendFlags(c.Client, allUIDs(), 0)
				default:
					cmd = sendFlags(c.Client, need2, 0)
				}
				return func(sel *imap.SelectData) error {
					var flags map[imap.UID][]imap.Flag
					var sizes map[imap.UID]int64
					var err error
					if cmd != nil {
						flags, sizes, err = collectFlagsSizes(cmd)
					}
					if err != nil || sel == nil {
						return err
					}
					if err := check2(sel); err != nil {
						return err
					}
					flags2, sizes2 = flags, nil
					if deletes {
						sizes2 = sizes
					}
					return nil
				}
			})
		}
		if err == nil && !piped2 {
			err = w.reselect(ctx, host2, fp.h2, func(c *conn.Conn, sel *imap.SelectData) (err error) {
				if err := check2(sel); err != nil {
					return err
				}
				flags2, sizes2 = nil, nil
				if deletes {
					msgs, err := c.Fetch(allUIDs(), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
					if err != nil {
						return err
					}
					sizes2 = make(map[imap.UID]int64, len(msgs))
					for _, m := range msgs {
						sizes2[m.UID] = m.RFC822Size
					}
				}
				switch {
				case len(pairs) == 0:
				case flagsAll2:
					flags2, err = fetchFlags(c.Client, allUIDs(), 0)
				default:
					flags2, err = fetchFlags(c.Client, need2, 0)
				}
				return err
			})
		}
		if errors.Is(err, errNotIncremental) {
			return err
		}
		if err != nil {
			return &folderError{stage: "select2", err: err}
		}
	}

	// The plan, from here on written to fp.
	fp.validity2, fp.uidNext2, fp.permanentFlags = validity2, uidNext2, perm
	fp.byUID = e.opts.UseUID && fs.Len() > 0
	in1, in2 := &fp.on[host1], &fp.on[host2]
	in1.count, in2.count = count1, fs.Status2.Messages
	in1.size, in2.size = max(fp.size1, 0), max(fp.size2, 0)
	in1.keys, in2.keys = make(map[string]struct{}, len(keys)+len(copies)), keys
	goneSet := make(map[uint32]bool, len(gone1))
	for _, u := range gone1 {
		goneSet[u] = true
	}
	fs.Range(func(u1, _ uint32, key string) bool {
		if !goneSet[u1] {
			in1.keys[key] = struct{}{}
		}
		return true
	})
	for _, m := range copies {
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
	fp.inSelection1 = int(count1)
	fp.alreadyThere = fs.Len() - len(gone1)
	fp.bytesAlready = max(in1.size-fp.copyBytes(), 0)
	for u1, u2 := range pairs {
		f1, ok1 := flags1[u1]
		f2, ok2 := flags2[u2]
		if !ok1 || !ok2 || goneSet[uint32(u1)] {
			continue // expunged meanwhile: the next run reads the folder
		}
		if to := e.flagsFor2(fp, f1); !sameFlags(to, normalizeFlags(f2)) {
			fp.stores = append(fp.stores, storeItem{uid1: u1, uid2: u2, from: f2, to: to})
		}
	}
	slices.SortFunc(fp.stores, func(a, b storeItem) int { return int(a.uid1) - int(b.uid1) })
	slices.Sort(only2)
	fp.only2 = only2
	if sizes2 != nil {
		fp.known2 = make([]known2, 0, fs.Len())
		fs.Range(func(_, u2 uint32, key string) bool {
			if size, ok := sizes2[imap.UID(u2)]; ok {
				fp.known2 = append(fp.known2, known2{uid: imap.UID(u2), size: size, hkey: key, hok: true})
			}
			return true
		})
		slices.SortFunc(fp.known2, func(a, b known2) int { return int(a.uid) - int(b.uid) })
	}
	fp.dropped = gone1
	fs.Prune(func(u uint32) bool { return !goneSet[u] }, nil)
	e.say("Host1: folder [%s]: read since the last run: %d new messages (%d copied by the last run, %d to copy), %d flags compared, %d expunged",
		fp.h1, len(fresh), present, len(copies), len(pairs), len(gone1))
	return nil
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
