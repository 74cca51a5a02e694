package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/dates"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// meta is one message's metadata, fetched in bulk.
type meta struct {
	uid   imap.UID
	size  int64
	flags []imap.Flag
	date  time.Time
	// hdr is the fetched header, kept only when message hooks may read it.
	hdr []byte
	// hkey is the header identity (hok false: unidentified); hdrDate is
	// the Date: header, for --idatefromheader.
	hkey    string
	hok     bool
	hdrDate time.Time
	// bs is the BODYSTRUCTURE, fetched only for hooks that want it.
	bs imap.BodyStructure
}

// fetchMeta fetches UID, FLAGS, INTERNALDATE, RFC822.SIZE and the
// identifying header fields (fields nil: the whole header) of every
// message of the selected folder with one FETCH. digest is called on each
// message as it arrives, to compute its key and drop what is not kept, so
// that memory holds keys rather than headers. Results come in ascending
// UID order.
func fetchMeta(c *imapclient.Client, fields []string, digest func(*meta)) ([]meta, error) {
	var all imap.SeqSet
	all.AddRange(1, 0)
	return fetchMetaOf(c, all, fields, digest)
}

// fetchMetaOf is fetchMeta for the messages of set (a UIDSet makes it a
// UID FETCH).
func fetchMetaOf(c *imapclient.Client, set imap.NumSet, fields []string, digest func(*meta)) ([]meta, error) {
	return fetchMetaWith(c, set, fields, false, digest)
}

// fetchMetaWith is fetchMetaOf, with BODYSTRUCTURE when structure is set.
func fetchMetaWith(c *imapclient.Client, set imap.NumSet, fields []string, structure bool, digest func(*meta)) ([]meta, error) {
	return collectMeta(c.Fetch(set, metaOptions(fields, structure)), digest)
}

// metaOptions is what fetchMetaWith asks for.
func metaOptions(fields []string, structure bool) *imap.FetchOptions {
	opts := &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: fields, Peek: true}},
	}
	if structure {
		opts.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
	}
	return opts
}

// collectMeta reads the answers of a FETCH sent with metaOptions, in
// ascending UID order.
func collectMeta(cmd *imapclient.FetchCommand, digest func(*meta)) ([]meta, error) {
	var out []meta
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return nil, err
		}
		m := meta{uid: buf.UID, size: buf.RFC822Size, flags: buf.Flags, date: internZone(buf.InternalDate), bs: buf.BodyStructure}
		if len(buf.BodySection) > 0 {
			m.hdr = buf.BodySection[0].Bytes
		}
		if m.uid == 0 {
			continue // an unsolicited FETCH (flag change) without UID
		}
		digest(&m)
		out = append(out, m)
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b meta) int { return int(a.uid) - int(b.uid) })
	return out, nil
}

// headerFields returns the fields host1's metadata FETCH asks for. Host2
// needs only the identity fields (Identity.HeaderFields): hooks and
// --idatefromheader read host1 headers alone.
func (e *engine) headerFields() []string {
	fields := e.opts.Identity.HeaderFields()
	if e.hooks.any() {
		return nil // hooks may read any header
	}
	if fields != nil && e.opts.IDateFromHeader {
		fields = append(fields, "Date")
	}
	return fields
}

