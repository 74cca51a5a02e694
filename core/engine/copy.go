package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/dates"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/journal"
	"github.com/imapshift/imapshift/core/report"
)

// fetched is one body read from host1, ready to append.
type fetched struct {
	item copyItem
	body *body
	held int64 // budget held until the APPEND is written
	// subject, date and messageID are kept for the error message of a
	// refused APPEND, which arrives after the body is released.
	subject, date, messageID string
}

// batchMsgs bounds the messages of one body FETCH.
const batchMsgs = 64

// copyChunk copies items (all from fr) with w's host1 connection and
// Appender: bodies are fetched in batches into the spool while the
// previous batch is being appended. Items whose APPEND outcome is unknown
// after a lost connection are checked against host2 and copied again only
// when missing.
//
// --reconnectretry2 counts passes that make no progress: a link that
// keeps dropping but moves some messages each time goes on until done.
// Before host2 is read for the items in doubt, its folder must be quiet:
// APPENDs written before the cut may still be being stored.
func (e *engine) copyChunk(ctx context.Context, w *worker, fr *folderRun, items []copyItem) {
	e.copyEnd(ctx, w, e.copyBegin(ctx, w, fr, items))
}

// copyTail is a copy job whose first pass has been carried out up to the
// writing of its APPENDs: their answers may still be on the way.
type copyTail struct {
	fr    *folderRun
	items []copyItem
	first *copyPass
}

// copyBegin runs the first pass of copyChunk up to the writing of the
// last APPEND, and returns without waiting for host2's answers: copyEnd
// waits for them and carries out the rest of copyChunk. The worker may run
// another job in between (its APPENDs follow on the same Appender).
func (e *engine) copyBegin(ctx context.Context, w *worker, fr *folderRun, items []copyItem) *copyTail {
	t := &copyTail{fr: fr, items: items}
	if len(items) > 0 && ctx.Err() == nil {
		// MULTIAPPEND on the first pass only: retries go one by one.
		t.first = e.copyStart(ctx, w, fr, items, e.opts.MultiAppend)
	}
	return t
}

// copyEnd waits for the answers to the APPENDs of copyBegin, then checks
// and copies again what needs it (see copyChunk), with w's connections.
func (e *engine) copyEnd(ctx context.Context, w *worker, t *copyTail) {
	fr, items, first := t.fr, t.items, t.first
	var doubt []copyItem // sent, outcome unknown
	for pass, idle := 0, 0; first != nil || (idle <= e.servers[host2].retries && ctx.Err() == nil); pass++ {
		var unknown []copyItem
		var throttled bool
		if first != nil {
			// The first pass is under way: its answers are always waited
			// for, even after a stop, so that every copy is recorded.
			unknown, throttled = first.finish(w)
			first = nil
		} else {
			if len(doubt) > 0 {
				e.waitQuietFolder(ctx, w, fr.h2, settleQuick)
				missing, err := e.stillMissing(ctx, w, fr, doubt)
				if err != nil {
					idle++ // host2 could not be read: look again, never resend blind
					continue
				}
				if len(missing) < len(doubt) {
					idle = 0
				}
				items, doubt = missing, nil
			}
			if len(items) == 0 {
				return
			}
			unknown, throttled = e.copyOnce(ctx, w, fr, items, false)
		}
		switch {
		case len(unknown) < len(items):
			idle = 0
		case !throttled:
			// A throttled pass is not a failure: the next Appender waits
			// the backoff host2 asked for (bounded by ThrottleMax).
			idle++
		}
		items, doubt = nil, unknown
		// Whatever happens to them now, these APPENDs may land late: the
		// duplicate check after the copies looks at their keys.
		keys := make([]string, len(unknown))
		for i, it := range unknown {
			keys[i] = fr.copyKey(it)
		}
		e.doubts.add(fr.h2, fr.validity2, fr.uidNext2, keys)
	}
	if ctx.Err() != nil {
		return
	}
	for _, it := range append(items, doubt...) {
		e.setAside(fr, it, report.ClassAppend, conn.ErrOutcomeUnknown)
	}
}

