package engine

import (
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
)

// The incremental analysis of a rerun reads little of each folder: a
// SELECT, a FETCH or two. Done folder by folder over the parallel
// workers, it costs each worker a login to both servers (a new session,
// so a new server process, on Dovecot) and every folder a round trip or
// two. incrementalBatch reads instead every such folder on the main
// connections: host1's reads of every folder written at once (one round
// trip), then host2's (another). A folder the batch cannot settle (a
// refused SELECT, a folder that moved, anything that needs the full
// analysis) is left to the usual per-folder analysis, which reports it.

// flightBatch bounds the folders of one flights call: their commands are
// all written before any answer is read.
const flightBatch = 32

// flights is flight for several folders on one connection: for each
// folder its SELECT (EXAMINE on host1, as selectFolder), the commands
// its send sends, and an UNSELECT, for every folder, all written before
// any answer is read; then each folder's answers are read in order. The
// server runs a SELECT only once the commands before it are done, so each
// folder's answers come after those of the folder before: go-imap hands
// no folder's FETCH answers to another's FETCH.
//
// errs[i] is folder i's error: its SELECT refused, or its reader's. err
// is non-nil when the connection failed; the batch is then sent again on
// a new connection (as do), every reader running again. piped is false,
// nothing sent, when the server has no UNSELECT.
func (w *worker) flights(ctx context.Context, s side, folders []string, sends []func(*conn.Conn) func(*imap.SelectData) error) (piped bool, errs []error, err error) {
	piped = true
	errs = make([]error, len(folders))
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
				if !alive(c) {
					return err
				}
				piped = false // refused: one command at a time
				return nil
			}
			w.sel[s] = ""
		}
		type flight struct {
			sel   *imapclient.SelectCommand
			read  func(*imap.SelectData) error
			unsel *imapclient.Command
		}
		fl := make([]flight, len(folders))
		for i, name := range folders {
			fl[i].sel = c.Select(name, &imap.SelectOptions{ReadOnly: s == host1 && !w.e.opts.writes1()})
			fl[i].read = sends[i](c)
			fl[i].unsel = c.Unselect()
		}
		left := "" // the folder still selected once all is read
		for i, f := range fl {
			data, selErr := f.sel.Wait()
			if selErr != nil {
				data = nil
			}
			rerr := f.read(data)
			uerr := f.unsel.Wait()
			switch {
			case uerr == nil:
				left = ""
			case selErr == nil:
				left = folders[i]
			}
			errs[i] = errors.Join(selErr, rerr)
			if !alive(c) {
				// Every later answer is lost too: the whole batch again.
				for j := range errs {
					errs[j] = nil
				}
				if e := errors.Join(selErr, rerr, uerr); e != nil {
					return e
				}
				return net.ErrClosed
			}
		}
		w.sel[s] = left
		return nil
	})
	return piped, errs, err
}

// incrementalBatch carries out, on main's connections, the incremental
// analysis of the folders of todo that take it (see above), and returns
// the folders left for the per-folder analysis, in todo's order.
func (e *engine) incrementalBatch(ctx context.Context, main *worker, todo []*folderPlan) (rest []*folderPlan) {
	var batch []*folderPlan
	for _, fp := range todo {
		if fp.skip == "" && fp.incremental && !e.inRecovery(fp.h2) {
			batch = append(batch, fp)
		}
	}
	if len(batch) == 0 {
		return todo
	}
	done := map[*folderPlan]bool{}
	for start := 0; start < len(batch) && ctx.Err() == nil; start += flightBatch {
		for _, fp := range e.incrementalFlights(ctx, main, batch[start:min(start+flightBatch, len(batch))]) {
			done[fp] = true
		}
	}
	for _, fp := range todo {
		if !done[fp] {
			rest = append(rest, fp)
		}
	}
	return rest
}

