package engine

import (
	"context"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
)

// A plan carried out on main's connections (small: a rerun's few
// changes) would cost, folder by folder, a SELECT and a STORE on host2,
// then a SELECT and a body FETCH on host1: four round trips a folder, one
// after the other. executeBatch does that part of every folder at once,
// before the copy jobs: the STOREs of every folder written on host2 in
// one round trip (storeBatch) while the bodies of every copy are fetched
// from host1 in another (prefetch). The copy jobs then only write their
// APPENDs. What the batch does not settle (a folder whose SELECT or STORE
// failed, bodies that did not come or do not fit in half the body budget)
// is left to the jobs, which do it as usual and report it.

// prefetched is a body fetched ahead by prefetch and the budget it holds
// until its APPEND is written.
type prefetched struct {
	body *body
	held int64
}

// executeBatch runs storeBatch and prefetch for frs, at the same time on
// w's two connections; nothing when a host bounds its connections (a
// dial for one side may then close w's other connection to host2).
func (e *engine) executeBatch(ctx context.Context, w *worker, frs []*folderRun) {
	if e.turnLimit() != 0 {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { e.storeBatch(ctx, w, frs) })
	e.prefetch(ctx, w, frs)
	e.journalAhead(frs)
	wg.Wait()
}

// storeBatch sets the flags of every folder of frs on host2 (storeFlags)
// with w.flights: one round trip for all. A folder whose flags are set
// is marked storedBatch; the others are left to their store job.
func (e *engine) storeBatch(ctx context.Context, w *worker, frs []*folderRun) {
	var todo []*folderRun
	for _, fr := range frs {
		switch {
		case len(fr.stores) == 0:
		case fr.storedEarly:
			// Set in host2's read (earlyStores): said now.
			fr.storedBatch = true
			e.stored(fr, nil)
		case !fr.notCreated && e.waitSettled(ctx, fr):
			todo = append(todo, fr)
		}
	}
	for start := 0; start < len(todo) && ctx.Err() == nil; start += flightBatch {
		part := todo[start:min(start+flightBatch, len(todo))]
		names := make([]string, len(part))
		sends := make([]func(*conn.Conn) func(*imap.SelectData) error, len(part))
		for i, fr := range part {
			names[i] = fr.h2
			sets, flags := storeSets(fr)
			sends[i] = func(c *conn.Conn) func(*imap.SelectData) error {
				read := e.changes.sendStores(c, sets, flags)
				return func(*imap.SelectData) error { return read() }
			}
		}
		piped, errs, err := w.flights(ctx, host2, names, sends)
		if err != nil || !piped {
			return
		}
		for i, fr := range part {
			if errs[i] == nil {
				fr.storedBatch = true
				e.stored(fr, nil)
			}
		}
	}
}

// prefetch fetches, with w.flights on host1, the bodies of every copy of
// frs into their folders' pre, when they fit in half the body budget
// (reserved for them at once).
//
// The copies whose bodies are in pre already (read with their headers,
// earlyBodies) are not fetched again: a folder with none other is not
// opened.
func (e *engine) prefetch(ctx context.Context, w *worker, frs []*folderRun) {
	var todo []*folderRun
	var items [][]copyItem // of todo, those not in pre
	var total int64
	for _, fr := range frs {
		if len(fr.copies) == 0 || fr.notCreated {
			continue
		}
		var its []copyItem
		fr.mu.Lock()
		for _, it := range fr.copies {
			if _, ok := fr.pre[it.uid]; !ok {
				its = append(its, it)
				total += e.spool.cost(it.size)
			}
		}
		fr.mu.Unlock()
		if len(its) > 0 {
			todo, items = append(todo, fr), append(items, its)
		}
	}
	if len(todo) == 0 || total > e.spool.budget/2 || e.spool.reserve(ctx, total) != nil {
		return
	}
	var kept int64
	for start := 0; start < len(todo) && ctx.Err() == nil; start += flightBatch {
		part := todo[start:min(start+flightBatch, len(todo))]
		partItems := items[start:min(start+flightBatch, len(todo))]
		names := make([]string, len(part))
		sends := make([]func(*conn.Conn) func(*imap.SelectData) error, len(part))
		got := make([]map[imap.UID]prefetched, len(part))
		for i, fr := range part {
			names[i] = fr.h1
			its := partItems[i]
			size := make(map[imap.UID]int64, len(its))
			for _, it := range its {
				size[it.uid] = it.size
			}
			sends[i] = func(c *conn.Conn) func(*imap.SelectData) error {
				freePrefetched(got[i]) // from an attempt on a lost connection
				got[i] = nil
				cmd := sendBodies(c.Client, its)
				return func(sel *imap.SelectData) error {
					bodies := map[imap.UID]prefetched{}
					err := e.readBodies(c.Client, cmd, func(uid imap.UID, b *body) {
						sz, ok := size[uid]
						if _, twice := bodies[uid]; !ok || twice {
							b.free()
							return
						}
						bodies[uid] = prefetched{body: b, held: e.spool.cost(sz)}
					})
					if err != nil || sel == nil {
						freePrefetched(bodies)
						return err
					}
					got[i] = bodies
					return nil
				}
			}
		}
		piped, errs, err := w.flights(ctx, host1, names, sends)
		for i, fr := range part {
			if err != nil || !piped || errs[i] != nil {
				freePrefetched(got[i])
				continue
			}
			fr.mu.Lock()
			if fr.pre == nil {
				fr.pre = map[imap.UID]prefetched{}
			}
			for uid, p := range got[i] {
				if _, twice := fr.pre[uid]; twice {
					p.body.free()
					continue
				}
				fr.pre[uid] = p
				kept += p.held
			}
			fr.mu.Unlock()
		}
		if err != nil || !piped {
			break
		}
	}
	e.spool.release(total - kept)
}