// copyOnce runs the fetch/append pipeline once and returns the items whose
// outcome is unknown, and whether host2 asked to back off (throttling).
func (e *engine) copyOnce(ctx context.Context, w *worker, fr *folderRun, items []copyItem, multi bool) ([]copyItem, bool) {
	return e.copyStart(ctx, w, fr, items, multi).finish(w)
}

// copyPass is one run of the fetch/append pipeline whose APPENDs are all
// written; finish waits for their answers.
type copyPass struct {
	mu        sync.Mutex
	unknown   []copyItem // guarded by mu
	pending   sync.WaitGroup
	throttled atomic.Bool
}

// finish waits for the answers to the pass's APPENDs and returns the
// items whose outcome is unknown, and whether host2 asked to back off.
func (p *copyPass) finish(w *worker) ([]copyItem, bool) {
	p.pending.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unknown, p.throttled.Load()
}

// window is the bound on w's APPEND bytes not yet answered
// (Options.MaxInFlight), shared by the passes of all its jobs: they write
// to the same Appender.
func (w *worker) window() *byteWindow {
	if w.win == nil {
		w.win = newByteWindow(w.e.opts.maxInFlight())
	}
	return w.win
}

// copyStart runs the fetch/append pipeline once, up to the writing of the
// last APPEND.
func (e *engine) copyStart(ctx context.Context, w *worker, fr *folderRun, items []copyItem, multi bool) *copyPass {
	ready := make(chan fetched, batchMsgs)
	p := &copyPass{}
	pending, throttled := &p.pending, &p.throttled
	window := w.window()
	lost := func(it copyItem) {
		p.mu.Lock()
		p.unknown = append(p.unknown, it)
		p.mu.Unlock()
	}
	// Bodies fetched ahead are in ready before the first is taken, so
	// that one MULTIAPPEND carries them (drainBatch takes what is there),
	// not as many as the race of the two goroutines would make.
	items = e.deliverPrefetched(fr, items, ready, cap(ready))
	go func() {
		defer close(ready)
		e.fetchBodies(ctx, w, fr, items, ready)
	}()
	broken := false
	settled, missing2 := false, false
	for f := range ready {
		if broken || ctx.Err() != nil {
			e.releaseFetched(f)
			lost(f.item)
			continue
		}
		if !settled {
			// The bodies may be fetched while the folder is being created:
			// the APPENDs wait for it, and are not made when it could not
			// be (the folder is then reported as left out).
			settled = true
			missing2 = !e.waitSettled(ctx, fr) && ctx.Err() == nil
		}
		if missing2 {
			e.releaseFetched(f)
			continue
		}
		app, err := w.appender(ctx)
		if err != nil {
			e.releaseFetched(f)
			lost(f.item)
			broken = true
			continue
		}
		batch := []fetched{f}
		if multi && app.Multi() {
			batch = drainBatch(batch, ready)
		}
		var send []fetched
		var msgs []conn.Message
		var batchBytes int64
		for _, f := range batch {
			if e.opts.DebugContent {
				e.debugContent(fr, f)
			}
			r, err := f.body.Reader()
			switch {
			case err != nil:
				e.releaseFetched(f)
				e.msgFail(fr, report.ClassFetch, fmt.Sprintf("- msg %s/%d {%d} could not be fetched: spool: %v", fr.h1, f.item.uid, f.item.size, err))
				continue
			case e.checkExitWhenOver(e.exec.stats.sent.Load() + batchBytes):
				e.releaseFetched(f)
				continue
			}
			batchBytes += f.body.Len()
			if slept, err := e.throttle.wait(ctx, f.body.Len(), e.exec.stats.bytes.Load()); err != nil {
				e.releaseFetched(f)
				lost(f.item)
				continue
			} else if slept >= 10*time.Millisecond {
				e.say("sleeping %.2f s", slept.Seconds())
			}
			send = append(send, f)
			msgs = append(msgs, conn.Message{Flags: flagStrings(f.item.flags()), Date: f.item.date(), Size: f.body.Len(), Body: r})
		}
		if len(send) == 0 {
			continue
		}
		keys := make([]string, len(send))
		for i, f := range send {
			keys[i] = fr.copyKey(f.item)
		}
		// Keys the journal has recorded ahead (executeBatch) are not
		// recorded again: that record is settled once the folder's
		// APPENDs are all answered (settleAhead).
		ahead := fr.coveredAhead(keys)
		var jb journal.Batch
		var jerr error
		if !ahead {
			jb, jerr = e.inflight.sending(fr, keys)
		}
		if jerr != nil {
			// Nothing is sent that the journal does not know of.
			for _, f := range send {
				e.releaseFetched(f)
				e.msgFail(fr, report.ClassAppend, fmt.Sprintf("- msg %s/%d {%d} could not append to folder %s: %v", fr.h1, f.item.uid, f.item.size, fr.h2, jerr))
			}
			continue
		}
		held := window.acquire(batchBytes)
		pending.Add(1)
		answered := e.appendTimer()
		err = e.changes.appendMany(app, fr.h2, msgs, func(results []conn.AppendResult) {
			defer pending.Done()
			answered()
			defer window.release(held)
			inDoubt := false
			defer func() {
				switch {
				case ahead && inDoubt:
					fr.aheadDoubt.Store(true)
				case !inDoubt && !ahead:
					e.inflight.settled(jb)
				}
			}()
			for i, res := range results {
				f := send[i]
				switch {
				case res.Err == nil:
					e.copied(fr, f, res.UID, res.UIDValidity)
				case isThrottle(res.Err):
					// Not stored: sent again once host2's backoff is over.
					throttled.Store(true)
					lost(f.item)
				case errors.Is(res.Err, conn.ErrOutcomeUnknown):
					inDoubt = true
					e.poison.tried(fr.h1, f, res.Err)
					lost(f.item)
				case e.tokenEnded(host2, res.Err):
					// Not stored: host2 ended the session (its token
					// expired); sent again on a new connection.
					lost(f.item)
				case len(send) > 1:
					// A refused MULTIAPPEND stores nothing; the messages are
					// tried again one by one, which finds the culprit.
					lost(f.item)
				case transient(res.Err):
					// "Server Unavailable" and the like: try again, a
					// bounded number of times.
					e.poison.tried(fr.h1, f, res.Err)
					lost(f.item)
				default:
					// Refused outright (too big, a line too long...): no
					// second try; listed with the server's answer.
					e.poison.tried(fr.h1, f, res.Err)
					e.poison.giveUp(fr.h1, f.item, res.Err)
					e.appendFailed(fr, f, res.Err)
				}
			}
		})
		// Once written, the bodies are not needed any more: an APPEND whose
		// outcome is lost is fetched again.
		for _, f := range send {
			e.exec.stats.sent.Add(f.body.Len())
			e.releaseFetched(f)
		}
		e.checkExitWhenOver(e.exec.stats.sent.Load())
		if err != nil {
			// The callback will not run: the connection broke while the
			// command was being written.
			window.release(held)
			pending.Done()
			if ahead {
				fr.aheadDoubt.Store(true)
			}
			if isThrottle(err) {
				throttled.Store(true)
			}
			for _, f := range send {
				e.poison.tried(fr.h1, f, err)
				lost(f.item)
			}
			broken = true
		}
	}
	if broken {
		// Its pending APPENDs are answered as of unknown outcome. w.app
		// is nil when the Appender could not be opened at all.
		w.closeAppender()
	}
	return p
}