// incrementalFlights is incrementalBatch for at most flightBatch folders:
// it returns those it analysed.
func (e *engine) incrementalFlights(ctx context.Context, main *worker, fps []*folderPlan) (done []*folderPlan) {
	partial, reserved := e.earlyBodies(fps)
	ins := make([]*incr, len(fps))
	defer func() { e.keepEarly(fps, ins, done, reserved) }()
	names := make([]string, len(fps))
	sends := make([]func(*conn.Conn) func(*imap.SelectData) error, len(fps))
	for i, fp := range fps {
		in := &incr{}
		ins[i], names[i] = in, fp.h1
		sends[i] = func(c *conn.Conn) func(*imap.SelectData) error { return e.send1(c, fp, in, partial) }
	}
	piped, errs, err := main.flights(ctx, host1, names, sends)
	if err != nil || !piped {
		return nil
	}
	// Host1 is read: what each folder needs of host2.
	var two []int // indexes of the folders host2 is read for
	var ok []int  // of those settled without it
	for i, fp := range fps {
		in := ins[i]
		switch {
		case errors.Is(errs[i], errNotIncremental):
			fp.incremental = false
		case errs[i] != nil || in.needSearch:
			// Read again, and reported, by the per-folder analysis.
		default:
			if err := e.decideIncr(fp, in); err != nil {
				fp.incremental = false
				continue
			}
			if in.needs2() {
				two = append(two, i)
			} else {
				ok = append(ok, i)
			}
		}
	}
	if len(two) > 0 {
		names, sends = names[:0], sends[:0]
		for _, i := range two {
			fp, in := fps[i], ins[i]
			names = append(names, fp.h2)
			store := e.earlyStores(in)
			sends = append(sends, func(c *conn.Conn) func(*imap.SelectData) error { return e.send2(c, fp, in, store) })
		}
		piped, errs, err := main.flights(ctx, host2, names, sends)
		if err == nil && piped {
			for j, i := range two {
				switch {
				case errors.Is(errs[j], errNotIncremental):
					fps[i].incremental = false
				case errs[j] == nil:
					ok = append(ok, i)
				}
			}
		}
	}
	for i, fp := range fps {
		if !slices.Contains(ok, i) {
			continue
		}
		e.planIncr(fp, ins[i])
		fp.analyzed = true
		done = append(done, fp)
	}
	return done
}

// inRecovery reports whether host2 folder is one a dead run was
// appending to: its analysis first waits for it to be quiet (settle).
func (e *engine) inRecovery(folder string) bool {
	r := e.recovery
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.folders[folder] && !r.settled[folder]
}

// The new messages of a rerun are few and, most of the time, small. Their
// bodies are fetched with their headers, in the incremental read's own
// FETCH: BODY.PEEK[]<0.partial>, the first partial bytes of each. A body
// shorter than partial, whose length is its RFC822.SIZE, is the whole
// message: the copy sends it without fetching it again, and host1's
// folder is not opened a second time for it (prefetch). A longer message
// is fetched again whole, as usual, its first bytes dropped.
//
// The budget of every body asked for is reserved before the FETCH is
// sent (a literal is never left half-read waiting for memory), and the
// bodies are asked for only when the new messages, as STATUS counts them,
// are at most smallPlanMsgs and get at least earlyMin bytes each from
// half the body budget.
const (
	earlyMin = 16 << 10
	earlyCap = 256 << 10
)

// earlyBodies returns the bytes of each new message's body that the host1
// read of fps asks for (0: none) and the budget reserved for them.
func (e *engine) earlyBodies(fps []*folderPlan) (partial, reserved int64) {
	if o := &e.opts; o.Dry || o.JustFolderSizes || o.JustFolders || o.JustAutomap {
		return 0, 0
	}
	var n int64
	for _, fp := range fps {
		if old1, _, _ := incrBounds(fp); fp.status1.UIDNext > uint32(old1) {
			n += int64(fp.status1.UIDNext - uint32(old1))
		}
	}
	if n == 0 || n > smallPlanMsgs {
		return 0, 0
	}
	sp := e.spool
	partial = min(sp.budget/2/n, earlyCap, sp.fileMin-1) / chunkSize * chunkSize
	if partial < earlyMin || !sp.sem.TryAcquire(n*partial) {
		return 0, 0
	}
	return partial, n * partial
}

// keepEarly hands the bodies read with the headers of the copies of the
// folders done to their early, within reserved bytes of the budget; it
// frees the other bodies and gives back the budget they do not hold.
func (e *engine) keepEarly(fps []*folderPlan, ins []*incr, done []*folderPlan, reserved int64) {
	var kept int64
	for i, fp := range fps {
		in := ins[i]
		if in == nil || len(in.bodies) == 0 {
			continue
		}
		if slices.Contains(done, fp) {
			for _, it := range fp.copies {
				b, ok := in.bodies[it.uid]
				if !ok {
					continue
				}
				held := e.spool.cost(b.size)
				if kept+held > reserved {
					continue // a message that arrived after STATUS: fetched again
				}
				delete(in.bodies, it.uid)
				if fp.early == nil {
					fp.early = map[imap.UID]prefetched{}
				}
				fp.early[it.uid] = prefetched{body: b, held: held}
				kept += held
			}
		}
		in.dropBodies()
	}
	e.spool.release(reserved - kept)
}

// dropBodies frees the bodies of in.
func (in *incr) dropBodies() {
	freeBodies(in.bodies)
	in.bodies = nil
}

// freeBodies frees the bodies of m.
func freeBodies(m map[imap.UID]*body) {
	for _, b := range m {
		b.free()
	}
}