// analyze reads both sides of one folder and fills its plan: counts,
// sizes, the messages to copy and the flags to change.
func (e *engine) analyze(ctx context.Context, w *worker, fp *folderPlan) error {
	// A folder a dead run was appending to is read once it is quiet.
	e.settle(ctx, w, fp.h2)
	if e.opts.State != nil && !fp.stateLoaded {
		unchanged, err := e.loadState(ctx, w, fp)
		if err != nil {
			return err
		}
		if unchanged {
			fp.analyzed = true
			return nil
		}
	}
	if fp.flagsOnly {
		if err := e.changedFlags(ctx, w, fp); err != nil {
			return err
		}
		fp.analyzed = true
		return nil
	}
	if fp.incremental {
		err := e.incremental(ctx, w, fp)
		if err == nil {
			fp.analyzed = true
			return nil
		}
		if !errors.Is(err, errNotIncremental) {
			return err
		}
		fp.incremental = false // any doubt: the full comparison
	}
	// --useuid trusts the UID map only when this folder has a valid,
	// non-empty one; otherwise (first run, state lost, UIDVALIDITY changed)
	// headers are compared, which never duplicates, and the matches are
	// saved for next time. Headers are fetched either way: they check
	// APPENDs whose outcome was lost.
	fp.byUID = e.opts.UseUID && fp.state != nil && !fp.state.Invalidated && fp.state.Len() > 0
	// Host2 is read first, into the index host1's messages are matched
	// against; host1 is then read and decided batch by batch, so that a
	// folder of any size holds at most one batch of full metadata.
	d := e.newDecider(fp, func(uid imap.UID) ([]byte, error) { return e.fetchOne(ctx, w, fp, uid) })
	chunk := e.analysisChunk()
	var all [2][]imap.UID // every UID of each side, before --search and --maxage
	var next [2]imap.UID  // where a retry resumes (fetchChunked)
	var validity [2]uint32
	keepAll := fp.state != nil
	if !fp.create {
		fields2 := e.opts.Identity.HeaderFields()
		pipe := e.pipeAnalysis(host2, fp.stateLoaded, fp.messages2, next[host2])
		err := w.reselectFetch(ctx, host2, fp.h2, pipe, metaOptions(fields2, false), func(c *conn.Conn, sel *imap.SelectData, pre *imapclient.FetchCommand) error {
			if err := sameValidity(&validity[host2], sel); err != nil {
				return err
			}
			fp.on[host2].count = sel.NumMessages
			fp.validity2, fp.uidNext2 = sel.UIDValidity, uint32(sel.UIDNext)
			fp.permanentFlags = sel.PermanentFlags
			d.size2(sel.NumMessages)
			return fetchChunkedPre(c.Client, pre, sel.NumMessages, &next[host2], chunk, fields2, false, e.digest2, func(metas []meta) error {
				uids := uidsOf(metas)
				metas, err := e.selectMessages(c.Client, host2, metas)
				if err == nil {
					metas, err = e.gmailRawSelect(ctx, host2, fp.h2, metas)
				}
				if err != nil {
					return err
				}
				if keepAll {
					all[host2] = append(all[host2], uids...)
				}
				d.add2(metas)
				return nil
			})
		})
		if err != nil {
			return &folderError{stage: "select2", err: err}
		}
	}
	d.size2(0)
	fields := e.headerFields()
	structure := e.hooks.wantStructure()
	pipe := e.pipeAnalysis(host1, fp.stateLoaded, fp.status1.Messages, next[host1])
	err := w.reselectFetch(ctx, host1, fp.h1, pipe, metaOptions(fields, structure), func(c *conn.Conn, sel *imap.SelectData, pre *imapclient.FetchCommand) error {
		if err := sameValidity(&validity[host1], sel); err != nil {
			return err
		}
		fp.on[host1].count = sel.NumMessages
		d.size1(sel.NumMessages)
		return fetchChunkedPre(c.Client, pre, sel.NumMessages, &next[host1], chunk, fields, structure, e.digest1, func(metas []meta) error {
			uids := uidsOf(metas)
			metas, err := e.selectMessages(c.Client, host1, metas)
			if err == nil {
				metas, err = e.gmailRawSelect(ctx, host1, fp.h1, metas)
			}
			if err != nil {
				return err
			}
			if keepAll {
				all[host1] = append(all[host1], uids...)
			}
			d.add1(metas)
			return nil
		})
	})
	if err != nil {
		return &folderError{stage: "select1", err: err}
	}
	d.size1(0)
	fp.inSelection1 = d.selected1
	if keepAll {
		fp.listed, fp.all = true, [2][]imap.UID{trim(all[host1]), trim(all[host2])}
	}
	d.finish()
	fp.analyzed = true
	return nil
}

// errValidityChanged fails a folder whose UIDVALIDITY changed while it
// was being read: what was read before is no longer about its messages.
var errValidityChanged = errors.New("UIDVALIDITY changed during the analysis")

// sameValidity records the UIDVALIDITY of a side's first SELECT in *v and
// fails a later SELECT (after a reconnection) that finds another.
func sameValidity(v *uint32, sel *imap.SelectData) error {
	if *v != 0 && *v != sel.UIDValidity {
		return errValidityChanged
	}
	*v = sel.UIDValidity
	return nil
}

// defaultAnalysisChunk is the default of Options.AnalysisChunk.
const defaultAnalysisChunk = 10000

// analysisChunk is how many messages the analysis fetches per FETCH.
func (e *engine) analysisChunk() int {
	if e.opts.AnalysisChunk > 0 {
		return e.opts.AnalysisChunk
	}
	return defaultAnalysisChunk
}