func isThrottle(err error) bool {
	_, ok := conn.IsThrottle(err)
	return ok
}

// MULTIAPPEND batches are bounded in messages and bytes.
const (
	multiMsgs  = 32
	multiBytes = 8 << 20
)

// drainBatch adds to batch the fetched messages already waiting in ready,
// within the MULTIAPPEND bounds, without waiting for more.
func drainBatch(batch []fetched, ready <-chan fetched) []fetched {
	size := batch[0].body.Len()
	for len(batch) < multiMsgs && size < multiBytes {
		select {
		case f, ok := <-ready:
			if !ok {
				return batch
			}
			batch = append(batch, f)
			size += f.body.Len()
		default:
			return batch
		}
	}
	return batch
}

func (e *engine) releaseFetched(f fetched) {
	f.body.free()
	e.spool.release(f.held)
}

// fetchBodies streams the bodies of items from host1 into ready, in
// batches whose memory is reserved before the FETCH is sent. Each body
// goes to ready as soon as it is read, so that its APPEND is written
// while the rest of the batch is still arriving.
//
// Two batches are in flight on the connection at once (bodyFetches), so
// that the next batch's bodies are on their way while this one's arrive:
// the link does not idle for a round trip between batches. The first
// FETCH follows the folder's SELECT without waiting for its answer. Each
// FETCH in flight is read by its own goroutine (the server may interleave
// their answers, and go-imap's reader waits until a literal is read), and
// the batches' UIDs are disjoint. Once a pipelined FETCH (or the SELECT
// before it) failed, the FETCHes in flight are waited for, the failed
// batches are fetched again as before (fetchBatch: with a SELECT of their
// own, without the UIDs already delivered), and the rest of the items go
// one FETCH at a time.
func (e *engine) fetchBodies(ctx context.Context, w *worker, fr *folderRun, items []copyItem, ready chan<- fetched) {
	items = e.deliverPrefetched(fr, items, ready, len(items))
	share := e.spool.budget / int64(2*e.opts.parallel())
	var wg sync.WaitGroup
	slots := make(chan struct{}, bodyFetches)
	var sel *pendingSelect  // the SELECT the FETCHes in flight follow
	var failed []*bodyBatch // pipelined batches to fetch again; guarded by mu
	var mu sync.Mutex       // guards failed
	pipeOK := true          // the connection may take pipelined FETCHes
	// settle waits for the FETCHes in flight, then fetches again, one at
	// a time, the batches whose pipelined FETCH failed (their budget is
	// still reserved) and ends pipelining.
	settle := func() {
		wg.Wait()
		if sel != nil {
			if sel.wait() == nil && alive(w.conns[host1]) {
				w.sel[host1] = fr.h1
			} else {
				w.sel[host1] = ""
			}
			sel = nil
		}
		for _, b := range failed {
			if ctx.Err() == nil {
				b.err = e.fetchBatch(ctx, w, fr, b, ready, b.err)
			}
			e.finishBatch(fr, b)
		}
		failed = nil
	}
	for len(items) > 0 && ctx.Err() == nil {
		n, mem := 0, int64(0)
		for n < len(items) && n < batchMsgs {
			if sz := e.spool.cost(items[n].size); sz > 0 {
				if n > 0 && mem+sz > share {
					break
				}
				mem += sz
			}
			n++
		}
		b := newBodyBatch(items[:n], mem)
		items = items[n:]
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		mu.Lock()
		broke := len(failed) > 0
		mu.Unlock()
		if broke && pipeOK {
			// A pipelined FETCH failed: its batch holds budget the next
			// one may wait for. The rest goes one FETCH at a time.
			settle()
			pipeOK = false
		}
		if err := e.spool.reserve(ctx, mem); err != nil {
			<-slots
			continue
		}
		var c *conn.Conn
		var fetch *imapclient.FetchCommand
		if pipeOK {
			before := sel
			c, fetch, sel = e.sendBodyFetch(ctx, w, fr, b, sel)
			b.ownSelect = sel != before
		}
		if fetch == nil {
			// Not pipelined (no live connection at hand, or a FETCH
			// failed): fetched as each FETCH reconnects.
			if pipeOK {
				settle()
				pipeOK = false
			}
			b.err = e.fetchBatch(ctx, w, fr, b, ready, nil)
			e.finishBatch(fr, b)
			<-slots
			continue
		}
		wg.Add(1)
		go func(s *pendingSelect) {
			defer wg.Done()
			defer func() { <-slots }()
			b.conn = c
			var failedNow bool
			if err := s.wait(); err != nil {
				fetch.Close() // its answers may be about another folder
				// The SELECT is the attempt of the batch sent with it; the
				// others behind it have not had theirs.
				if b.ownSelect {
					b.err = err
				}
				failedNow = true
			} else {
				b.err = e.readBatch(c.Client, fetch, b, func(it copyItem, bd *body) { e.deliverBody(fr, b, it, bd, ready) })
				failedNow = b.err != nil
			}
			if failedNow {
				mu.Lock()
				failed = append(failed, b)
				mu.Unlock()
				return
			}
			e.finishBatch(fr, b)
		}(sel)
	}
	settle()
}

