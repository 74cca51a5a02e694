package engine

// Gmail labels.
//
// Gmail keeps every message once, in the \All folder, and shows it again
// in the folder of each of its labels. Two situations are handled:
//
//   - host2 is Gmail (--synclabels, --resynclabels): each message is copied
//     once (from All Mail, or from the first folder that holds it: the
//     cross-duplicate walk puts All Mail first), then host2's labels are
//     set to what host1 has. Host1's labels are its X-GM-LABELS when it is
//     Gmail and, on any server, the folders the message is in. Labels are
//     read with one bulk UID FETCH per side (in All Mail) and set with UID
//     STORE commands that group the messages sharing the labels to add (or
//     to remove).
//   - host1 is Gmail and host2 has no labels (Options.GmailLabels): each
//     label is a folder holding a copy ("folders"), or each message is
//     copied once, into the folder of its first label, the others becoming
//     keywords ("keywords") or an X-Gmail-Labels header ("header"). Which
//     label wins follows Options.LabelsPriority; All Mail comes last, so it
//     keeps only the messages that have no other label.
//
// Labels are compared as decoded sets: names in UTF-8 (modified UTF-7 on
// the wire), system labels in their canonical spelling (`\Inbox`).

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
)

// The values of Options.GmailLabels.
const (
	GmailLabelsFolders  = "folders"
	GmailLabelsKeywords = "keywords"
	GmailLabelsHeader   = "header"
)

// DefaultLabelsPriority is the order in which a message's labels compete
// for its one copy when Options.LabelsPriority is empty: the user's own
// labels first, then INBOX and the system folders. All Mail always comes
// last unless named.
var DefaultLabelsPriority = []string{"*", "INBOX", `\Sent`, `\Drafts`, `\Important`, `\Starred`, `\Spam`, `\Trash`}

// GmailLabelsHeaderName is the header the "header" mode adds.
const GmailLabelsHeaderName = "X-Gmail-Labels"

// labelState is what the run knows about labels.
type labelState struct {
	// byCopy holds, in the "header" mode, the header line to add to each
	// copy, by host1 folder and UID.
	byCopy map[copyRef]string
	// keywords maps each label made a keyword to its keyword ("keywords").
	keywords map[string]string
	// byKey1 are host1's labels by message key, read before the analysis
	// for the hooks' msg.labels (nil when not read).
	byKey1 map[string][]string
	// set counts the host2 messages whose labels changed, stores the UID
	// STORE commands sent.
	set, stores int64
	ran         bool
}

type copyRef struct {
	folder string
	uid    uint32
}

// labelsOn reports whether host2's Gmail labels are synced.
func (e *engine) labelsOn() bool { return e.opts.SyncLabels || e.opts.ResyncLabels }

func (e *engine) isGmail(s side) bool {
	return e.info[s] != nil && e.info[s].caps.Has(conn.GmailExt)
}

// labelsMode is how host1's labels reach a label-less host2: "" when
// host1 is not Gmail or host2 is, else Options.GmailLabels (folders by
// default).
func (e *engine) labelsMode() string {
	if !e.isGmail(host1) || e.isGmail(host2) {
		return ""
	}
	if e.opts.GmailLabels == "" {
		return GmailLabelsFolders
	}
	return e.opts.GmailLabels
}

// checkLabels refuses label options the servers cannot honour.
func (e *engine) checkLabels() error {
	o := &e.opts
	switch o.GmailLabels {
	case "", GmailLabelsFolders, GmailLabelsKeywords, GmailLabelsHeader:
	default:
		return exitcode.New(exitcode.Usage, "--gmaillabels %s: must be folders, keywords or header", o.GmailLabels)
	}
	if !e.labelsOn() && !(o.Gmail1 && o.GmailLabels != "") {
		return nil
	}
	opt := "--synclabels"
	if !o.SyncLabels {
		opt = "--resynclabels"
	}
	if !e.labelsOn() {
		opt = "--gmaillabels"
	}
	if e.labelsOn() && !e.isGmail(host2) {
		return exitcode.New(exitcode.Usage, "%s: host2 [%s] does not announce %s, so it has no Gmail labels (leave %s out for this server)", opt, o.Host2.Host, conn.GmailExt, opt)
	}
	if o.Gmail1 && !e.isGmail(host1) {
		return exitcode.New(exitcode.Usage, "%s with --gmail1: host1 [%s] does not announce %s, so it has no Gmail labels", opt, o.Host1.Host, conn.GmailExt)
	}
	return nil
}