// fetchChunked fetches the metadata (as fetchMetaWith) of the messages of
// the selected folder whose UID is at or above *next (0: all of them),
// and hands them to each in ascending UID order, in batches of at most n
// messages. count is how many messages there are to read, as far as the
// caller knows (SELECT's count, say). When that is no more than n, one
// FETCH 1:* (or UID FETCH next:*) reads them. Otherwise a UID SEARCH
// lists their UIDs, then one UID FETCH reads each run of n of them, the
// last run open-ended (as 1:* is) for the messages that arrive
// meanwhile. The runs are disjoint and ascending, so each message is
// handed over once. *next moves past a batch once each accepted it, so
// that a retry on a new connection can resume after the last batch
// accepted; each refusing a batch (an error) must have kept nothing of it.
func fetchChunked(c *imapclient.Client, count uint32, next *imap.UID, n int, fields []string, structure bool, digest func(*meta), each func([]meta) error) error {
	if count == 0 {
		return nil
	}
	lo := max(*next, 1)
	if int64(count) <= int64(n) {
		var set imap.NumSet
		if *next == 0 {
			var all imap.SeqSet
			all.AddRange(1, 0)
			set = all
		} else {
			var since imap.UIDSet
			since.AddRange(lo, 0)
			set = since
		}
		metas, err := fetchMetaWith(c, set, fields, structure, digest)
		if err != nil {
			return err
		}
		// lo:* names the folder's last message even when its UID is below lo.
		metas = slices.DeleteFunc(metas, func(m meta) bool { return m.uid < lo })
		return handOver(metas, next, each)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{{Start: lo, Stop: 0}}}}, nil).Wait()
	if err != nil {
		return err
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	uids = uids[sortedFrom(uids, lo):]
	for i := 0; i < len(uids); i += n {
		var set imap.UIDSet
		if j := i + n; j < len(uids) {
			set.AddRange(uids[i], uids[j-1])
		} else {
			set.AddRange(uids[i], 0)
		}
		metas, err := fetchMetaWith(c, set, fields, structure, digest)
		if err != nil {
			return err
		}
		from := uids[i]
		metas = slices.DeleteFunc(metas, func(m meta) bool { return m.uid < from })
		if err := handOver(metas, next, each); err != nil {
			return err
		}
	}
	return nil
}

// pipeAnalysis tells whether the analysis of a folder on side sd sends
// its metadata FETCH right behind its SELECT (reselectFetch): only on the
// first attempt (next is 0), for a folder whose STATUS (known) counted
// some messages but no more than one chunk, so that FETCH 1:* is what
// fetchChunked would send, and without a message selection on that side,
// whose searches need the folder selected while the batches are taken in.
func (e *engine) pipeAnalysis(sd side, known bool, count uint32, next imap.UID) bool {
	sel := &e.opts.MessageSelection
	return known && next == 0 && count > 0 && int64(count) <= int64(e.analysisChunk()) && !sel.active(sd) && sel.gmailRaw(sd) == ""
}

// fetchChunkedPre is fetchChunked, where pre (when not nil) is the FETCH
// of every message of the folder, already sent (reselectFetch): its
// answers are taken in as the one batch, whatever count says.
func fetchChunkedPre(c *imapclient.Client, pre *imapclient.FetchCommand, count uint32, next *imap.UID, n int, fields []string, structure bool, digest func(*meta), each func([]meta) error) error {
	switch {
	case pre == nil:
		return fetchChunked(c, count, next, n, fields, structure, digest, each)
	case count == 0:
		// Emptied since its STATUS: FETCH 1:* may be refused then.
		pre.Close()
		return nil
	}
	metas, err := collectMeta(pre, digest)
	if err != nil {
		return err
	}
	return handOver(metas, next, each)
}

// sortedFrom is the index of the first UID of sorted uids at or above lo.
func sortedFrom(uids []imap.UID, lo imap.UID) int {
	i, _ := slices.BinarySearch(uids, lo)
	return i
}

// handOver gives metas (in ascending UID order) to each and, once it
// accepted them, moves *next past them.
func handOver(metas []meta, next *imap.UID, each func([]meta) error) error {
	if len(metas) == 0 {
		return nil
	}
	if err := each(metas); err != nil {
		return err
	}
	*next = metas[len(metas)-1].uid + 1
	return nil
}

// uidsOf returns the UIDs of metas, which are in ascending order.
func uidsOf(metas []meta) []imap.UID {
	out := make([]imap.UID, len(metas))
	for i, m := range metas {
		out[i] = m.uid
	}
	return out
}

// analyzeAll reads every wanted folder on both sides with the parallel
// workers and builds the message plan. The --folderfirst folders are read
// before the others, the --folderlast folders after them.
func (e *engine) analyzeAll(ctx context.Context, main *worker) {
	e.analyzeFolders(ctx, main, e.prepareAnalysis(ctx, main))
}