// bodyFetches is how many body FETCHes a worker keeps in flight.
const bodyFetches = 2

// bodyBatch is one FETCH's worth of fetchBodies: its items, the memory
// reserved for them, and what came back. One goroutine at a time uses
// it.
type bodyBatch struct {
	items []copyItem
	byUID map[imap.UID]copyItem
	got   map[imap.UID]bool
	// mem is the budget reserved for the batch, spent what the bodies
	// delivered hold of it.
	mem, spent int64
	// err is the last FETCH's (or SELECT's) error.
	err error
	// conn is the connection of its pipelined FETCH; ownSelect is set
	// when the SELECT before that FETCH was sent with it.
	conn      *conn.Conn
	ownSelect bool
}

func newBodyBatch(items []copyItem, mem int64) *bodyBatch {
	b := &bodyBatch{items: items, mem: mem, byUID: make(map[imap.UID]copyItem, len(items)), got: map[imap.UID]bool{}}
	for _, it := range items {
		b.byUID[it.uid] = it
	}
	return b
}

// missing returns the batch's items not delivered yet.
func (b *bodyBatch) missing() []copyItem {
	out := b.items[:0:0]
	for _, it := range b.items {
		if !b.got[it.uid] {
			out = append(out, it)
		}
	}
	return out
}

