package engine

import (
	"context"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/state"
)

// onlyFlagsChanged reports whether, since the last complete sync, the
// folder pair changed only in flags: same UIDNEXT and MESSAGES on both
// sides, a different HIGHESTMODSEQ on at least one (CONDSTORE on both).
func onlyFlagsChanged(fs *state.FolderState, st1, st2 state.Status) bool {
	if !fs.HasStatus || fs.Status1.HighestModSeq == 0 || fs.Status2.HighestModSeq == 0 || st1.HighestModSeq == 0 || st2.HighestModSeq == 0 {
		return false
	}
	same := func(a, b state.Status) bool { return a.UIDNext == b.UIDNext && a.Messages == b.Messages }
	return same(fs.Status1, st1) && same(fs.Status2, st2)
}

// flagsFastPath reports whether this run may resync flags from the
// CONDSTORE changes alone: nothing else the options ask for needs the
// whole folder read.
func (e *engine) flagsFastPath() bool {
	o := &e.opts
	return o.ResyncFlags && len(e.hooks.flags.Flags) == 0 && !o.Delete1 && !o.Delete2 && !o.Delete2Duplicates &&
		!o.MessageSelection.active(host1) && !o.MessageSelection.active(host2)
}

// changedFlags plans the flag changes of a folder where only flags changed
// since the last run (--usecache with CONDSTORE): it asks each side for
// the messages changed since the modseq saved last time (FETCH
// CHANGEDSINCE), maps them through the saved UID map, and compares flags.
func (e *engine) changedFlags(ctx context.Context, w *worker, fp *folderPlan) error {
	fs := fp.state
	var changed1, changed2 map[imap.UID][]imap.Flag
	err := w.reselect(ctx, host1, fp.h1, func(c *conn.Conn, _ *imap.SelectData) (err error) {
		changed1, err = fetchFlags(c.Client, allUIDs(), fs.Status1.HighestModSeq)
		return err
	})
	if err != nil {
		return &folderError{stage: "select1", err: err}
	}
	err = w.reselect(ctx, host2, fp.h2, func(c *conn.Conn, _ *imap.SelectData) (err error) {
		changed2, err = fetchFlags(c.Client, allUIDs(), fs.Status2.HighestModSeq)
		return err
	})
	if err != nil {
		return &folderError{stage: "select2", err: err}
	}
	// The pairs concerned, and the flags still to read on each side.
	pairs := map[imap.UID]imap.UID{}
	var need1, need2 imap.UIDSet
	for u1 := range changed1 {
		if u2, _, ok := fs.Lookup(uint32(u1)); ok {
			pairs[u1] = imap.UID(u2)
			if _, ok := changed2[imap.UID(u2)]; !ok {
				need2.AddNum(imap.UID(u2))
			}
		}
	}
	for u2 := range changed2 {
		if u1, _, ok := fs.LookupUID2(uint32(u2)); ok {
			if _, done := pairs[imap.UID(u1)]; !done {
				pairs[imap.UID(u1)] = u2
				need1.AddNum(imap.UID(u1))
			}
		}
	}
	if len(need1) > 0 {
		more, err := fetchFlags(w.conns[host1].Client, need1, 0)
		if err != nil {
			return &folderError{stage: "select1", err: err}
		}
		for u, f := range more {
			changed1[u] = f
		}
	}
	if len(need2) > 0 {
		more, err := fetchFlags(w.conns[host2].Client, need2, 0)
		if err != nil {
			return &folderError{stage: "select2", err: err}
		}
		for u, f := range more {
			changed2[u] = f
		}
	}
	for u1, u2 := range pairs {
		f1, ok1 := changed1[u1]
		f2, ok2 := changed2[u2]
		if !ok1 || !ok2 {
			continue // expunged meanwhile: the next run reads the folder
		}
		to := e.flagsFor2(fp, f1)
		if e.opts.DebugFlags {
			e.debugFlags(fp, u1, f1, to, h2msg{uid: u2, flags: f2}, true)
		}
		if !sameFlags(to, normalizeFlags(f2)) {
			fp.stores = append(fp.stores, storeItem{uid1: u1, uid2: u2, from: f2, to: to})
		}
	}
	e.say("Host1: folder [%s]: only flags changed since the last run, %d read with CHANGEDSINCE, %d to set on host2", fp.h1, len(pairs), len(fp.stores))
	return nil
}

func allUIDs() imap.UIDSet {
	var s imap.UIDSet
	s.AddRange(1, 0)
	return s
}

// fetchFlags returns the flags of uids, only those changed since modseq
// when it is not 0.
func fetchFlags(c *imapclient.Client, uids imap.UIDSet, modseq uint64) (map[imap.UID][]imap.Flag, error) {
	return collectFlags(sendFlags(c, uids, modseq))
}

// sendFlags sends the FETCH of fetchFlags; collectFlags reads its answers.
func sendFlags(c *imapclient.Client, uids imap.UIDSet, modseq uint64) *imapclient.FetchCommand {
	return c.Fetch(uids, &imap.FetchOptions{UID: true, Flags: true, ChangedSince: modseq})
}

// collectFlags reads the answers of a FETCH of flags (sendFlags).
func collectFlags(cmd *imapclient.FetchCommand) (map[imap.UID][]imap.Flag, error) {
	msgs, err := cmd.Collect()
	if err != nil {
		return nil, err
	}
	out := make(map[imap.UID][]imap.Flag, len(msgs))
	for _, m := range msgs {
		if m.UID != 0 {
			out[m.UID] = m.Flags
		}
	}
	return out, nil
}

// sendFlagsSizes sends a FETCH of the flags and/or sizes of uids;
// collectFlagsSizes reads its answers (nil maps for what was not asked).
func sendFlagsSizes(c *imapclient.Client, uids imap.UIDSet, flags, sizes bool) *imapclient.FetchCommand {
	return c.Fetch(uids, &imap.FetchOptions{UID: true, Flags: flags, RFC822Size: sizes})
}

func collectFlagsSizes(cmd *imapclient.FetchCommand) (flags map[imap.UID][]imap.Flag, sizes map[imap.UID]int64, err error) {
	msgs, err := cmd.Collect()
	if err != nil {
		return nil, nil, err
	}
	flags, sizes = make(map[imap.UID][]imap.Flag, len(msgs)), make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		if m.UID != 0 {
			flags[m.UID], sizes[m.UID] = m.Flags, m.RFC822Size
		}
	}
	return flags, sizes, nil
}