// prepareAnalysis settles, with the state, every unchanged folder from a
// STATUS of each side, and returns the folders left to analyse (all of
// them without the state).
func (e *engine) prepareAnalysis(ctx context.Context, main *worker) []*folderPlan {
	total := e.plan.total()
	todo := e.plan.folders
	if e.opts.State != nil {
		// With the state, a cheap STATUS on the main connections settles
		// every unchanged folder before any other connection is opened.
		var want []*folderPlan
		for _, fp := range e.plan.folders {
			if fp.skip == "" {
				want = append(want, fp)
			}
		}
		todo = e.loadStates(ctx, main, want)
		for _, fp := range want {
			if fp.unchanged {
				e.say("Folder %7s %-35s -> %-35s unchanged since the last run", fmt.Sprintf("%d/%d", fp.index, total), mailbox.Display(fp.h1), mailbox.Display(fp.h2))
			}
		}
		if !e.opts.Dry && !e.opts.JustFolderSizes && slices.ContainsFunc(todo, grew1) {
			// Messages to copy, most likely: main's APPEND connection
			// logs in while the folders are read.
			e.warmAppenders(ctx, main, 1)
		}
		if len(e.opts.Selection.FolderFirst) == 0 && len(e.opts.Selection.FolderLast) == 0 {
			// The folders read since the last run only, on the main
			// connections (incrbatch.go): the others need the workers.
			rest := e.incrementalBatch(ctx, main, todo)
			for _, fp := range todo {
				if fp.analyzed && !fp.unchanged {
					e.analyzed(fp, total)
				}
			}
			todo = rest
		}
	}
	return todo
}

// analyzeFolders analyses the folders of todo over the parallel workers.
func (e *engine) analyzeFolders(ctx context.Context, main *worker, todo []*folderPlan) {
	total := e.plan.total()
	runPhased(ctx, e, main, todo, func(fp *folderPlan) *folderPlan { return fp }, func(w *worker, fp *folderPlan) {
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
		e.analyzed(fp, total)
	})
}