// pendingSelect is a SELECT sent ahead of FETCHes: wait returns its
// outcome, the same to every caller.
type pendingSelect struct {
	once sync.Once
	cmd  *imapclient.SelectCommand
	err  error
}

func (p *pendingSelect) wait() error {
	if p == nil {
		return nil
	}
	p.once.Do(func() {
		if p.cmd != nil {
			_, p.err = p.cmd.Wait()
		}
	})
	return p.err
}

// sendBodyFetch sends the UID FETCH of b's bodies on w's host1
// connection, after a SELECT of fr's folder when the connection has
// another one selected (sel is then the new pending SELECT; one already
// sent is kept). It returns the connection and the FETCH, nil when no
// live connection was at hand.
func (e *engine) sendBodyFetch(ctx context.Context, w *worker, fr *folderRun, b *bodyBatch, sel *pendingSelect) (*conn.Conn, *imapclient.FetchCommand, *pendingSelect) {
	c := w.conns[host1]
	if sel == nil && (w.sel[host1] != fr.h1 || !alive(c)) {
		var err error
		if c, err = w.client(ctx, host1); err != nil {
			return nil, nil, sel
		}
		w.sel[host1] = ""
		sel = &pendingSelect{cmd: c.Select(fr.h1, &imap.SelectOptions{ReadOnly: !e.opts.writes1()})}
	}
	if !alive(c) {
		return nil, nil, sel
	}
	return c, sendBodies(c.Client, b.items), sel
}

