package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/hooks"
)

// msgHooks are the run's message hooks, split by when they run: skip
// hooks that read only headers and flags run at plan time (so --dry shows
// them and skipped bodies are never fetched); skip hooks that read the
// body and rewrite hooks run at copy time, on the fetched bytes.
type msgHooks struct {
	planSkips hooks.Chain // header-only skips
	copySkips hooks.Chain // skips that read the body
	rewrites  hooks.Chain
	flags     hooks.Chain
}

func newMsgHooks(c *hooks.Chain) msgHooks {
	var m msgHooks
	if c == nil {
		return m
	}
	for _, h := range c.Skips {
		if ho, ok := h.Hook.(hooks.HeaderOnly); ok && ho.HeaderOnly() {
			m.planSkips.Skips = append(m.planSkips.Skips, h)
		} else {
			m.copySkips.Skips = append(m.copySkips.Skips, h)
		}
	}
	m.rewrites.Rewrites = c.Rewrites
	m.flags.Flags = c.Flags
	return m
}

// any reports whether some message hook exists (the metadata FETCH then
// brings whole headers, which hooks may read).
func (m msgHooks) any() bool {
	return len(m.planSkips.Skips)+len(m.copySkips.Skips)+len(m.rewrites.Rewrites)+len(m.flags.Flags) > 0
}

// atCopy reports whether fetched bodies go through hooks.
func (m msgHooks) atCopy() bool {
	return len(m.copySkips.Skips)+len(m.rewrites.Rewrites) > 0
}

// hookMessage builds what hooks see of a host1 message at plan time.
func hookMessage(fp *folderPlan, m meta, load func() ([]byte, error)) *hooks.Message {
	msg := hooks.NewMessage(m.hdr, nil, load)
	msg.Folder, msg.UID, msg.Size, msg.InternalDate = fp.h1, uint32(m.uid), m.size, m.date
	msg.Flags = flagStrings(m.flags)
	return msg
}

func flagStrings(flags []imap.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}

// ruleSkip records a message a hook skipped.
func (e *engine) ruleSkip(fp *folderPlan, uid imap.UID, size int64, by, reason string) {
	fp.mu.Lock()
	if fp.skippedBy == nil {
		fp.skippedBy = map[string]int{}
	}
	fp.skippedBy[by]++
	fp.ruleSkipped++
	fp.ruleSkippedBytes += size
	fp.mu.Unlock()
	dry := ""
	if e.opts.Dry {
		dry = " (not really since --dry mode)"
	}
	e.say("msg %s/%d {%d} skipped by %s (%s)%s", fp.h1, uid, size, by, reason, dry)
}

// hookFailed records a message a hook could not decide on; it is not
// copied.
func (e *engine) hookFailed(fp *folderPlan, uid imap.UID, size int64, err error) {
	e.fail(fmt.Sprintf("- msg %s/%d {%d} not copied: hook error: %v", fp.h1, uid, size, err))
}

// applyCopyHooks runs the body skip hooks and the rewrite hooks on a
// fetched message. It returns the (possibly new) body, whether to copy it,
// and the names of the hooks that changed it.
func (e *engine) applyCopyHooks(fp *folderPlan, it copyItem, b *body) (*body, bool, []string) {
	raw, err := b.Bytes()
	if err != nil {
		e.hookFailed(fp, it.uid, it.size, err)
		return b, false, nil
	}
	msg := hooks.NewMessage(nil, raw, nil)
	msg.Folder, msg.UID, msg.Size, msg.InternalDate = fp.h1, uint32(it.uid), b.size, it.date
	msg.Flags = flagStrings(it.flags)
	reason, by, err := e.hooks.copySkips.Skip(msg)
	switch {
	case err != nil:
		e.hookFailed(fp, it.uid, it.size, err)
		return b, false, nil
	case reason != "":
		e.ruleSkip(fp, it.uid, it.size, by, reason)
		return b, false, nil
	}
	changedBy, err := e.hooks.rewrites.Rewrite(msg)
	if err != nil {
		e.hookFailed(fp, it.uid, it.size, err)
		return b, false, nil
	}
	if !msg.Changed() {
		return b, true, nil
	}
	newRaw, _ := msg.Raw()
	nb := &body{sp: b.sp, prefix: b.prefix, mem: newBuffer(newRaw), size: int64(len(newRaw))}
	b.free()
	return nb, true, changedBy
}

// Bytes returns the fetched bytes (without prefix), reading a spooled file
// into memory.
func (b *body) Bytes() ([]byte, error) {
	if b.mem != nil {
		return b.mem.Bytes(), nil
	}
	buf := make([]byte, b.size)
	if _, err := b.file.ReadAt(buf, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}

// fetchOne fetches one host1 body for a hook that reads it at plan time
// (only in dry runs, to preview copy-time decisions).
func (e *engine) fetchOne(ctx context.Context, w *worker, fp *folderPlan, uid imap.UID) ([]byte, error) {
	got := map[imap.UID]*body{}
	err := w.retry(ctx, 1, func() error {
		if w.sel1 != fp.h1 || !alive(w.h1) {
			if _, err := w.selectFolder(ctx, 1, fp.h1); err != nil {
				return err
			}
		}
		return e.fetchInto(w.h1.Client, []copyItem{{uid: uid}}, got)
	})
	b := got[uid]
	if b == nil {
		if err == nil {
			err = fmt.Errorf("no data returned")
		}
		return nil, err
	}
	defer b.free()
	raw, err := b.Bytes()
	return bytes.Clone(raw), err
}