// attrs returns the LIST attributes of a folder of side s.
func (e *engine) attrs(s side, name string) []string {
	for _, f := range e.info[s].folders {
		if f.Name == name {
			return f.Attrs
		}
	}
	return nil
}

func hasAttr(attrs []string, a string) bool {
	return slices.ContainsFunc(attrs, func(x string) bool { return strings.EqualFold(x, a) })
}

// systemLabels pairs Gmail's system labels with the special-use
// attribute of their folder.
var systemLabels = []struct{ label, attr string }{
	{`\Sent`, `\Sent`},
	{`\Starred`, `\Flagged`},
	{`\Important`, `\Important`},
	{`\Draft`, `\Drafts`},
	{`\Drafts`, `\Drafts`},
	{`\Trash`, `\Trash`},
	{`\Spam`, `\Junk`},
	{`\Junk`, `\Junk`},
}

// folderLabel is the label a folder of side s stands for: `\Inbox`, a
// system label for a special-use folder, "" for All Mail, else its name.
func (e *engine) folderLabel(s side, name string) string {
	if strings.EqualFold(name, "INBOX") {
		return `\Inbox`
	}
	a := e.attrs(s, name)
	if hasAttr(a, `\All`) {
		return ""
	}
	for _, sl := range systemLabels {
		if hasAttr(a, sl.attr) {
			return sl.label
		}
	}
	return name
}