// fetchBatch fetches the bodies of b not delivered yet, with a SELECT
// first when needed, again after a lost connection while each attempt
// brings bodies (a link that keeps dropping but keeps moving gets
// through); it returns the last error. first, when not nil, is the
// outcome of an attempt already made (the pipelined FETCH): it is handled
// as a failed attempt (worker.retry: reconnection, throttling, token
// end), unless it is a lost connection that has been replaced since.
func (e *engine) fetchBatch(ctx context.Context, w *worker, fr *folderRun, b *bodyBatch, ready chan<- fetched, first error) error {
	if first != nil && connLost(first) && w.conns[host1] != b.conn {
		first = nil
	}
	var err error
	for more := true; more; {
		n := len(b.got)
		err = w.retry(ctx, host1, func() error {
			if first != nil {
				f := first
				first = nil
				return f
			}
			if w.sel[host1] != fr.h1 || !alive(w.conns[host1]) {
				if _, err := w.selectFolder(ctx, host1, fr.h1); err != nil {
					return err
				}
			}
			missing := b.missing()
			if len(missing) == 0 {
				return nil
			}
			c := w.conns[host1]
			return e.readBatch(c.Client, sendBodies(c.Client, missing), b, func(it copyItem, bd *body) { e.deliverBody(fr, b, it, bd, ready) })
		})
		more = err != nil && connLost(err) && ctx.Err() == nil && len(b.got) > n
	}
	return err
}

// deliverBody hands one body of b on to ready (deliver: the copy hooks
// may change or drop it); it runs as each message is complete.
func (e *engine) deliverBody(fr *folderRun, b *bodyBatch, it copyItem, bd *body, ready chan<- fetched) {
	// The budget was reserved for the size announced by host1.
	held := e.spool.cost(it.size)
	if e.deliver(fr, it, bd, held, ready) {
		b.spent += held
	}
}

// finishBatch reports the items of b that could not be fetched and gives
// back the budget their bodies did not take.
func (e *engine) finishBatch(fr *folderRun, b *bodyBatch) {
	for _, it := range b.items {
		if b.got[it.uid] {
			continue
		}
		msg := "no data returned"
		if b.err != nil {
			msg = b.err.Error()
		}
		e.msgFail(fr, classOf(report.ClassFetch, b.err), fmt.Sprintf("- msg %s/%d {%d} S[%d] F[%s] I[%s] could not be fetched: %s", fr.h1, it.uid, it.size, it.size, joinFlags(it.flags()), it.date().Format(dates.IMAPLayout), msg))
	}
	if b.spent < b.mem {
		e.spool.release(b.mem - b.spent)
	}
}

// deliver hands one body of fr on to its APPENDs (the copy hooks may
// change or drop it), holding held bytes of the budget until its APPEND
// is written. It reports false when the hooks dropped it (the caller then
// gives held back).
func (e *engine) deliver(fr *folderRun, it copyItem, b *body, held int64, ready chan<- fetched) bool {
	if e.hooks.atCopy() {
		nb, keep, changedBy := e.applyCopyHooks(fr, it, b)
		if !keep {
			b.free()
			return false
		}
		if len(changedBy) > 0 {
			b = nb
			it.size = b.size
			fr.mu.Lock()
			fr.rewritten++
			fr.mu.Unlock()
		}
	}
	head := b.Head(4096)
	subject, date, messageID := headerSummary(head)
	ready <- fetched{item: it, body: b, held: held, subject: subject, date: date, messageID: messageID}
	return true
}

// fetchInto runs one UID FETCH BODY.PEEK[] for items and hands each body
// to got once its message is complete (the UID may arrive after the
// literal); got owns the body.
func (e *engine) fetchInto(c *imapclient.Client, items []copyItem, got func(imap.UID, *body)) error {
	return e.readBodies(c, sendBodies(c, items), got)
}

// sendBodies sends the UID FETCH BODY.PEEK[] of items; readBodies reads
// its answers.
func sendBodies(c *imapclient.Client, items []copyItem) *imapclient.FetchCommand {
	var set imap.UIDSet
	for _, it := range items {
		set.AddNum(it.uid)
	}
	return c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
}

