package engine

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/report"
	"github.com/imapshift/imapshift/core/state"
)

// Plan is what one run is to do, worked out from both servers before
// anything is changed: the host2 folders to create and subscribe, the
// messages to copy, the flags to set, the messages and folders to delete.
// Print lists it (--dry); Execute carries it out. A Plan holds the run's
// connections, ready for Execute, until Execute or Close returns.
//
// One change may come before Execute: on a rerun with the state, a plan
// made without Options.Dry (nor a --just mode) may have set already, on
// host2, the flags host1 changed since the last run (earlyStores, in the
// read of their host2 flags); Execute then only reports them.
type Plan struct {
	e    *engine
	main *worker
	// stop ends the context of the planning connections' work.
	stop context.CancelFunc
	once sync.Once
}

// NewPlan logs in to both servers, lists their folders and analyses every
// selected folder (unless a --just mode stops earlier), printing its
// progress lines to opts.Out, and returns the plan. The error is non-nil
// only when the run cannot proceed (logins, listing, a refused option);
// problems with single folders or messages are in the errors of the
// Result.
func NewPlan(ctx context.Context, opts Options) (*Plan, error) {
	return newPlan(ctx, opts, false)
}

// newPlan is NewPlan; with grouped set, a large account is only divided
// into groups of folders (plan.groups), for runGroups to analyse one at a
// time.
func newPlan(ctx context.Context, opts Options, grouped bool) (*Plan, error) {
	e := &engine{
		opts: opts,
		servers: [2]*server{
			{cfg: opts.Host1, retries: opts.ReconnectRetry1},
			{cfg: opts.Host2, retries: opts.ReconnectRetry2},
		},
		spool:    newSpool(opts.BodyBudget, opts.TmpDir),
		out:      opts.Out,
		noted:    map[string]bool{},
		start:    time.Now(),
		memStart: report.PeakRSSMiB(),
	}
	ctx, stop := context.WithCancel(ctx)
	e.cancel = stop
	if e.out == nil {
		e.out = io.Discard
	}
	e.hooks = newMsgHooks(opts.Hooks, opts.AddHeader)
	e.throttle = newThrottle(opts.Limits)
	e.progress = opts.Progress
	if e.progress == nil {
		e.progress = noProgress{}
	}
	main, err := e.login(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	p := &Plan{e: e, main: main, stop: stop}
	e.recovery, e.journal = e.loadRecovery(opts.Journal)
	if err := e.makePlan(ctx, main, grouped); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close logs out of both servers. It is safe to call more than once, and
// after Execute.
func (p *Plan) Close() {
	p.once.Do(func() {
		p.e.closeWorkers(p.main)
		p.stop()
		// Bodies read with the headers of a plan not carried out.
		for _, fp := range p.e.plan.folders {
			for _, b := range fp.early {
				b.body.free()
			}
			fp.early = nil
		}
	})
}

// Result returns what the run did so far: for a plan not executed (--dry,
// the --just modes), the statistics of the analysis and what a real run
// would copy and delete.
func (p *Plan) Result() *Result { return p.e.result() }

// login opens the main connection to each side; both logins are always
// attempted.
func (e *engine) login(ctx context.Context) (*worker, error) {
	var c1, c2 *conn.Conn
	var err1, err2 error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c1, err1 = e.dialConn(ctx, nil, host1) }()
	go func() { defer wg.Done(); c2, err2 = e.dialConn(ctx, nil, host2) }()
	wg.Wait()
	if err := errors.Join(err1, err2); err != nil {
		for _, c := range []*conn.Conn{c1, c2} {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	for _, c := range []*conn.Conn{c1, c2} {
		e.say("%s: success login on [%s] with user [%s] auth [%s]", c.Config.Name(), c.Config.Host, c.Config.User, c.Mech)
		for _, n := range c.Notes {
			e.say("%s", n)
		}
	}
	return &worker{e: e, conns: [2]*conn.Conn{c1, c2}}, nil
}

// makePlan fills e.plan: folders, then (unless a --just mode stops
// before) the analysis of their messages and the deletions. With grouped
// set, a large account's folders are divided into groups instead of
// analysed (groupFolders).
func (e *engine) makePlan(ctx context.Context, main *worker, grouped bool) error {
	opts := &e.opts
	if err := e.discover(ctx, main); err != nil {
		return err
	}
	if opts.JustFolderLists {
		for _, side := range e.info {
			e.say("%s folders list:", side.name)
			for _, n := range side.names {
				e.say("%s", mailbox.Display(n))
			}
		}
		return nil
	}
	if err := e.checkLabels(); err != nil {
		return err
	}
	if err := e.checkGmailRaw(); err != nil {
		return err
	}
	if e.labelsMode() == GmailLabelsHeader {
		e.hooks.rewrites.Rewrites = append(e.hooks.rewrites.Rewrites, hooks.Named[hooks.MessageRewriter]{Name: "gmaillabels", Hook: labelsHeaderRewriter{e}})
	}
	e.plan.appendLimit = effectiveAppendLimit(opts.AppendLimit, e.info[host2].caps)
	if err := e.nameFolders(); err != nil {
		return err
	}
	e.checkSubscriptions2(main)
	e.printFolderList()
	if opts.JustAutomap {
		return nil
	}
	if opts.JustFolders {
		e.plan.deleted[host2] = e.planDelete2Folders()
		e.plan.scope = scopeFolders
		return nil
	}
	// Folders missing on host2 are analysed as empty there; they are
	// created afterwards, so that --skipemptyfolders and --justfoldersizes
	// create nothing they should not.
	e.loadLabels1(ctx)
	if grouped && e.groupable() {
		if err := e.checkDeletions(); err != nil {
			return err // before any STATUS: a refused option
		}
		todo := e.prepareAnalysis(ctx, main)
		if groups := e.groupFolders(ctx, main, todo); len(groups) > 1 {
			e.plan.groups, e.plan.all = groups, e.plan.folders
			e.plan.scope = scopeAll
			return nil
		}
		e.analyzeFolders(ctx, main, todo)
	} else {
		e.analyzeAll(ctx, main)
	}
	e.closeRawSearch()
	if m := e.labelsMode(); opts.SkipCrossDuplicates || e.labelsOn() || m == GmailLabelsKeywords || m == GmailLabelsHeader {
		e.skipCrossDuplicates()
	}
	e.planLabelCopies()
	if err := e.checkDeletions(); err != nil {
		return err
	}
	if opts.FolderSizes || opts.JustFolderSizes {
		e.printSizes(true)
	}
	if opts.JustFolderSizes {
		return nil
	}
	e.plan.deleted = [2][]string{e.planDelete1EmptyFolders(), e.planDelete2Folders()}
	e.plan.scope = scopeAll
	return nil
}

func (e *engine) discover(ctx context.Context, w *worker) error {
	// Both sides at once.
	var err2 error
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.info[host2], err2 = discover(ctx, w.conns[host2], host2.String(), e.opts.Sep2, e.opts.Prefix2, listWants{status: e.listStatus()})
	}()
	var err error
	e.info[host1], err = discover(ctx, w.conns[host1], host1.String(), e.opts.Sep1, e.opts.Prefix1, listWants{status: e.listStatus(), allSubscribed: e.allSubscribed1()})
	<-done
	if err != nil {
		return err
	}
	if err2 != nil {
		return err2
	}
	for _, n := range append(e.info[host1].notes, e.info[host2].notes...) {
		e.say("%s", n)
	}
	e.say("Host1: found %d folders.", len(e.info[host1].names))
	e.say("Host2: found %d folders.", len(e.info[host2].names))
	e.say("Host1: %s", e.info[host1].naming)
	e.say("Host2: %s", e.info[host2].naming)
	return nil
}

// listStatus tells whether the LIST asks for every folder's STATUS
// (LIST-STATUS), for loadStates: with the state, when the run reads the
// folders' messages, and every folder is selected (a few folders of many
// would make the servers compute the STATUS of all).
func (e *engine) listStatus() bool {
	o := &e.opts
	return o.State != nil && !o.JustFolderLists && !o.JustAutomap && !o.JustFolders &&
		o.Selection.DefaultAll() && o.Subfolder1 == ""
}

// allSubscribed1 tells whether the folder selection needs every host1
// subscription, those of names with no folder included: --subscribed
// selects them, and --folder without --checkfoldersexist keeps a folder
// host1 does not list (subscribed on host2 if subscribed on host1).
func (e *engine) allSubscribed1() bool {
	sel := &e.opts.Selection
	return sel.Subscribed || (len(sel.Folders) > 0 && !sel.CheckFoldersExist)
}

// checkSubscriptions2 reads every host2 subscription when the LIST gave
// only those of existing folders (sideInfo.subsExisting) and the plan
// subscribes a folder host2 does not have: a subscription may outlive its
// folder, and a folder subscribed already is not subscribed again.
func (e *engine) checkSubscriptions2(w *worker) {
	i2 := e.info[host2]
	if !i2.subsExisting {
		return
	}
	var check []*folderPlan
	for _, fp := range e.plan.folders {
		if fp.subscribe && !i2.exists[fp.h2] {
			check = append(check, fp)
		}
	}
	if len(check) == 0 {
		return
	}
	i2.listSubscribed(w.conns[host2])
	for _, fp := range check {
		fp.subscribe = !i2.subscribed[fp.h2]
	}
}

// scope is how much of a run a plan covers.
type scope int

const (
	// scopeNone: a --just mode that only reports (folder lists, automap,
	// folder sizes); there is nothing to carry out.
	scopeNone scope = iota
	// scopeFolders: --justfolders, the folder part only.
	scopeFolders
	// scopeAll: folders and messages.
	scopeAll
)

// plan is the data of a Plan.
type plan struct {
	scope scope
	// folders are the folders of the plan; while runGroups carries out
	// groups, those of the current group.
	folders []*folderPlan
	// groups, when set, divide the folders (all of them, in order) into
	// the groups runGroups plans and carries out one at a time.
	groups [][]*folderPlan
	all    []*folderPlan
	// extra2 are host2 folders with no host1 counterpart.
	extra2 []string
	// merged is set when two host1 folders feed one host2 folder.
	merged bool
	// deleted lists the folders to remove on each side (--delete1emptyfolders
	// on host1, --delete2folders on host2), deepest first.
	deleted [2][]string
	// appendLimit is the largest message host2 takes (0: no limit).
	appendLimit int64
}

// total is the number of folders of the run (of every group).
func (p *plan) total() int {
	if p.all != nil {
		return len(p.all)
	}
	return len(p.folders)
}

// totals sums what the analyzed folders copy.
func (p *plan) totals() (msgs int, bytes int64) {
	for _, f := range p.folders {
		msgs += len(f.copies)
		bytes += f.copyBytes()
	}
	return
}

// folderPlan is what happens to one host1 folder. It is filled in two
// steps: naming (which host2 folder, created or not) and analysis (which
// messages to copy, which flags to set, which messages to delete).
type folderPlan struct {
	index int    // 1-based position in the sync order
	h1    string // host1 name (UTF-8)
	h2    string // host2 name (UTF-8)
	rule  string // what decided h2 (mailbox.Rule*)
	// create is set when h2 does not exist on host2; parents lists the
	// missing ancestors to create first, outermost first.
	create  bool
	parents []string
	// subscribe is set when h2 must be subscribed on host2.
	subscribe bool
	// skip, when not empty, is why the folder is not synced.
	skip string

	analyzed bool
	// on holds what the analysis found in the folder of each side.
	on             [2]folderSide
	permanentFlags []imap.Flag // host2's PERMANENTFLAGS
	copies         []copyItem
	// rewrittenBy names, for a dry run, the hooks that would change a
	// message to copy (by host1 UID).
	rewrittenBy map[imap.UID][]string
	// present1 are host1 messages already on host2 (--delete1 removes
	// them); only2 are identified host2 messages no host1 message matches
	// (--delete2); dups2 are extra host2 copies (--delete2duplicates).
	present1, only2, dups2 []imap.UID
	stores                 []storeItem
	alreadyThere           int // messages skipped because present on host2
	bytesAlready           int64
	crossDup               int
	// atPlan counts what the message hooks decided during the analysis.
	atPlan tally

	// State (--usecache): the folder pair, its stored state, host1's status
	// before the analysis; unchanged is set when the folder was skipped as
	// unchanged since the last run. matched are the pairs the analysis
	// found, saved at the end.
	pair      state.FolderPair
	state     *state.FolderState
	status1   state.Status
	validity1 uint32
	// validity2 and uidNext2 are host2's UIDVALIDITY and UIDNEXT when the
	// analysis read the folder (0 for a folder the plan creates): every
	// message this run appends gets a UID at or above uidNext2.
	validity2, uidNext2 uint32
	// known2 are the host2 messages the analysis selected, in ascending
	// UID order, kept for a folder the run may change (measure2).
	known2 []known2
	// inSelection1 counts the host1 messages the selection (--search,
	// --maxage...) kept; --skipemptyfolders skips folders where it is 0.
	inSelection1 int
	stateLoaded  bool
	unchanged    bool
	flagsOnly    bool // only flags changed since the last run (CONDSTORE)
	// incremental is set when only the changes are read (incremental.go);
	// dropped are then the host1 UIDs expunged since the last run, to
	// remove from the state. size1 and size2 are the folders' sizes from
	// STATUS (-1: not told), messages2 host2's MESSAGES (with stateLoaded).
	incremental bool
	dropped     []uint32
	// early are bodies of copies that the incremental batch fetched with
	// their headers (earlyBodies), handed to the folder's run (pre) when
	// it begins. storedEarly is set when host2's read set the flags of
	// stores already (earlyStores).
	early        map[imap.UID]prefetched
	storedEarly  bool
	size1, size2 int64
	messages2    uint32
	byUID        bool // identity is the state's UID map (--useuid)
	matched      []matchedPair
	// listed is set when the analysis read every UID of both folders
	// (all), with a state loaded: saving the state then prunes it.
	listed bool
	all    [2][]imap.UID
	// would is set once a dry run's group compacted the folder (compact).
	would *wouldDo
	// oddKeys are the header keys not of the default form (see ikey) of
	// the host1 messages of copies and matched, by UID.
	oddMu   sync.Mutex
	oddKeys map[imap.UID]string
}

// folderSide is what the analysis found in one side's folder.
type folderSide struct {
	count    uint32 // messages, as SELECT (or STATUS) counts them
	size     int64  // bytes of all messages
	big      int64  // largest message
	selected int    // identified messages kept for the sync
	dup      int    // identified messages that duplicate a selected one
	void     int    // messages without the identifying headers
	// keys are the identities of the selected messages; ids are their
	// hashes (keyHash), settled, once a folder carried out in a group
	// dropped keys (compact).
	keys map[string]struct{}
	ids  hashSet
}

// keyCount is the number of identities of the side.
func (s *folderSide) keyCount() int { return len(s.keys) + len(s.ids) }

// appendHashes appends the hashes of the side's identities to h.
func (s *folderSide) appendHashes(h hashSet) hashSet {
	for k := range s.keys {
		h = append(h, keyHash(k))
	}
	return append(h, s.ids...)
}

// settled returns the side's identities as a settled set of hashes: ids
// itself when there are no keys (ids are always settled), which the
// caller does not modify.
func (s *folderSide) settled() hashSet {
	if len(s.keys) == 0 {
		return s.ids
	}
	return s.appendHashes(nil).settle()
}

// copyBytes is the size of what the folder copies.
func (fp *folderPlan) copyBytes() (n int64) {
	for _, c := range fp.copies {
		n += c.size
	}
	return n
}

// deletions returns the host1 and host2 messages of fp that the deletion
// options remove: --delete1 removes every host1 message once it is on
// host2 (those there already and those the plan copies), --delete2 the
// host2 messages no host1 message matches, --delete2duplicates the extra
// host2 copies.
func (fp *folderPlan) deletions(o *Options) (del1, del2 []imap.UID) {
	if o.Delete2 {
		del2 = append(del2, fp.only2...)
	}
	if o.Delete2Duplicates {
		del2 = append(del2, fp.dups2...)
	}
	if o.Delete1 {
		del1 = append(del1, fp.present1...)
		for _, c := range fp.copies {
			del1 = append(del1, c.uid)
		}
	}
	return del1, del2
}

// copyItem is one message to copy from host1 to host2. A plan holds one
// per message to copy, by the million on a large account: its fields are
// packed (48 bytes, the key included), and read through flags, date and
// the folder's copyKey and matchKey.
type copyItem struct {
	size  int64
	idate int64        // INTERNALDATE to set, packed (packDate); 0: the server chooses
	fl    *[]imap.Flag // already filtered for host2, interned; nil: none
	hkey  ikey         // header identity, to find the copy on host2 (setKey)
	uid   imap.UID
	// addHeader: prepend "Message-Id: <UID@imapsync>"; byUID: matched by
	// UID (--useuid), see matchKey; oddKey: hkey is not of the default
	// form (setKey).
	addHeader, byUID, oddKey bool
}

// flags returns the flags to set on host2; callers never modify them.
func (c copyItem) flags() []imap.Flag {
	if c.fl == nil {
		return nil
	}
	return *c.fl
}

// setFlags sets the flags to set on host2.
func (c *copyItem) setFlags(f []imap.Flag) { c.fl = internFlagsRef(f) }

// date returns the INTERNALDATE to set (zero: the server chooses).
func (c copyItem) date() time.Time { return unpackDate(c.idate) }

// setDate sets the INTERNALDATE to set, to the second.
func (c *copyItem) setDate(t time.Time) { c.idate = packDate(t) }

// storeItem sets the flags of a host2 message to those of host1.
type storeItem struct {
	uid1, uid2 imap.UID
	from, to   []imap.Flag
	key        string // the message's identity, when the analysis knows it
}

// tally counts what the message hooks did to a folder's messages:
// messages skipped, in all and by hook, and messages not copied because
// of an error. It is safe for concurrent use.
type tally struct {
	mu           sync.Mutex
	skippedBy    map[string]int
	skipped      int
	skippedBytes int64
	failed       int
}

func (t *tally) skip(by string, size int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.skippedBy == nil {
		t.skippedBy = map[string]int{}
	}
	t.skippedBy[by]++
	t.skipped++
	t.skippedBytes += size
}

func (t *tally) fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed++
}

// failures returns the number of messages not copied because of an error.
func (t *tally) failures() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// addTo adds the skips to the run's counters.
func (t *tally) addTo(c *report.Counters) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.Skipped += int64(t.skipped)
	c.BytesSkipped += t.skippedBytes
	for by, n := range t.skippedBy {
		if c.SkippedBy == nil {
			c.SkippedBy = map[string]int64{}
		}
		c.SkippedBy[by] += int64(n)
	}
}
