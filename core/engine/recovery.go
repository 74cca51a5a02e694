package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/journal"
	"github.com/imapshift/imapshift/core/report"
)

// Pipelined APPENDs make a crash leave work behind on host2: what was
// written to host2's socket before the process died may still be stored
// after it died, possibly after the next run has read the folder. The
// journal (package journal) records every APPEND batch before it is sent
// and settles it once host2 has answered. This file is the engine's side
// of it: recording in flight (inflight), and the recovery a run performs
// when it finds batches of a dead run in doubt (recovery).

// Settling: host2's folder counts as quiet when MESSAGES and UIDNEXT are
// the same in two STATUS answers settleInterval apart.
const (
	settleInterval   = 300 * time.Millisecond
	defaultSettleMax = 30 * time.Second
)

// inflight records the APPEND batches of this run in the journal.
type inflight struct {
	j        *journal.Journal
	unsettle atomic.Int64 // batches sent and not settled
	failed   atomic.Bool  // the journal could not be written
}

// openInflight opens the journal at path; nil when path is empty.
func openInflight(path string) (*inflight, error) {
	if path == "" {
		return nil, nil
	}
	j, err := journal.Open(path)
	if err != nil {
		return nil, err
	}
	return &inflight{j: j}, nil
}

// sending records a batch about to be appended to fr's host2 folder.
// A nil inflight records nothing.
func (in *inflight) sending(fr *folderRun, keys []string) (journal.Batch, error) {
	if in == nil {
		return 0, nil
	}
	b, err := in.j.Sending(fr.h2, fr.validity2, fr.uidNext2, keys)
	if err != nil {
		in.failed.Store(true)
		return 0, err
	}
	in.unsettle.Add(1)
	return b, nil
}

// settled records that host2 answered for every message of b.
func (in *inflight) settled(b journal.Batch) {
	if in == nil {
		return
	}
	if in.j.Settled(b) == nil {
		in.unsettle.Add(-1)
	}
}

// close closes the journal; it is removed when nothing of this run is in
// doubt and whatever a recovery had to check was checked (complete).
func (in *inflight) close(complete bool) {
	if in == nil {
		return
	}
	in.j.Close(complete && in.unsettle.Load() == 0 && !in.failed.Load())
}

// recovery is what a run does about the batches a dead run left in doubt.
type recovery struct {
	pid     int
	folders map[string]journal.Folder // by host2 name
	max     time.Duration

	mu      sync.Mutex
	settled map[string]bool
	waited  time.Duration
	removed int
	done    bool // the duplicate check ran to its end
}

// loadRecovery reads the journal at path. The recovery is nil when there
// is no journal or nothing in doubt. The path returned is the journal this
// run writes: path, or "" when a live process writes it (no recovery then).
func (e *engine) loadRecovery(path string) (*recovery, string) {
	if path == "" {
		return nil, ""
	}
	p, err := journal.Load(path)
	if err != nil {
		e.say("Recovery: cannot read the journal of APPENDs in flight: %v", err)
		return nil, path
	}
	if p.Empty() {
		return nil, path
	}
	if p.PID == os.Getpid() || journal.Alive(p.PID) {
		e.say("Recovery: the journal %s belongs to a running process (PID %d): not recovering, not journaling", path, p.PID)
		return nil, ""
	}
	r := &recovery{pid: p.PID, folders: map[string]journal.Folder{}, max: e.opts.SettleMax, settled: map[string]bool{}}
	if r.max <= 0 {
		r.max = defaultSettleMax
	}
	for _, f := range p.Folders {
		r.folders[f.Name] = f
	}
	e.say("Recovery: the previous run (PID %d) stopped with %d message(s) in flight to %d host2 folder(s); they are checked before and after this run's copies", p.PID, p.Keys(), len(p.Folders))
	return r, path
}

// settle waits, once per folder, until host2's folder named by a journal
// record is quiet, so that the analysis sees what the dead run's APPENDs
// stored. A folder that does not settle within the bound is read anyway:
// the duplicate check after the copies catches what lands later.
func (e *engine) settle(ctx context.Context, w *worker, folder string) {
	r := e.recovery
	if r == nil {
		return
	}
	r.mu.Lock()
	_, inDoubt := r.folders[folder]
	if !inDoubt || r.settled[folder] {
		r.mu.Unlock()
		return
	}
	r.settled[folder] = true
	r.mu.Unlock()
	start := time.Now()
	quiet, polls := waitQuiet(ctx, r.max, func() (string, error) {
		var st folderStatus
		err := w.do(ctx, host2, func(c *conn.Conn) (err error) {
			st, err = statusOf(c.Client, folder)
			return err
		})
		return fmt.Sprint(st.Messages, st.UIDNext), err
	})
	took := time.Since(start)
	r.mu.Lock()
	r.waited += took
	r.mu.Unlock()
	if quiet {
		e.say("Recovery: host2 folder %s is quiet after %.1f s (%d STATUS)", folder, took.Seconds(), polls)
	} else {
		e.say("Recovery: host2 folder %s still changes after %.1f s; going on", folder, took.Seconds())
	}
}