// labelFolder1 is host1's folder for a label ("" for a system label
// without a folder).
func (e *engine) labelFolder1(label string) string {
	if !strings.HasPrefix(label, `\`) {
		return label
	}
	if strings.EqualFold(label, `\Inbox`) {
		return "INBOX"
	}
	for _, sl := range systemLabels {
		if strings.EqualFold(label, sl.label) {
			for _, f := range e.info[host1].folders {
				if hasAttr(f.Attrs, sl.attr) {
					return f.Name
				}
			}
		}
	}
	return ""
}

// mapName1 is the host2 name of a host1 folder: the plan's, or the folder
// chain's for a folder the run does not sync.
func (e *engine) mapName1(h1 string) string {
	for _, fp := range e.plan.folders {
		if fp.h1 == h1 {
			return fp.h2
		}
	}
	h2, _, _, err := e.folderChain().MapFolder(hooks.Folder{
		Name: h1, Target: h1, Sep1: e.info[host1].naming.Sep, Sep2: e.info[host2].naming.Sep,
		Prefix1: e.info[host1].naming.Prefix, Prefix2: e.info[host2].naming.Prefix, SpecialUse: e.info[host1].specialUse(h1),
	})
	if err != nil || h2 == "" {
		return h1
	}
	return h2
}

// translateLabel turns a host1 label into host2's: through the folder
// names, so that --subfolder2 and the other rules rewrite labels as they
// rewrite folders (`\Inbox` included).
func (e *engine) translateLabel(l string) string {
	f1 := e.labelFolder1(l)
	if f1 == "" {
		return l
	}
	return e.label2(f1, e.mapName1(f1))
}

// label2 is the host2 label of host1 folder h1 synced to host2 folder h2.
// A special folder that no rule renamed keeps its system label (host2
// finds its own folder for it: a localised account names it otherwise);
// All Mail is no label.
func (e *engine) label2(h1, h2 string) string {
	l1 := e.folderLabel(host1, h1)
	if l1 == "" {
		return ""
	}
	if strings.HasPrefix(l1, `\`) && h2 == h1 && !e.info[host2].exists[h2] {
		return l1
	}
	return e.folderLabel(host2, h2)
}

// crossDupOrder is the order in which the cross-duplicate walk visits the
// folders: with labels on a Gmail host2, All Mail first (each message is
// copied once, from there); from Gmail to a label-less host2, by label
// priority with All Mail last; otherwise the plan's order.
func (e *engine) crossDupOrder() []*folderPlan {
	out := slices.Clone(e.plan.folders)
	isAll := func(fp *folderPlan) bool { return hasAttr(e.attrs(host1, fp.h1), `\All`) }
	switch {
	case e.labelsOn():
		slices.SortStableFunc(out, func(a, b *folderPlan) int {
			return boolRank(!isAll(a)) - boolRank(!isAll(b))
		})
	case e.labelsMode() != "":
		slices.SortStableFunc(out, func(a, b *folderPlan) int { return e.labelRank(a.h1) - e.labelRank(b.h1) })
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// labelRank is a host1 folder's place in the label priority.
func (e *engine) labelRank(h1 string) int {
	prio := e.opts.LabelsPriority
	if len(prio) == 0 {
		prio = DefaultLabelsPriority
	}
	attrs := e.attrs(host1, h1)
	star := -1
	for i, p := range prio {
		switch {
		case p == "*":
			star = i
		case strings.EqualFold(p, "INBOX") || strings.EqualFold(p, `\Inbox`):
			if strings.EqualFold(h1, "INBOX") {
				return i
			}
		case strings.HasPrefix(p, `\`):
			for _, sl := range systemLabels {
				if strings.EqualFold(p, sl.label) || strings.EqualFold(p, sl.attr) {
					if hasAttr(attrs, sl.attr) {
						return i
					}
				}
			}
			if strings.EqualFold(p, `\All`) && hasAttr(attrs, `\All`) {
				return i
			}
		case strings.HasSuffix(p, "*"):
			if strings.HasPrefix(h1, strings.TrimSuffix(p, "*")) {
				return i
			}
		case p == h1:
			return i
		}
	}
	if hasAttr(attrs, `\All`) {
		return len(prio) + 1
	}
	if star >= 0 {
		return star
	}
	return len(prio)
}

// members maps each host1 key to the folders it was found in.
func (e *engine) members() map[string][]*folderPlan {
	m := map[string][]*folderPlan{}
	for _, fp := range e.plan.folders {
		if !fp.analyzed || fp.skip != "" {
			continue
		}
		for k := range fp.on[host1].keys {
			m[k] = append(m[k], fp)
		}
	}
	return m
}

// planLabelCopies applies the keywords and header modes to the copies
// the cross-duplicate walk kept: each gets its other labels as keywords,
// or in an X-Gmail-Labels header. In the keywords mode, a flag resync of
// a message already on host2 keeps its label keywords.
func (e *engine) planLabelCopies() {
	mode := e.labelsMode()
	if mode != GmailLabelsKeywords && mode != GmailLabelsHeader {
		return
	}
	e.labels.byCopy = map[copyRef]string{}
	e.labels.keywords = map[string]string{}
	members := e.members()
	for _, fp := range e.plan.folders {
		for i := range fp.copies {
			c := &fp.copies[i]
			labels := e.copyLabels(fp, members[fp.matchKey(*c)], fp.matchKey(*c), c.uid, c.size, c.flags())
			if e.opts.DebugLabels {
				e.say("Labels: host1 %s/%d copied to %s with labels (%s) as %s", mailbox.Display(fp.h1), c.uid, mailbox.Display(fp.h2), strings.Join(labels, " "), mode)
			}
			if mode == GmailLabelsHeader {
				if len(labels) > 0 {
					line := GmailLabelsHeaderName + ": " + strings.Join(labels, ", ") + "\r\n"
					e.labels.byCopy[copyRef{fp.h1, uint32(c.uid)}] = line
					c.size += int64(len(line))
				}
				continue
			}
			c.setFlags(e.withKeywords(c.flags(), labels))
		}
		if mode != GmailLabelsKeywords {
			continue
		}
		kept := fp.stores[:0]
		for _, s := range fp.stores {
			if s.key != "" {
				labels := e.copyLabels(fp, members[s.key], s.key, s.uid1, 0, s.to)
				s.to = normalizeFlags(e.withKeywords(s.to, labels))
				if sameFlagsFold(s.to, normalizeFlags(s.from)) {
					continue
				}
			}
			kept = append(kept, s)
		}
		fp.stores = kept
	}
	if len(e.labels.keywords) > 0 {
		e.say("Labels kept as keywords on host2 (--gmaillabels keywords):")
		names := make([]string, 0, len(e.labels.keywords))
		for l := range e.labels.keywords {
			names = append(names, l)
		}
		sort.Strings(names)
		for _, l := range names {
			e.say("  label [%s] -> keyword %s", l, e.labels.keywords[l])
		}
	}
}

// copyLabels are the labels of the host1 message key (found in the
// folders in) that travel with its copy in fp: all of them in the header
// mode, the others than fp's own in the keywords mode; then the label
// hooks decide.
func (e *engine) copyLabels(fp *folderPlan, in []*folderPlan, key string, uid imap.UID, size int64, flags []imap.Flag) []string {
	own := e.folderLabel(host1, fp.h1)
	header := e.labelsMode() == GmailLabelsHeader
	var labels []string
	for _, other := range in {
		if l := e.folderLabel(host1, other.h1); l != "" && (header || l != own) {
			labels = append(labels, l)
		}
	}
	sort.Strings(labels)
	labels = slices.Compact(labels)
	if e.labelHooks() {
		msg := hooks.NewMessage(nil, nil, nil)
		msg.Folder, msg.UID, msg.Size, msg.Flags = fp.h1, uint32(uid), size, flagStrings(flags)
		msg.Labels = e.labels.byKey1[key]
		if msg.Labels == nil {
			msg.Labels = e.memberLabels(in)
		}
		labels = e.hookLabels(msg, labels)
	}
	return labels
}

// sameFlagsFold compares two normalised flag lists, keywords
// case-insensitively (some servers lower-case them).
func sameFlagsFold(a, b []imap.Flag) bool {
	low := func(l []imap.Flag) []string {
		out := make([]string, len(l))
		for i, f := range l {
			out[i] = strings.ToLower(string(f))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(low(a), low(b))
}

// withKeywords adds the keywords of labels to flags (\Starred excepted:
// the message has \Flagged already) and notes the mapping.
func (e *engine) withKeywords(flags []imap.Flag, labels []string) []imap.Flag {
	for _, l := range labels {
		if l == `\Starred` {
			continue
		}
		kw := LabelKeyword(l)
		e.labels.keywords[l] = kw
		if !slices.Contains(flags, imap.Flag(kw)) {
			flags = append(flags, imap.Flag(kw))
		}
	}
	return flags
}

// labelHooks reports whether label hooks (Lua's labels) exist.
func (e *engine) labelHooks() bool { return e.opts.Hooks != nil && len(e.opts.Hooks.Labels) > 0 }

// hookLabels runs the label hooks on the labels meant for host2. A hook
// that fails leaves them as they were, with a line saying so.
func (e *engine) hookLabels(msg *hooks.Message, labels []string) []string {
	if !e.labelHooks() {
		return labels
	}
	out, err := e.opts.Hooks.FilterLabels(msg, labels)
	if err != nil {
		e.fail(report.ClassUnclassified, fmt.Sprintf("Labels hook failed on a message of %s: %v (its labels are left as they were worked out)", mailbox.Display(msg.Folder), err))
		return labels
	}
	return out
}

// memberLabels are the labels of the host1 folders a message is in.
func (e *engine) memberLabels(fps []*folderPlan) []string {
	var out []string
	for _, fp := range fps {
		if l := e.folderLabel(host1, fp.h1); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// loadLabels1 reads host1's labels (a Gmail host1, with message hooks
// that may read msg.labels) before the analysis, with one bulk FETCH in
// All Mail.
func (e *engine) loadLabels1(ctx context.Context) {
	if !e.isGmail(host1) || !(e.hooks.any() || e.labelHooks()) {
		return
	}
	all1 := e.allMail(host1)
	if all1 == "" {
		return
	}
	fields := e.opts.Identity.HeaderFields()
	if fields == nil {
		fields = []string{}
	}
	msgs, err := e.fetchLabels(ctx, host1, all1, fields)
	if err != nil {
		e.say("Host1: could not read the labels in %s: %v (msg.labels is nil)", mailbox.Display(all1), err)
		return
	}
	e.labels.byKey1 = make(map[string][]string, len(msgs))
	for _, m := range msgs {
		if k, ok := e.opts.Identity.Key(m.Header, m.Size); ok {
			l := slices.Clone(m.Labels)
			sort.Strings(l)
			e.labels.byKey1[k] = l
		}
	}
}

// LabelKeyword turns a label into an IMAP keyword: the system labels lose
// their backslash, names are encoded in modified UTF-7, and characters a
// keyword cannot hold become '_'.
func LabelKeyword(l string) string {
	l = mailbox.EncodeUTF7(strings.TrimPrefix(l, `\`))
	b := []byte(l)
	for i, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			b[i] = '_'
		}
	}
	return string(b)
}

// labelsHeaderRewriter adds the X-Gmail-Labels header worked out by
// planLabelCopies ("header" mode).
type labelsHeaderRewriter struct{ e *engine }

func (r labelsHeaderRewriter) Rewrite(m *hooks.Message) error {
	line := r.e.labels.byCopy[copyRef{m.Folder, m.UID}]
	if line == "" {
		return nil
	}
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	m.SetRaw(append([]byte(line), raw...))
	return nil
}

// syncLabels sets host2's labels after the copy (host2 Gmail): for the
// messages this run copied, and with --resynclabels for all the messages
// of the synced folders.
func (e *engine) syncLabels(ctx context.Context) {
	if !e.labelsOn() || ctx.Err() != nil {
		return
	}
	e.labels.ran = true
	o := &e.opts
	want := map[string]map[string]bool{}
	src := map[string]string{} // key -> a host1 folder, for the hooks
	labels1 := map[string][]string{}
	copied := map[string]bool{}
	scope := map[string]bool{} // labels of the synced folders
	for _, fp := range e.plan.folders {
		fr := e.runOf(fp)
		if !fp.analyzed || fp.skip != "" || (fr != nil && fr.notCreated) {
			continue
		}
		l2 := e.label2(fp.h1, fp.h2)
		if l2 != "" {
			scope[l2] = true
		}
		for k := range fp.on[host1].keys {
			if want[k] == nil {
				want[k] = map[string]bool{}
				src[k] = fp.h1
			}
			if l2 != "" {
				want[k][l2] = true
			}
		}
		for _, c := range fp.copies {
			copied[fp.matchKey(c)] = true
		}
	}
	fields := o.Identity.HeaderFields()
	if fields == nil || e.labelHooks() {
		fields = []string{} // the hooks' msg gets the whole header
	}
	if e.isGmail(host1) {
		if all1 := e.allMail(host1); all1 != "" {
			msgs, err := e.fetchLabels(ctx, host1, all1, fields)
			if err != nil {
				e.fail(report.ClassFetch, fmt.Sprintf("Host1: could not read the labels in %s: %v", mailbox.Display(all1), err))
				return
			}
			for _, m := range msgs {
				k, ok := o.Identity.Key(m.Header, m.Size)
				if !ok || want[k] == nil {
					continue
				}
				for _, l := range m.Labels {
					if t := e.translateLabel(l); t != "" {
						want[k][t] = true
					}
				}
				labels1[k] = m.Labels
			}
		}
	}
	all2 := e.allMail(host2)
	if all2 == "" {
		e.fail(report.ClassSelect, "Host2: has X-GM-EXT-1 but no \\All folder: labels not set")
		return
	}
	g2, err := e.dialGmail(ctx, host2)
	if err != nil {
		e.fail(report.ClassSelect, fmt.Sprintf("Host2: labels: %v", err))
		return
	}
	defer g2.Close()
	if err := g2.Select(all2); err != nil {
		e.fail(report.ClassSelect, fmt.Sprintf("Host2: labels: %v", err))
		return
	}
	have, err := g2.FetchLabels(fields)
	if err != nil {
		e.fail(report.ClassFetch, fmt.Sprintf("Host2: could not read the labels in %s: %v", mailbox.Display(all2), err))
		return
	}
	type group struct {
		op     string
		labels []string
		uids   []uint32
	}
	groups := map[string]*group{}
	add := func(op string, labels []string, uid uint32) {
		sort.Strings(labels)
		id := op + "\x00" + strings.Join(labels, "\x00")
		g := groups[id]
		if g == nil {
			g = &group{op: op, labels: labels}
			groups[id] = g
		}
		g.uids = append(g.uids, uid)
	}
	hooked := map[string]map[string]bool{}
	for _, m := range have {
		k, ok := o.Identity.Key(m.Header, m.Size)
		if !ok || want[k] == nil || (!copied[k] && !o.ResyncLabels) {
			continue
		}
		w := hooked[k]
		if w == nil {
			w = want[k]
			if e.labelHooks() {
				msg := hooks.NewMessage(m.Header, nil, nil)
				msg.Folder, msg.Size = src[k], m.Size
				if e.isGmail(host1) {
					msg.Labels = slices.Clone(labels1[k])
					if msg.Labels == nil {
						msg.Labels = []string{}
					}
					sort.Strings(msg.Labels)
				}
				w = setOf(e.hookLabels(msg, sortedKeys(want[k])))
			}
			hooked[k] = w
		}
		cur := setOf(m.Labels)
		var plus, minus []string
		for l := range w {
			if !cur[l] {
				plus = append(plus, l)
			}
		}
		if o.ResyncLabels && !copied[k] {
			for l := range cur {
				if !w[l] && (e.isGmail(host1) || scope[l]) {
					minus = append(minus, l)
				}
			}
		}
		if o.DebugLabels {
			e.say("Labels: host2 %s/%d has (%s) host1 has (%s)%s", mailbox.Display(all2), m.UID, strings.Join(sortedKeys(cur), " "), strings.Join(sortedKeys(w), " "), labelDelta(plus, minus))
		}
		if len(plus) > 0 {
			add("+", plus, m.UID)
		}
		if len(minus) > 0 {
			add("-", minus, m.UID)
		}
		if len(plus)+len(minus) > 0 {
			e.labels.set++
		}
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g := groups[id]
		n, err := e.changes.storeLabels(g2, g.op, g.uids, g.labels)
		e.labels.stores += int64(n)
		if err != nil {
			e.fail(report.ClassFlags, fmt.Sprintf("Host2: could not set labels %s(%s) on %d messages: %v", g.op, strings.Join(g.labels, " "), len(g.uids), err))
		}
	}
	e.say("Labels: %d messages of host2 got host1's labels, with %d UID STORE", e.labels.set, e.labels.stores)
}

// dialGmail opens a raw Gmail session to side s within the side's
// connection bound, like the run's other connections (Gmail allows 15 per
// account): idle workers give theirs up when the bound is reached.
func (e *engine) dialGmail(ctx context.Context, s side) (*conn.Gmail, error) {
	var g *conn.Gmail
	err := e.dialGated(ctx, nil, s, false, func() (<-chan struct{}, error) {
		var err error
		if g, err = conn.DialGmail(ctx, e.servers[s].cfg); err != nil {
			return nil, err
		}
		return g.Closed(), nil
	})
	return g, err
}

// fetchLabels reads the labels of a folder of side s on a raw session.
func (e *engine) fetchLabels(ctx context.Context, s side, folder string, fields []string) ([]conn.Labeled, error) {
	g, err := e.dialGmail(ctx, s)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	if err := g.Select(folder); err != nil {
		return nil, err
	}
	return g.FetchLabels(fields)
}

// allMail is side s's \All folder ("" when it has none).
func (e *engine) allMail(s side) string {
	for _, f := range e.info[s].folders {
		if hasAttr(f.Attrs, `\All`) {
			return f.Name
		}
	}
	return ""
}

func setOf(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, v := range l {
		m[v] = true
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func labelDelta(plus, minus []string) string {
	sort.Strings(plus)
	sort.Strings(minus)
	s := ""
	if len(plus) > 0 {
		s += " +(" + strings.Join(plus, " ") + ")"
	}
	if len(minus) > 0 {
		s += " -(" + strings.Join(minus, " ") + ")"
	}
	return s
}