// analyzed prints the lines of folder fp once analysed (total is the
// number of folders), and leaves it out under --skipemptyfolders when
// host1 has none of its messages.
func (e *engine) analyzed(fp *folderPlan, total int) {
	if e.opts.SkipEmptyFolders && fp.inSelection1 == 0 {
		fp.skip = "empty on host1 (--skipemptyfolders)"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sayLocked(fmt.Sprintf("Folder %7s %-35s -> %-35s", fmt.Sprintf("%d/%d", fp.index, total), mailbox.Display(fp.h1), mailbox.Display(fp.h2)))
	e.sayLocked(fmt.Sprintf("Host1: folder [%s] has %d messages in total (mentioned by SELECT)", fp.h1, fp.on[host1].count))
	if fp.create {
		e.sayLocked(fmt.Sprintf("Host2: folder [%s] does not exist yet", fp.h2))
	} else {
		e.sayLocked(fmt.Sprintf("Host2: folder [%s] has %d messages in total (mentioned by SELECT)", fp.h2, fp.on[host2].count))
		e.sayLocked(fmt.Sprintf("Host2: folder [%s] permanentflags: %s", fp.h2, joinFlags(fp.permanentFlags)))
	}
	e.sayLocked(fmt.Sprintf("Host1: folder [%s] selected %d messages, duplicates %d", fp.h1, fp.on[host1].selected, fp.on[host1].dup))
	e.sayLocked(fmt.Sprintf("Host2: folder [%s] selected %d messages, duplicates %d", fp.h2, fp.on[host2].selected, fp.on[host2].dup))
}

// grew1 reports whether fp is analysed incrementally and host1's folder
// has had new messages since the last run.
func grew1(fp *folderPlan) bool {
	return fp.incremental && fp.state != nil && fp.status1.UIDNext > fp.state.Status1.UIDNext
}

// folderError tells in which step a folder failed.
type folderError struct {
	stage string
	err   error
}

func (f *folderError) Error() string { return f.err.Error() }
func (f *folderError) Unwrap() error { return f.err }

// h2msg is a host2 message known by key.
type h2msg struct {
	uid   imap.UID
	flags []imap.Flag
}

// decider works out, from both sides' metadata, what to copy, which flags
// to set and what the deletion options remove. It is fed host2's messages
// first (add2), then host1's (add1), each side in ascending UID order and
// in as many batches as the analysis fetched, then finish fills the plan.
// Between batches it holds, per message, only what matching needs: a key
// and a few numbers, never headers. It does no I/O itself; load fetches
// one host1 body; header-only hooks never call it.
type decider struct {
	e    *engine
	fp   *folderPlan
	load func(imap.UID) ([]byte, error)
	// on2 are host2's selected messages by key; first1 are host1's, each
	// with the first message of its key, for the lines about duplicates.
	// Keys are ikeys (no pointer: the collector does not visit these
	// maps); folderSide.keys gets the key strings only where another
	// folder's plan reads them (keepKeys), and else the hashes at finish.
	on2                  map[ikey]h2msg
	first1               map[ikey]firstMsg
	keepKeys             bool
	rank1, hrank1, rank2 identity.Ranker
	// known are all the host2 messages read (fp.known2); not kept by a
	// dry run, which changes nothing.
	known []known2
	// selected1 counts the host1 messages the selection kept.
	selected1 int
}

// firstMsg is what a duplicate's line tells of the first message: its
// UID and its size (up to 4 GiB).
type firstMsg struct {
	uid  imap.UID
	size uint32
}

func (e *engine) newDecider(fp *folderPlan, load func(imap.UID) ([]byte, error)) *decider {
	return &decider{e: e, fp: fp, load: load, keepKeys: e.crossFolderKeys()}
}

// crossFolderKeys reports whether the plan compares key strings across
// folders (--skipcrossduplicates, Gmail labels): folderSide.keys then
// holds them.
func (e *engine) crossFolderKeys() bool {
	m := e.labelsMode()
	return e.opts.SkipCrossDuplicates || e.labelsOn() || m == GmailLabelsKeywords || m == GmailLabelsHeader
}

// size2 sizes host2's tables for count messages at once (a map grown by
// doubling holds up to twice the room); later calls do nothing.
func (d *decider) size2(count uint32) {
	if d.on2 != nil {
		return
	}
	d.on2 = make(map[ikey]h2msg, count)
	if d.keepKeys {
		d.fp.on[host2].keys = make(map[string]struct{}, count)
	}
	if !d.e.opts.Dry {
		d.known = make([]known2, 0, count)
	}
}

// size1 is size2 for host1's tables.
func (d *decider) size1(count uint32) {
	if d.first1 != nil {
		return
	}
	d.first1 = make(map[ikey]firstMsg, count)
	if d.keepKeys {
		d.fp.on[host1].keys = make(map[string]struct{}, count)
	}
	if len(d.on2) == 0 && d.fp.copies == nil {
		// Host2 has nothing to match: every host1 message is a copy, but
		// for duplicates and skips. Appending would leave up to a quarter
		// more room, and finish's trim a second copy, at 48 bytes a copy.
		d.fp.copies = make([]copyItem, 0, count)
	}
}

// add2 takes in host2 messages.
func (d *decider) add2(metas []meta) {
	e, fp := d.e, d.fp
	in2 := &fp.on[host2]
	keepFlags := e.opts.ResyncFlags || e.opts.DebugFlags
	for _, m := range metas {
		if !e.opts.Dry {
			d.known = append(d.known, known2{uid: m.uid, size: m.size, hkey: m.hkey, hok: m.hok})
		}
		in2.size += m.size
		in2.big = max(in2.big, m.size)
		key, ok := e.key2(fp, m)
		if !ok {
			in2.void++
			continue
		}
		if e.opts.SyncDuplicates {
			key, _ = d.rank2.Rank(key)
		}
		k := mustKey(key)
		if _, dup := d.on2[k]; dup && !e.opts.SyncDuplicates {
			in2.dup++
			fp.dups2 = append(fp.dups2, m.uid)
			continue
		}
		in2.selected++
		h := h2msg{uid: m.uid}
		if keepFlags {
			h.flags = internFlags(m.flags)
		}
		d.on2[k] = h
		if d.keepKeys {
			in2.keys[key] = struct{}{}
		}
	}
}

// add1 takes in host1 messages and decides each.
func (d *decider) add1(metas []meta) {
	e, fp := d.e, d.fp
	id := e.opts.Identity
	in1 := &fp.on[host1]
	d.selected1 += len(metas)
	for _, m := range metas {
		in1.size += m.size
		in1.big = max(in1.big, m.size)
		// hkey is the header identity (with --addheader's line for a
		// message without one); key is what matching uses: hkey, or the
		// UID under --useuid.
		hkey, addHeader := m.hkey, false
		if !m.hok {
			in1.void++
			if !e.opts.AddHeader {
				e.say("Host1: %s/%d size %d ignored (no wanted headers so we ignore this message. To solve this: use --addheader)", fp.h1, m.uid, m.size)
				continue
			}
			hkey, addHeader = id.AddHeaderKey(uint32(m.uid), m.size), true
		}
		key := hkey
		if fp.byUID {
			key = uidKey(m.uid)
		}
		if e.opts.SyncDuplicates {
			key, _ = d.rank1.Rank(key)
			hkey, _ = d.hrank1.Rank(hkey)
		}
		k := mustKey(key)
		if f, dup := d.first1[k]; dup && !e.opts.SyncDuplicates {
			in1.dup++
			e.duplicate1(fp, m, meta{uid: f.uid, size: int64(f.size)})
			continue
		}
		in1.selected++
		if d.keepKeys {
			in1.keys[key] = struct{}{}
		}
		d.first1[k] = firstMsg{uid: m.uid, size: uint32(min(m.size, math.MaxUint32))}
		have, ok := d.on2[k]
		// Flags matter for a copy, a flag resync or --debugflags; for a
		// message already on host2 otherwise, flag hooks (which may read
		// the body) are not run.
		needFlags := !ok || e.opts.ResyncFlags || e.opts.DebugFlags
		hostFlags := m.flags
		var msg *hooks.Message
		if e.hooks.any() {
			load := d.load
			msg = hookMessage(fp, m, func() ([]byte, error) { return load(m.uid) })
			msg.Labels = e.labels.byKey1[m.hkey]
			reason, by, err := e.hooks.planSkips.Skip(msg)
			if err == nil && reason == "" && needFlags && len(e.hooks.flags.Flags) > 0 {
				var fl []string
				fl, err = e.hooks.flags.FilterFlags(msg, flagStrings(withoutRecent(m.flags)))
				hostFlags = imapFlags(fl)
			}
			switch {
			case err != nil:
				e.hookFailed(fp, &fp.atPlan, m.uid, m.size, err)
				continue
			case reason != "":
				e.ruleSkip(fp, &fp.atPlan, m.uid, m.size, by, reason)
				continue
			}
		}
		var flags []imap.Flag
		if needFlags {
			flags = internFlags(e.flagsFor2(fp, hostFlags))
		}
		if e.opts.DebugFlags {
			e.debugFlags(fp, m.uid, m.flags, flags, have, ok)
		}
		if ok {
			fp.alreadyThere++
			fp.bytesAlready += m.size
			fp.present1 = append(fp.present1, m.uid)
			if e.opts.State != nil {
				hk, plain := keyOf(hkey)
				if !plain {
					fp.keepOdd(m.uid, hkey)
				}
				fp.matched = append(fp.matched, matchedPair{uid1: m.uid, uid2: have.uid, key: hk, odd: !plain})
			}
			if e.opts.ResyncFlags && !sameFlags(flags, normalizeFlags(have.flags)) {
				fp.stores = append(fp.stores, storeItem{uid1: m.uid, uid2: have.uid, from: have.flags, to: flags, key: key})
			}
			continue
		}
		if limit := e.plan.appendLimit; limit > 0 && m.size > limit {
			e.ruleSkip(fp, &fp.atPlan, m.uid, m.size, "appendlimit", fmt.Sprintf("%d exceeds the append limit of %d bytes", m.size, limit))
			continue
		}
		c := copyItem{uid: m.uid, size: m.size, addHeader: addHeader, byUID: fp.byUID}
		fp.setKey(&c, hkey)
		c.setFlags(flags)
		switch {
		case e.opts.IDateFromHeader:
			c.setDate(m.hdrDate)
		case e.opts.SyncInternalDates:
			c.setDate(m.date)
		}
		if e.opts.Dry && msg != nil && e.hooks.atCopy() {
			// A dry run previews what happens at copy time: it fetches the
			// body and runs the copy-time hooks on it.
			msg.Unidentified = addHeader
			if !e.previewCopy(fp, &c, msg) {
				continue
			}
		} else if addHeader {
			c.size += int64(len(identity.AddHeaderLine(uint32(m.uid))))
		}
		fp.copies = append(fp.copies, c)
	}
}

// finish lists the host2 messages no host1 message matched and leaves
// the plan of the folder complete; d is not used afterwards.
func (d *decider) finish() {
	e, fp := d.e, d.fp
	for k, m := range d.on2 {
		if _, ok := d.first1[k]; !ok {
			fp.only2 = append(fp.only2, m.uid)
		}
	}
	if !d.keepKeys {
		// The report counts identities from hashes: 8 bytes a message.
		for s, keys := range [2][]ikey{slices.Collect(maps.Keys(d.first1)), slices.Collect(maps.Keys(d.on2))} {
			ids := make(hashSet, len(keys))
			for i, k := range keys {
				ids[i] = k.hash()
			}
			fp.on[s].ids = ids.settle()
		}
	}
	slices.Sort(fp.only2)
	// The plan keeps these until the copy: without the room append left.
	fp.copies = trim(fp.copies)
	fp.present1 = trim(fp.present1)
	fp.matched = trim(fp.matched)
	if !e.opts.Dry && (fp.create || len(fp.copies) > 0 || len(fp.only2) > 0 || len(fp.dups2) > 0) {
		// The folder may change: keep what is known of its host2
		// messages, so that reading it again at the end fetches the
		// headers of the new messages only.
		fp.known2 = trim(d.known)
	}
	*d = decider{}
}

// duplicate1 names a host1 message skipped because an earlier message of
// the folder, first, has the same identity key. When their sizes differ
// (the key leaves size out unless --noskipsize), the line adds that the
// two are probably distinct messages, which --syncduplicates would copy.
func (e *engine) duplicate1(fp *folderPlan, m, first meta) {
	same := "same " + e.keyFields()
	if m.size == first.size {
		e.say("Host1: msg %s/%d is a duplicate of %s/%d (%s, same size %d): skipped", fp.h1, m.uid, fp.h1, first.uid, same, m.size)
		return
	}
	e.say("Host1: msg %s/%d is a duplicate of %s/%d (%s, sizes %d and %d): skipped; it is probably a distinct message, which --syncduplicates would copy",
		fp.h1, m.uid, fp.h1, first.uid, same, m.size, first.size)
}

// keyFields names what the identity key is made of, for the lines about
// duplicates: "Message-Id and Received headers", "headers" for all.
func (e *engine) keyFields() string {
	names := e.opts.Identity.HeaderFields()
	switch len(names) {
	case 0:
		return "headers"
	case 1:
		return names[0] + " header"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " headers"
}

// debugFlags prints the --debugflags line of a message: its host1
// flags, the flags meant for host2, and host2's when it is there, each
// list sorted (servers return flags in no particular order).
func (e *engine) debugFlags(fp *folderPlan, uid1 imap.UID, from, to []imap.Flag, on2 h2msg, there bool) {
	sorted := func(f []imap.Flag) string {
		f = slices.Clone(f)
		slices.Sort(f)
		return joinFlags(f)
	}
	line := fmt.Sprintf("Debug flags: msg %s/%d flags (%s) for host2 (%s)", fp.h1, uid1, sorted(from), sorted(to))
	if there {
		line += fmt.Sprintf(", host2 msg %s/%d has (%s)", fp.h2, on2.uid, sorted(on2.flags))
	}
	e.say("%s", line)
}

// withoutRecent drops \Recent, which no hook should see.
func withoutRecent(flags []imap.Flag) []imap.Flag {
	out := flags[:0:0]
	for _, f := range flags {
		if !strings.EqualFold(string(f), `\Recent`) {
			out = append(out, f)
		}
	}
	return out
}

// headerDate parses the Date: field of a header block with imapsync's
// tolerant rules; zero when absent or unparseable (the server then uses
// the time of APPEND).
func headerDate(hdr []byte) time.Time {
	_, date, _ := headerSummary(hdr)
	if t, ok := dates.GoodDate(date); ok && date != "" {
		return t
	}
	return time.Time{}
}

// flagsFor2 turns host1 flags into the flags to set on host2: \Recent is
// removed, system flags get their canonical case, and flags outside a
// restrictive PERMANENTFLAGS are dropped (imapsync's flags_for_host2).
func (e *engine) flagsFor2(fp *folderPlan, flags []imap.Flag) []imap.Flag {
	return e.flagsFor2With(fp, flags, fp.permanentFlags)
}

// flagsFor2With is flagsFor2 with perm for host2's PERMANENTFLAGS (nil:
// not known, every valid flag kept).
func (e *engine) flagsFor2With(fp *folderPlan, flags, perm []imap.Flag) []imap.Flag {
	out := normalizeFlags(flags)
	// A keyword that cannot be written as an IMAP atom would make the
	// APPEND fail: drop it, never the message.
	out = slices.DeleteFunc(out, func(f imap.Flag) bool {
		if validFlag(f) {
			return false
		}
		e.note(fp, f, "not a valid IMAP flag")
		return true
	})
	if len(perm) == 0 || slices.Contains(perm, imap.FlagWildcard) {
		return out
	}
	kept := out[:0:0]
	for _, f := range out {
		if slices.ContainsFunc(perm, func(p imap.Flag) bool { return strings.EqualFold(string(p), string(f)) }) {
			kept = append(kept, f)
		} else {
			e.note(fp, f, "not in PERMANENTFLAGS")
		}
	}
	return kept
}

// validFlag reports whether f can be sent as a flag: a system flag or an
// atom (no space, parentheses, braces, quotes, backslash, %, *, ], or
// control characters).
func validFlag(f imap.Flag) bool {
	s := string(f)
	if s == "" {
		return false
	}
	if s[0] == '\\' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\\]`, c) >= 0 {
			return false
		}
	}
	return true
}

var systemFlags = []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft}

// normalizeFlags drops \Recent, fixes the case of system flags, removes
// duplicates and sorts.
func normalizeFlags(flags []imap.Flag) []imap.Flag {
	out := make([]imap.Flag, 0, len(flags))
	for _, f := range flags {
		if strings.EqualFold(string(f), `\Recent`) || f == "" {
			continue
		}
		for _, s := range systemFlags {
			if strings.EqualFold(string(f), string(s)) {
				f = s
			}
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func sameFlags(a, b []imap.Flag) bool { return slices.Equal(a, b) }

// note reports once per folder and flag that host2 cannot store a flag.
func (e *engine) note(fp *folderPlan, f imap.Flag, why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := fp.h2 + "\x00" + string(f)
	if e.noted[k] {
		return
	}
	e.noted[k] = true
	e.sayLocked(fmt.Sprintf("Host2: folder [%s] cannot store flag %q (%s), dropping the flag, not the message", fp.h2, f, why))
}

// effectiveAppendLimit is the smaller of --appendlimit and host2's
// APPENDLIMIT capability (imapsync's maxsize_setting); 0 means none.
func effectiveAppendLimit(option int64, caps imap.CapSet) int64 {
	limit := option
	if l, ok := caps.AppendLimit(); ok && l != nil && (limit == 0 || int64(*l) < limit) {
		limit = int64(*l)
	}
	return limit
}

// skipCrossDuplicates drops planned copies whose key is already in a host2
// folder processed before (imapsync's --skipcrossduplicates: a Gmail
// message with several labels lands in the first folder only). The walk
// follows the folder order, so the result does not depend on --parallel.
func (e *engine) skipCrossDuplicates() {
	seen := map[string]string{} // key -> host2 folder
	for _, fp := range e.crossDupOrder() {
		if !fp.analyzed || fp.skip != "" {
			continue
		}
		kept := fp.copies[:0]
		for _, c := range fp.copies {
			if where, dup := seen[fp.matchKey(c)]; dup {
				fp.crossDup++
				if e.opts.DebugCrossDuplicates {
					e.say("Host1: %s/%d is a cross duplicate of a message in host2 folder [%s]", fp.h1, c.uid, where)
				}
				continue
			}
			kept = append(kept, c)
		}
		fp.copies = kept
		for k := range fp.on[host2].keys {
			if _, ok := seen[k]; !ok {
				seen[k] = fp.h2
			}
		}
		for _, c := range fp.copies {
			k := fp.matchKey(c)
			if _, ok := seen[k]; !ok {
				seen[k] = fp.h2
			}
		}
	}
}

// digest1 computes a host1 message's header key (and date) and drops its
// header unless message hooks may read it.
func (e *engine) digest1(m *meta) {
	m.hkey, m.hok = e.opts.Identity.Key(m.hdr, m.size)
	if e.opts.IDateFromHeader {
		m.hdrDate = headerDate(m.hdr)
	}
	if !e.hooks.any() {
		m.hdr = nil
	}
}

// digest2 computes a host2 message's header key and drops its header.
func (e *engine) digest2(m *meta) {
	m.hkey, m.hok = e.opts.Identity.Key(m.hdr, m.size)
	m.hdr = nil
}

// key2 is the identity of a host2 message: its header key, or under
// --useuid the UID key of the host1 message the state maps to it (not
// identified when the state does not know it: --delete2 removes such
// messages, "not in cache").
func (e *engine) key2(fp *folderPlan, m meta) (string, bool) {
	if !fp.byUID {
		return m.hkey, m.hok
	}
	if uid1, _, ok := fp.state.LookupUID2(uint32(m.uid)); ok {
		return uidKey(imap.UID(uid1)), true
	}
	return "uid2:" + strconv.FormatUint(uint64(m.uid), 10), true
}