// waitQuiet calls status every settleInterval until two answers in a row
// are equal (or status fails, e.g. the folder does not exist: nothing is
// arriving there), for at most max. It returns whether the folder was
// quiet and the number of calls.
func waitQuiet(ctx context.Context, max time.Duration, status func() (string, error)) (bool, int) {
	deadline := time.Now().Add(max)
	prev, err := status()
	polls := 1
	if err != nil {
		return true, polls
	}
	for {
		t := time.NewTimer(settleInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, polls
		case <-t.C:
		}
		cur, err := status()
		polls++
		if err != nil || cur == prev {
			return true, polls
		}
		if time.Now().After(deadline) {
			return false, polls
		}
		prev = cur
	}
}

// removeDuplicates runs after the copies of a recovery run: in each host2
// folder the dead run was appending to, a message whose key the dead run
// had in flight and that host2 now holds more than once is kept once (its
// lowest UID); the other copies are removed, but only those at or above
// the folder's UIDNEXT from before the dead run wrote to it, so a message
// that was on host2 before is never touched.
func (e *engine) removeDuplicates(ctx context.Context, w *worker) {
	r := e.recovery
	if r == nil {
		return
	}
	byH2 := map[string]*folderRun{}
	for _, fr := range e.exec.folders {
		if fr.skipReason() == "" && fr.analyzed {
			byH2[fr.h2] = fr
		}
	}
	names := make([]string, 0, len(r.folders))
	for name := range r.folders {
		names = append(names, name)
	}
	slices.Sort(names)
	complete := true
	for _, name := range names {
		rec := r.folders[name]
		if ctx.Err() != nil {
			complete = false
			break
		}
		if byH2[name] == nil {
			// The folder is not part of this run's selection: leave it in
			// doubt for a run that syncs it.
			complete = false
			continue
		}
		extra, err := e.extraCopies(ctx, w, rec)
		if err != nil {
			complete = false
			e.fail(classOf(report.ClassUnclassified, err), fmt.Sprintf("Recovery: host2 folder %s: could not check for duplicates: %v", name, err))
			continue
		}
		if len(extra) > 0 {
			e.say("Recovery: host2 folder %s holds %d extra copy(ies) left by the stopped run; removing them", name, len(extra))
			e.deleteMessages(ctx, w, host2, name, extra, true, false)
		}
		r.mu.Lock()
		r.removed += len(extra)
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.done = complete
	r.mu.Unlock()
	e.say("Recovery: %d folder(s) checked, waited %.1f s for host2 to settle, %d duplicate(s) removed", len(names), r.waited.Seconds(), r.removed)
}

// extraCopies returns the UIDs of the copies to remove in rec's folder.
func (e *engine) extraCopies(ctx context.Context, w *worker, rec journal.Folder) ([]imap.UID, error) {
	inDoubt := map[string]bool{}
	for _, k := range rec.Keys {
		inDoubt[k] = true
	}
	var metas []meta
	var validity uint32
	err := w.reselect(ctx, host2, rec.Name, func(c *conn.Conn, sel *imap.SelectData) (err error) {
		validity = sel.UIDValidity
		metas = nil
		if sel.NumMessages > 0 {
			metas, err = fetchMeta(c.Client, e.opts.Identity.HeaderFields(), e.digest2)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if rec.Validity != 0 && validity != rec.Validity {
		// The folder was renumbered: the recorded UIDNEXT means nothing.
		return nil, nil
	}
	first := map[string]imap.UID{}
	var extra []imap.UID
	for _, m := range metas { // ascending UIDs
		if !m.hok || !inDoubt[m.hkey] {
			continue
		}
		if _, seen := first[m.hkey]; !seen {
			first[m.hkey] = m.uid
			continue
		}
		if uint32(m.uid) >= rec.UIDNext {
			extra = append(extra, m.uid)
		}
	}
	return extra, nil
}

// complete reports whether the recovery checked everything in doubt.
func (r *recovery) complete() bool {
	if r == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}
