package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
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
// the same in two STATUS answers an interval apart. A server still storing
// the pipelined APPENDs of a closed connection may pause for hundreds of
// milliseconds under load, so the waits whose outcome is final (before
// reading a folder a dead run wrote to, before the duplicate check) use a
// longer interval than the lookups in the middle of a copy, whose misses
// the duplicate check repairs.
const (
	settleQuick      = 300 * time.Millisecond
	settleSure       = 1500 * time.Millisecond
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

// sendingAhead records, with one sync to disk, a batch for each of frs:
// keys[i] about to be appended to frs[i]'s host2 folder. It returns the
// batches (nil: nothing recorded, each batch is then recorded as it is
// sent). A nil inflight records nothing.
func (in *inflight) sendingAhead(frs []*folderRun, keys [][]string) []journal.Batch {
	if in == nil {
		return nil
	}
	sends := make([]journal.Sends, len(frs))
	for i, fr := range frs {
		sends[i] = journal.Sends{Folder: fr.h2, Validity: fr.validity2, UIDNext: fr.uidNext2, Keys: keys[i]}
	}
	bs, err := in.j.SendingMany(sends)
	if err != nil {
		in.failed.Store(true)
		return nil
	}
	in.unsettle.Add(int64(len(bs)))
	return bs
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

// recovery is what a run learned from the journal of a dead run.
type recovery struct {
	pid     int
	folders map[string]bool // host2 folders the dead run left in doubt

	mu      sync.Mutex
	settled map[string]bool
	waited  time.Duration
}

// loadRecovery reads the journal at path and adds what the dead run left
// in doubt to e.doubts. The recovery is nil when there is no journal or
// nothing in doubt. The path returned is the journal this run writes:
// path, or "" when a live process writes it (no recovery then).
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
	r := &recovery{pid: p.PID, folders: map[string]bool{}, settled: map[string]bool{}}
	for _, f := range p.Folders {
		r.folders[f.Name] = true
		e.doubts.add(f.Name, f.Validity, f.UIDNext, f.Keys)
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
	if !r.folders[folder] || r.settled[folder] {
		r.mu.Unlock()
		return
	}
	r.settled[folder] = true
	r.mu.Unlock()
	start := time.Now()
	quiet, polls := e.waitQuietFolder(ctx, w, folder, settleSure)
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

// waitQuietFolder waits until host2's folder is quiet (see waitQuiet),
// checking every interval, for at most SettleMax.
func (e *engine) waitQuietFolder(ctx context.Context, w *worker, folder string, interval time.Duration) (bool, int) {
	return e.waitQuietFolders(ctx, w, []string{folder}, interval)
}

// waitQuietFolders is waitQuietFolder for several folders at once: they
// are quiet when none of them changed between two rounds of STATUS.
func (e *engine) waitQuietFolders(ctx context.Context, w *worker, folders []string, interval time.Duration) (bool, int) {
	if len(folders) == 0 {
		return true, 0
	}
	max := e.opts.SettleMax
	if max <= 0 {
		max = defaultSettleMax
	}
	return waitQuiet(ctx, interval, max, func() (string, error) {
		var all strings.Builder
		for _, folder := range folders {
			var st folderStatus
			err := w.do(ctx, host2, func(c *conn.Conn) (err error) {
				st, err = statusOf(c.Client, folder)
				return err
			})
			if err != nil {
				// A folder that cannot be read is not arriving anything.
				fmt.Fprintf(&all, "%s: -;", folder)
				continue
			}
			fmt.Fprintf(&all, "%s: %d %d;", folder, st.Messages, st.UIDNext)
		}
		return all.String(), nil
	})
}

// waitQuiet calls status every interval until two answers in a row are
// equal (or status fails, e.g. the folder does not exist: nothing is
// arriving there), for at most max. It returns whether the folder was
// quiet and the number of calls.
func waitQuiet(ctx context.Context, interval, max time.Duration, status func() (string, error)) (bool, int) {
	deadline := time.Now().Add(max)
	prev, err := status()
	polls := 1
	if err != nil {
		return true, polls
	}
	for {
		t := time.NewTimer(interval)
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

// doubts are the host2 folders where APPENDs may have landed unseen: the
// dead run's (from the journal) and this run's own, whose outcome a lost
// connection hid. After the copies, a key in doubt that host2 holds more
// than once is kept once (see removeDuplicates).
type doubts struct {
	mu      sync.Mutex
	folders map[string]*doubtFolder // by host2 name
	done    bool                    // the duplicate check ran to its end
}

type doubtFolder struct {
	validity, uidNext uint32 // as in journal.Folder
	keys              map[string]bool
}

// add records keys in doubt in host2's folder; uidNext is the folder's
// UIDNEXT before any of them was sent (the lowest recorded is kept).
func (d *doubts) add(folder string, validity, uidNext uint32, keys []string) {
	if len(keys) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.folders == nil {
		d.folders = map[string]*doubtFolder{}
	}
	f := d.folders[folder]
	if f == nil || f.validity != validity {
		f = &doubtFolder{validity: validity, uidNext: uidNext, keys: map[string]bool{}}
		d.folders[folder] = f
	}
	f.uidNext = min(f.uidNext, uidNext)
	for _, k := range keys {
		f.keys[k] = true
	}
}

// complete reports whether every key in doubt was checked (or none was
// in doubt).
func (d *doubts) complete() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done || len(d.folders) == 0
}

// removeDuplicates runs after the copies: in each host2 folder with keys
// in doubt, a key that host2 now holds more than once is kept once (its
// lowest UID); the other copies are removed, but only those at or above
// the folder's UIDNEXT from before the APPENDs in doubt were sent, so a
// message that was on host2 before is never touched.
func (e *engine) removeDuplicates(ctx context.Context, w *worker) {
	d := &e.doubts
	d.mu.Lock()
	folders := d.folders
	d.mu.Unlock()
	if len(folders) > 0 && e.plan.merged {
		// Two host1 folders feed one host2 folder: equal keys there may be
		// two distinct host1 messages, so nothing is removed.
		e.say("Host2: two host1 folders map to one host2 folder: copies left by APPENDs in doubt are not checked")
		return
	}
	active := map[string]bool{}
	for _, fr := range e.exec.all { // every group carried out so far
		if fr.skipReason() == "" && fr.analyzed {
			active[fr.h2] = true
		}
	}
	names := make([]string, 0, len(folders))
	for name := range folders {
		names = append(names, name)
	}
	slices.Sort(names)
	var check []string
	for _, name := range names {
		if active[name] {
			check = append(check, name)
		}
	}
	// One wait for all of them: the folders settle in parallel.
	e.waitQuietFolders(ctx, w, check, settleSure)
	complete, removed := true, 0
	for _, name := range names {
		if ctx.Err() != nil {
			complete = false
			break
		}
		if !active[name] {
			// Not part of this run's selection: left in doubt for a run
			// that syncs it.
			complete = false
			continue
		}
		extra, err := e.extraCopies(ctx, w, name, folders[name])
		if err != nil {
			complete = false
			e.fail(classOf(report.ClassUnclassified, err), fmt.Sprintf("Host2: folder %s: could not check for copies left by APPENDs in doubt: %v", name, err))
			continue
		}
		if len(extra) == 0 {
			// Settled: a later group's check (runGroups) skips it.
			d.mu.Lock()
			delete(d.folders, name)
			d.mu.Unlock()
		}
		if len(extra) > 0 {
			e.say("Host2: folder %s holds %d extra copy(ies) of messages whose APPEND was in doubt; removing them", name, len(extra))
			e.deleteMessages(ctx, w, host2, name, extra, true, false)
		}
		removed += len(extra)
	}
	d.mu.Lock()
	d.done = complete
	d.mu.Unlock()
	if r := e.recovery; r != nil {
		r.mu.Lock()
		waited := r.waited
		r.mu.Unlock()
		e.say("Recovery: %d folder(s) checked, waited %.1f s for host2 to settle, %d duplicate(s) removed", len(names), waited.Seconds(), removed)
	}
}

// extraCopies returns the UIDs of the copies to remove in host2's folder.
func (e *engine) extraCopies(ctx context.Context, w *worker, name string, f *doubtFolder) ([]imap.UID, error) {
	var metas []meta
	var validity uint32
	err := w.reselect(ctx, host2, name, func(c *conn.Conn, sel *imap.SelectData) (err error) {
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
	if f.validity != 0 && validity != f.validity {
		// The folder was renumbered: the recorded UIDNEXT means nothing.
		return nil, nil
	}
	seen := map[string]bool{}
	var extra []imap.UID
	for _, m := range metas { // ascending UIDs
		if !m.hok || !f.keys[m.hkey] {
			continue
		}
		if !seen[m.hkey] {
			seen[m.hkey] = true
			continue
		}
		if uint32(m.uid) >= f.uidNext {
			extra = append(extra, m.uid)
		}
	}
	return extra, nil
}