// readBatch reads the answers of a body FETCH of b's items (readBodies)
// and hands each body of an item not delivered yet to deliver; deliver
// owns the body.
func (e *engine) readBatch(c *imapclient.Client, cmd *imapclient.FetchCommand, b *bodyBatch, deliver func(copyItem, *body)) error {
	return e.readBodies(c, cmd, func(uid imap.UID, bd *body) {
		it, ok := b.byUID[uid]
		if !ok || b.got[uid] {
			bd.free()
			return
		}
		b.got[uid] = true
		deliver(it, bd)
	})
}

// readBodies reads the answers of sendBodies as fetchInto does.
func (e *engine) readBodies(c *imapclient.Client, cmd *imapclient.FetchCommand, got func(imap.UID, *body)) error {
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var uid imap.UID
		var b *body
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				nb, err := e.spool.read(it.Literal, it.Literal.Size())
				if err != nil {
					// A short literal means the connection is gone; go-imap's
					// command cannot be drained safely then: drop the client
					// (the caller reconnects).
					c.Close()
					return err
				}
				if b != nil {
					b.free() // a second body for one message: keep the last
				}
				b = nb
			}
		}
		if b == nil {
			continue
		}
		if uid == 0 {
			b.free()
			continue
		}
		got(uid, b)
	}
	return cmd.Close()
}

// stillMissing re-reads host2's keys for fr and returns the items that
// are not there. Items found are counted as copied. The error is non-nil
// when host2 could not be read: nothing is known then.
func (e *engine) stillMissing(ctx context.Context, w *worker, fr *folderRun, items []copyItem) ([]copyItem, error) {
	missing, found, err := e.onHost2(ctx, w, fr, items)
	if err != nil {
		return items, err
	}
	for i, uid2 := range found {
		e.copied(fr, fetched{item: items[i], body: &body{size: items[i].size}}, uint32(uid2), 0)
	}
	return missing, nil
}

// onHost2 reads host2's keys for fr and splits items into those missing
// there and those found (index in items → host2 UID). When host2 cannot be
// read, every item counts as missing and the error says why.
func (e *engine) onHost2(ctx context.Context, w *worker, fr *folderRun, items []copyItem) (missing []copyItem, found map[int]imap.UID, err error) {
	var metas []meta
	err = w.reselect(ctx, host2, fr.h2, func(c *conn.Conn, sel *imap.SelectData) (err error) {
		metas = nil
		if sel.NumMessages > 0 {
			metas, err = fetchMeta(c.Client, e.opts.Identity.HeaderFields(), e.digest2)
		}
		return err
	})
	if err != nil {
		return items, nil, err
	}
	present := map[string]imap.UID{}
	var rank identity.Ranker
	for _, m := range metas {
		if !m.hok {
			continue
		}
		key := m.hkey
		if e.opts.SyncDuplicates {
			key, _ = rank.Rank(key)
		}
		present[key] = m.uid
	}
	found = map[int]imap.UID{}
	for i, it := range items {
		if uid2, ok := present[fr.copyKey(it)]; ok {
			found[i] = uid2
			continue
		}
		missing = append(missing, it)
	}
	return missing, found, nil
}

// debugContent prints the bytes about to be appended (--debugcontent),
// between two marker lines.
func (e *engine) debugContent(fr *folderRun, f fetched) {
	r, err := f.body.Reader()
	if err != nil {
		return // the copy reports it
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sayLocked(fmt.Sprintf("Debug content: msg %s/%d {%d} begins", fr.h1, f.item.uid, f.body.Len()))
	io.Copy(e.out, r)
	e.sayLocked(fmt.Sprintf("\nDebug content: msg %s/%d ends", fr.h1, f.item.uid))
}

func joinFlags(flags []imap.Flag) string {
	s := make([]string, len(flags))
	for i, f := range flags {
		s[i] = string(f)
	}
	return strings.Join(s, " ")
}