// collectMetaBodies is collectMeta for a FETCH of metaOptions that also
// asks for BODY.PEEK[]<0.partial>: it returns besides the metadata the
// bodies read whole (shorter than partial, as long as RFC822.SIZE says).
// A body cut short closes c, as readBodies does.
func (e *engine) collectMetaBodies(c *imapclient.Client, cmd *imapclient.FetchCommand, partial int64) ([]meta, map[imap.UID]*body, error) {
	var out []meta
	bodies := map[imap.UID]*body{}
	fail := func(err error) ([]meta, map[imap.UID]*body, error) {
		freeBodies(bodies)
		return nil, nil, err
	}
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var m meta
		var b *body
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				m.uid = it.UID
			case imapclient.FetchItemDataFlags:
				m.flags = it.Flags
			case imapclient.FetchItemDataInternalDate:
				m.date = internZone(it.Time)
			case imapclient.FetchItemDataRFC822Size:
				m.size = it.Size
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				if it.Section.Specifier == imap.PartSpecifierHeader {
					hdr, err := io.ReadAll(it.Literal)
					if err != nil {
						b.free()
						c.Close()
						return fail(err)
					}
					m.hdr = hdr
					continue
				}
				if it.Section.Specifier != imap.PartSpecifierNone || it.Section.Partial == nil || it.Section.Partial.Offset != 0 {
					continue
				}
				nb, err := e.spool.read(it.Literal, it.Literal.Size())
				if err != nil {
					b.free()
					c.Close()
					return fail(err)
				}
				b.free() // a second body for one message: keep the last
				b = nb
			}
		}
		if m.uid == 0 {
			b.free()
			continue // an unsolicited FETCH (flag change) without UID
		}
		if b != nil {
			if b.size < partial && b.size == m.size {
				bodies[m.uid].free()
				bodies[m.uid] = b
			} else {
				b.free()
			}
		}
		e.digest1(&m)
		out = append(out, m)
	}
	if err := cmd.Close(); err != nil {
		return fail(err)
	}
	slices.SortFunc(out, func(a, b meta) int { return int(a.uid) - int(b.uid) })
	return out, bodies, nil
}

// The flags of host1's changed messages are set on host2 in host2's read
// (send2), after the FETCH of their host2 flags, rather than in a second
// opening of the folder at the execution (storeBatch). The flags are set
// whole (STORE FLAGS), so setting them again, or where they are set
// already, changes nothing; a wrong guess is undone. Before the SELECT's
// answer they are worked out without host2's PERMANENTFLAGS: where it
// turns out to drop some of them, planIncr plans those pairs' stores
// again, as usual. As for storeBatch's STOREs, written before the
// SELECT's answer is read, the folder is the one STATUS checked a round
// trip before (same UIDVALIDITY, UIDNEXT and MESSAGES); a folder that
// SELECT then finds changed goes to the full analysis, which compares
// every flag.
//
// This is done only where CONDSTORE names the few changed messages, and
// never for a plan that is not carried out (--dry, the --just modes) nor
// when labels decide flags after the analysis.

// earlyStores reports whether host2's read of in's folder sets its flags
// (see above).
func (e *engine) earlyStores(in *incr) bool {
	o := &e.opts
	return !o.Dry && !o.JustFolderSizes && !o.JustFolders && !o.JustAutomap && o.ResyncFlags &&
		e.labelsMode() == "" && !e.labelsOn() && !in.flagsAll2 && len(in.pairs) > 0 && len(in.pairs) <= earlyStoresMax
}

// earlyStoresMax is the most flag changes of a folder set in host2's read.
const earlyStoresMax = 5000

// earlyStoreSets returns the flags host2's read sets for each pair of in
// (host1's flags for host2, PERMANENTFLAGS not known yet), by host2 UID,
// and the same grouped by flags: one UID STORE each.
func (e *engine) earlyStoreSets(fp *folderPlan, in *incr) (to map[imap.UID][]imap.Flag, sets []imap.UIDSet, flags [][]imap.Flag) {
	to = make(map[imap.UID][]imap.Flag, len(in.pairs))
	groups := map[string]int{}
	u1s := slices.Sorted(maps.Keys(in.pairs))
	for _, u1 := range u1s {
		u2 := in.pairs[u1]
		f := e.flagsFor2With(fp, in.flags1[u1], nil)
		to[u2] = f
		k := joinFlags(f)
		i, ok := groups[k]
		if !ok {
			i = len(sets)
			groups[k] = i
			sets, flags = append(sets, imap.UIDSet{}), append(flags, f)
		}
		sets[i].AddNum(u2)
	}
	return to, sets, flags
}
