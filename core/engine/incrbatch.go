package engine

import (
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"slices"
	"sync"

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
// trip), host2's read of each written as soon as host1's answers for it
// are in (stream2). Each folder is opened once on each side: the new
// messages' bodies come with their headers (earlyBodies), and the flags
// host1 changed are set on host2 in host2's read (earlyStores), so that
// the execution needs neither folder open again before its APPENDs. A
// folder the batch cannot settle (a refused SELECT, a folder that moved,
// anything that needs the full analysis) is left to the usual per-folder
// analysis, which reports it.

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
	return w.flightsThen(ctx, s, folders, sends, nil)
}

// folderFlight is one folder's commands in a pipelined read: its SELECT,
// the read written behind it, and the UNSELECT that closes it.
type folderFlight struct {
	sel   *imapclient.SelectCommand
	read  func(*imap.SelectData) error
	unsel *imapclient.Command
}

// sendFlight writes on c, without waiting, the SELECT of folder on side s
// (read-only on host1 unless it is written to), send's commands and an
// UNSELECT.
func (w *worker) sendFlight(c *conn.Conn, s side, folder string, send func(*conn.Conn) func(*imap.SelectData) error) folderFlight {
	f := folderFlight{sel: c.Select(folder, &imap.SelectOptions{ReadOnly: s == host1 && !w.e.opts.writes1()})}
	f.read = send(c)
	f.unsel = c.Unselect()
	return f
}

// wait reads f's answers in order. It returns the folder's error (its
// SELECT's and its read's) and every error met, the UNSELECT's too. It
// sets *left to folder when the folder stays selected (SELECT answered,
// UNSELECT failed), and clears it when the UNSELECT succeeded.
func (f folderFlight) wait(folder string, left *string) (folderErr, all error) {
	data, selErr := f.sel.Wait()
	if selErr != nil {
		data = nil
	}
	rerr := f.read(data)
	uerr := f.unsel.Wait()
	switch {
	case uerr == nil:
		*left = ""
	case selErr == nil:
		*left = folder
	}
	return errors.Join(selErr, rerr), errors.Join(selErr, rerr, uerr)
}

