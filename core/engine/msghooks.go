package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/report"
)

// msgHooks are the run's message hooks, split by when they run: skip
// hooks that read only headers and flags run at plan time (so --dry shows
// them and skipped bodies are never fetched); skip hooks that read the
// body and rewrite hooks run at copy time, on the fetched bytes.
type msgHooks struct {
	planSkips hooks.Chain // header-only skips
	copySkips hooks.Chain // skips that read the body
	lastSkips hooks.Chain // skips that judge the rewritten message
	rewrites  hooks.Chain
	flags     hooks.Chain
}

// newMsgHooks sorts c's message hooks. With addHeader and no rewrite hook
// named "addheader", the AddHeader step is appended to the rewrites.
func newMsgHooks(c *hooks.Chain, addHeader bool) msgHooks {
	var m msgHooks
	if c == nil {
		c = &hooks.Chain{}
	}
	for _, h := range c.Skips {
		switch {
		case isTrue[hooks.AfterRewrite](h.Hook, hooks.AfterRewrite.AfterRewrite):
			m.lastSkips.Skips = append(m.lastSkips.Skips, h)
		case isTrue[hooks.HeaderOnly](h.Hook, hooks.HeaderOnly.HeaderOnly):
			m.planSkips.Skips = append(m.planSkips.Skips, h)
		default:
			m.copySkips.Skips = append(m.copySkips.Skips, h)
		}
	}
	m.rewrites.Rewrites = slices.Clone(c.Rewrites)
	if addHeader && !slices.ContainsFunc(c.Rewrites, func(h hooks.Named[hooks.MessageRewriter]) bool { return h.Name == "addheader" }) {
		m.rewrites.Rewrites = append(m.rewrites.Rewrites, hooks.Named[hooks.MessageRewriter]{Name: "addheader", Hook: AddHeader{}})
	}
	m.flags.Flags = c.Flags
	return m
}

// isTrue reports whether h implements the optional interface I and its
// method says yes.
func isTrue[I any](h any, method func(I) bool) bool {
	i, ok := h.(I)
	return ok && method(i)
}

// AddHeader is the --addheader step: it puts "Message-Id: <UID@imapsync>"
// on top of a message that has no identifying header, so that reruns (and
// imapsync) recognise the copy. cmd places it among the rewrite hooks
// where imapsync applies it (after --pipemess, before --truncmess).
type AddHeader struct{}

func (AddHeader) Rewrite(m *hooks.Message) error {
	if !m.Unidentified {
		return nil
	}
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	m.SetRaw(append(identity.AddHeaderLine(m.UID), raw...))
	return nil
}

// any reports whether some message hook exists (the metadata FETCH then
// brings whole headers, which hooks may read).
func (m msgHooks) any() bool {
	return m.atCopy() || len(m.planSkips.Skips)+len(m.flags.Flags) > 0
}

// atCopy reports whether fetched bodies go through hooks.
func (m msgHooks) atCopy() bool {
	return len(m.copySkips.Skips)+len(m.lastSkips.Skips)+len(m.rewrites.Rewrites) > 0
}