// freePrefetched frees the bodies of m; their budget is not given back.
func freePrefetched(m map[imap.UID]prefetched) {
	for _, p := range m {
		p.body.free()
	}
}

// deliverPrefetched hands on to ready the bodies of items that prefetch
// fetched ahead (as fetchBodies does), at most max of them, and returns
// the items still to fetch.
func (e *engine) deliverPrefetched(fr *folderRun, items []copyItem, ready chan<- fetched, max int) []copyItem {
	fr.mu.Lock()
	if len(fr.pre) == 0 {
		fr.mu.Unlock()
		return items
	}
	taken := make(map[imap.UID]prefetched, len(items))
	for _, it := range items {
		if len(taken) == max {
			break
		}
		if p, ok := fr.pre[it.uid]; ok {
			taken[it.uid] = p
			delete(fr.pre, it.uid)
		}
	}
	fr.mu.Unlock()
	rest := items[:0:0]
	for _, it := range items {
		p, ok := taken[it.uid]
		if !ok {
			rest = append(rest, it)
			continue
		}
		if !e.deliver(fr, it, p.body, p.held, ready) {
			e.spool.release(p.held)
		}
	}
	return rest
}

// dropPrefetched frees the bodies fetched ahead that no copy job took
// (their folder left out, the run stopped) and gives their budget back.
func (e *engine) dropPrefetched() {
	for _, fr := range e.exec.folders {
		fr.mu.Lock()
		pre := fr.pre
		fr.pre = nil
		fr.mu.Unlock()
		for _, p := range pre {
			p.body.free()
			e.spool.release(p.held)
		}
	}
}

// journalAhead records in the journal, with one sync to disk, the keys of
// the bodies prefetch fetched for frs, before any is sent: the copy jobs
// then send them without a sync to disk each (coveredAhead).
func (e *engine) journalAhead(frs []*folderRun) {
	var with []*folderRun
	var keys [][]string
	for _, fr := range frs {
		fr.mu.Lock()
		var ks []string
		for _, it := range fr.copies {
			if _, ok := fr.pre[it.uid]; ok {
				ks = append(ks, fr.copyKey(it))
			}
		}
		fr.mu.Unlock()
		if len(ks) > 0 {
			with, keys = append(with, fr), append(keys, ks)
		}
	}
	if len(with) == 0 {
		return
	}
	bs := e.inflight.sendingAhead(with, keys)
	for i, b := range bs {
		fr := with[i]
		set := make(map[string]bool, len(keys[i]))
		for _, k := range keys[i] {
			set[k] = true
		}
		fr.mu.Lock()
		fr.ahead, fr.aheadKeys = b, set
		fr.mu.Unlock()
	}
}

// coveredAhead reports whether the journal recorded every one of keys
// ahead for fr (journalAhead).
func (fr *folderRun) coveredAhead(keys []string) bool {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.ahead == 0 {
		return false
	}
	for _, k := range keys {
		if !fr.aheadKeys[k] {
			return false
		}
	}
	return true
}

// settleAhead settles, once every copy job ended, the journal's records
// made ahead whose APPENDs all got an answer.
func (e *engine) settleAhead() {
	for _, fr := range e.exec.folders {
		if fr.ahead != 0 && !fr.aheadDoubt.Load() {
			e.inflight.settled(fr.ahead)
		}
	}
}