// flightsThen is flights, calling then (when not nil) with each folder's
// index and error as soon as its answers are read, while the next
// folders' answers are still coming; not for a folder whose answers were
// lost with the connection (the batch is then sent again, and then called
// again for the folders read).
func (w *worker) flightsThen(ctx context.Context, s side, folders []string, sends []func(*conn.Conn) func(*imap.SelectData) error, then func(int, error)) (piped bool, errs []error, err error) {
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
		fl := make([]folderFlight, len(folders))
		for i, name := range folders {
			fl[i] = w.sendFlight(c, s, name, sends[i])
		}
		left := "" // the folder still selected once all is read
		for i, f := range fl {
			var all error
			errs[i], all = f.wait(folders[i], &left)
			if !alive(c) {
				// Every later answer is lost too: the whole batch again.
				for j := range errs {
					errs[j] = nil
				}
				if all != nil {
					return all
				}
				return net.ErrClosed
			}
			if then != nil {
				then(i, errs[i])
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
//
// Host2's read of a folder (send2) is written as soon as host1's answers
// for it are read and decided (stream2), while host1 still works on the
// next folders: the two servers work at the same time, and host2's reads
// take no round trip of their own. When host1's connection is lost and
// its batch read again, or host2's streamed reads do not all come back,
// host2 is read for the folders left with flights, after host1.
func (e *engine) incrementalFlights(ctx context.Context, main *worker, fps []*folderPlan) (done []*folderPlan) {
	partial, reserved := e.earlyBodies(fps)
	ins := make([]*incr, len(fps))
	defer func() { e.keepEarly(fps, ins, done, reserved) }()
	st := e.startStream2(ctx, main, fps, ins)
	names := make([]string, len(fps))
	sends := make([]func(*conn.Conn) func(*imap.SelectData) error, len(fps))
	for i, fp := range fps {
		in := &incr{}
		ins[i], names[i] = in, fp.h1
		sends[i] = func(c *conn.Conn) func(*imap.SelectData) error {
			if in.sent {
				// Host1's batch sent again: host2's streamed reads, made
				// from the first answers, are dropped.
				st.abort()
			}
			in.sent = true
			return e.send1(c, fp, in, partial)
		}
	}
	// What each folder needs of host2, once host1 is read: 0 nothing
	// (read again by the per-folder analysis), 1 settled without host2,
	// 2 host2 read.
	need := make([]int, len(fps))
	decide := func(i int, err error) {
		fp, in := fps[i], ins[i]
		need[i] = 0
		switch {
		case errors.Is(err, errNotIncremental):
			fp.incremental = false
		case err != nil || in.needSearch:
			// Read again, and reported, by the per-folder analysis.
		default:
			if err := e.decideIncr(fp, in); err != nil {
				fp.incremental = false
				return
			}
			need[i] = 1
			if in.needs2() {
				need[i] = 2
			}
		}
	}
	piped, errs, err := main.flightsThen(ctx, host1, names, sends, func(i int, err error) {
		st.push(i, func() bool { decide(i, err); return need[i] == 2 })
	})
	streamed := st.finish()
	if err != nil || !piped {
		return nil
	}
	var two, ok []int // the folders host2 is read for; those settled
	for i := range fps {
		r, isStreamed := streamed[i]
		if !isStreamed {
			decide(i, errs[i]) // not decided while streaming
		}
		switch {
		case need[i] == 1:
			ok = append(ok, i)
		case need[i] != 2:
		case !isStreamed || r.lost:
			two = append(two, i)
		case errors.Is(r.err, errNotIncremental):
			fps[i].incremental = false
		case r.err == nil:
			ok = append(ok, i)
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
	slices.Sort(ok)
	for _, i := range ok {
		fp := fps[i]
		e.planIncr(fp, ins[i])
		fp.analyzed = true
		done = append(done, fp)
	}
	return done
}

// stream2 writes host2's reads of incrementalFlights' folders on main's
// host2 connection as host1's answers come (push), and reads their
// answers in order, as flights does: SELECT, send2's commands, UNSELECT,
// with no folder selected before or after.
type stream2 struct {
	e   *engine
	w   *worker
	fps []*folderPlan
	ins []*incr

	mu      sync.Mutex
	ch      chan int // folders to read; nil once closed
	aborted bool
	res     map[int]stream2Result
	done    chan struct{}
}

// stream2Result is a streamed read's outcome: err is the folder's error
// (as flights' errs); lost is set when its answers were lost with the
// connection, or never sent.
type stream2Result struct {
	err  error
	lost bool
}

// startStream2 starts host2's streamed reads for fps; nothing is sent
// when host2's connections are bounded (its dial may close others).
func (e *engine) startStream2(ctx context.Context, w *worker, fps []*folderPlan, ins []*incr) *stream2 {
	st := &stream2{e: e, w: w, fps: fps, ins: ins, res: map[int]stream2Result{}, done: make(chan struct{})}
	if e.maxConns(host2) != 0 || e.turnLimit() != 0 {
		st.aborted = true
		close(st.done)
		return st
	}
	ch := make(chan int, len(fps))
	st.ch = ch
	go func() {
		defer close(st.done)
		st.run(ctx, ch)
	}()
	return st
}

// push decides folder i (decide reports whether host2 is to be read for
// it) and sends host2's read; it reports false, deciding nothing, once
// the stream is aborted or finished (the caller then decides after).
func (st *stream2) push(i int, decide func() bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.aborted || st.ch == nil {
		return false
	}
	if decide() {
		st.res[i] = stream2Result{lost: true} // until its answers are read
		st.ch <- i
	} else {
		st.res[i] = stream2Result{}
	}
	return true
}

// abort stops the stream and waits for its reads to end: their results,
// and the folders decided while streaming, are dropped.
func (st *stream2) abort() {
	st.mu.Lock()
	st.aborted = true
	if st.ch != nil {
		close(st.ch)
		st.ch = nil
	}
	st.mu.Unlock()
	<-st.done
}

// finish ends the stream, waits for its reads, and returns the folders
// decided while streaming with, for those host2 was read for, the
// outcome (nil when the stream was aborted).
func (st *stream2) finish() map[int]stream2Result {
	st.mu.Lock()
	if st.ch != nil {
		close(st.ch)
		st.ch = nil
	}
	st.mu.Unlock()
	<-st.done
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.aborted {
		return nil
	}
	return st.res
}

// run writes each folder pushed on ch's read and reads the answers in
// order.
func (st *stream2) run(ctx context.Context, ch <-chan int) {
	e, w := st.e, st.w
	drain := func() {
		for range ch {
		}
	}
	c, err := w.client(ctx, host2)
	if err != nil || !c.Caps().Has(imap.CapUnselect) {
		drain() // each one lost: read after host1, with flights
		return
	}
	if w.sel[host2] != "" {
		if err := c.Unselect().Wait(); err != nil {
			drain()
			return
		}
		w.sel[host2] = ""
	}
	type flight struct {
		i int
		folderFlight
	}
	q := make(chan flight, len(st.fps))
	left := "" // the folder still selected once all is read
	var rd sync.WaitGroup
	rd.Go(func() {
		dead := false
		for f := range q {
			if dead {
				continue // lost: read again after host1
			}
			ferr, all := f.wait(st.fps[f.i].h2, &left)
			if !alive(c) || connLost(all) {
				// This folder's answers, and every later one, lost:
				// read again after host1.
				dead = true
				continue
			}
			st.mu.Lock()
			st.res[f.i] = stream2Result{err: ferr}
			st.mu.Unlock()
		}
	})
	for i := range ch {
		if !alive(c) {
			continue // lost: read again after host1
		}
		fp, in := st.fps[i], st.ins[i]
		q <- flight{i, w.sendFlight(c, host2, fp.h2, func(c *conn.Conn) func(*imap.SelectData) error {
			return e.send2(c, fp, in, e.earlyStores(in))
		})}
	}
	close(q)
	rd.Wait()
	if alive(c) {
		w.sel[host2] = left
	} else {
		w.sel[host2] = ""
	}
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
	if !e.opts.copiesMessages() {
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
	return o.copiesMessages() && o.ResyncFlags &&
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