// hookMessage builds what hooks see of a host1 message at plan time.
func hookMessage(fp *folderPlan, m meta, load func() ([]byte, error)) *hooks.Message {
	msg := hooks.NewMessage(m.hdr, nil, load)
	msg.Folder, msg.UID, msg.Size, msg.InternalDate = fp.h1, uint32(m.uid), m.size, m.date
	msg.Flags = flagStrings(m.flags)
	msg.Structure = structureParts(m.bs)
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

// ruleSkip records in t a message of fp a hook skipped, and prints it.
func (e *engine) ruleSkip(fp *folderPlan, t *tally, uid imap.UID, size int64, by, reason string) {
	t.skip(by, size)
	dry := ""
	if e.opts.Dry {
		dry = " (not really since --dry mode)"
	}
	e.say("msg %s/%d {%d} skipped by %s (%s)%s", fp.h1, uid, size, by, reason, dry)
}

// hookFailed records in t, and as an error of the run, a message of fp a
// hook could not decide on; it is not copied.
func (e *engine) hookFailed(fp *folderPlan, t *tally, uid imap.UID, size int64, err error) {
	t.fail()
	e.fail(report.ClassUnclassified, fmt.Sprintf("- msg %s/%d {%d} not copied: hook error: %v", fp.h1, uid, size, err))
}

// copyHooks runs on msg the copy-time hooks: the skip hooks that read the
// body, the rewrite hooks, then the skip hooks that judge the rewritten
// message. A skip or a hook failure is reported as a real copy reports it.
// It returns whether the message is to be copied and the names of the
// rewrite hooks that changed it (msg then holds the new bytes).
func (e *engine) copyHooks(fp *folderPlan, t *tally, uid imap.UID, size int64, msg *hooks.Message) (keep bool, changedBy []string) {
	reason, by, err := e.hooks.copySkips.Skip(msg)
	if err == nil && reason == "" {
		changedBy, err = e.hooks.rewrites.Rewrite(msg)
		if err == nil {
			reason, by, err = e.hooks.lastSkips.Skip(msg)
		}
	}
	switch {
	case err != nil:
		e.hookFailed(fp, t, uid, size, err)
		return false, nil
	case reason != "":
		e.ruleSkip(fp, t, uid, size, by, reason)
		return false, nil
	}
	return true, changedBy
}

// applyCopyHooks runs the copy-time hooks on a fetched message. It returns
// the (possibly new) body, whether to copy it, and the names of the hooks
// that changed it.
func (e *engine) applyCopyHooks(fr *folderRun, it copyItem, b *body) (*body, bool, []string) {
	raw, err := b.Bytes()
	if err != nil {
		e.hookFailed(fr.folderPlan, &fr.atCopy, it.uid, it.size, err)
		return b, false, nil
	}
	msg := hooks.NewMessage(nil, raw, nil)
	msg.Folder, msg.UID, msg.Size, msg.InternalDate = fr.h1, uint32(it.uid), b.size, it.date()
	msg.Flags = flagStrings(it.flags())
	msg.Unidentified = it.addHeader
	msg.Labels = e.labels.byKey1[fr.copyKey(it)]
	keep, changedBy := e.copyHooks(fr.folderPlan, &fr.atCopy, it.uid, it.size, msg)
	if !keep || !msg.Changed() {
		return b, keep, nil
	}
	newRaw, _ := msg.Raw()
	nb := &body{sp: b.sp, mem: newRaw, size: int64(len(newRaw))}
	b.free()
	return nb, true, changedBy
}

// fetchOne fetches one host1 body for a hook that reads it at plan time
// (only in dry runs, to preview copy-time decisions).
func (e *engine) fetchOne(ctx context.Context, w *worker, fp *folderPlan, uid imap.UID) ([]byte, error) {
	got := map[imap.UID]*body{}
	err := w.inFolder(ctx, host1, fp.h1, func(c *conn.Conn) error {
		return e.fetchInto(c.Client, []copyItem{{uid: uid}}, func(u imap.UID, b *body) {
			if got[u] != nil {
				got[u].free()
			}
			got[u] = b
		})
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

// previewCopy runs, for --dry, the copy-time hooks on a message that would
// be copied: it reports skips like a real run and notes in c which hooks
// would rewrite it and its new size. It returns false when the message
// would not be copied.
func (e *engine) previewCopy(fp *folderPlan, c *copyItem, msg *hooks.Message) bool {
	keep, changedBy := e.copyHooks(fp, &fp.atPlan, c.uid, c.size, msg)
	if !keep {
		return false
	}
	if len(changedBy) > 0 {
		if fp.rewrittenBy == nil {
			fp.rewrittenBy = map[imap.UID][]string{}
		}
		fp.rewrittenBy[c.uid] = changedBy
	}
	if msg.Changed() {
		raw, _ := msg.Raw()
		c.size = int64(len(raw))
	}
	return true
}
