package engine

import (
	"context"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// defaultPlanGroup is the default of Options.PlanGroup. A group's plan
// holds about 50 bytes per host1 message, but a group's copy and state
// work is held while the next group is analysed, and the heap grows to
// twice what is live: on 10 folders of 100,000 messages, groups of
// 200,000 peaked at 173 MB of RSS and groups of 100,000 at 130 MB, for 4 %
// more time.
const defaultPlanGroup = 100000

// groupable reports whether the folders may be planned and carried out
// in groups (Run): not when an option needs the whole account's plan
// before the first change, nor when a group's changes could change what
// another group plans.
//   - --skipcrossduplicates and Gmail labels compare folders with one
//     another.
//   - --folderfirst and --folderlast order the copies of the whole account.
//   - --delete2 without --force refuses the run, before any change, when
//     a folder would lose too much; --delete2folders and
//     --delete1emptyfolders need every folder's analysis.
//   - Two host1 folders feeding one host2 folder would see each other's
//     copies from one group to the next.
//   - A dead run's APPENDs in doubt are checked once every folder is
//     carried out.
func (e *engine) groupable() bool {
	o := &e.opts
	m := e.labelsMode()
	return !o.SkipCrossDuplicates && !e.labelsOn() && m != GmailLabelsKeywords && m != GmailLabelsHeader &&
		len(o.Selection.FolderFirst) == 0 && len(o.Selection.FolderLast) == 0 &&
		!(o.Delete2 && !o.Force) && !o.Delete2Folders && !o.Delete1EmptyFolders &&
		!e.plan.merged && e.recovery == nil && !o.JustFolderSizes
}

// groupFolders divides the folders of the plan, in order, into groups of
// at most Options.PlanGroup host1 messages, counted by STATUS (a folder
// larger than that is a group of its own), and returns them; one group
// (or none) when the account is small enough for one plan. todo are the
// folders left to analyse (prepareAnalysis): the others weigh nothing.
func (e *engine) groupFolders(ctx context.Context, main *worker, todo []*folderPlan) [][]*folderPlan {
	limit := int64(e.opts.PlanGroup)
	if limit <= 0 {
		limit = defaultPlanGroup
	}
	weight := make(map[*folderPlan]int64, len(todo))
	if e.opts.State != nil {
		// prepareAnalysis read every folder's STATUS.
		for _, fp := range todo {
			switch {
			case fp.skip != "" || fp.flagsOnly:
			case !fp.stateLoaded:
				weight[fp] = limit // not known: a group of its own
			case fp.incremental && fp.state != nil:
				weight[fp] = max(int64(fp.status1.Messages)-int64(fp.state.Len()), 0)
			default:
				weight[fp] = int64(fp.status1.Messages)
			}
		}
	} else {
		var want []*folderPlan
		var names []string
		for _, fp := range todo {
			if fp.skip == "" {
				want = append(want, fp)
				names = append(names, fp.h1)
			}
		}
		if len(names) == 0 {
			return nil
		}
		st, errs, err := e.statusBatch(ctx, main, host1, names)
		if err != nil {
			return nil // one plan, as for a small account
		}
		for i, fp := range want {
			weight[fp] = int64(st[i].Messages)
			if errs[i] != nil {
				weight[fp] = limit
			}
		}
	}
	var groups [][]*folderPlan
	var cur []*folderPlan
	var sum int64
	for _, fp := range e.plan.folders {
		w := weight[fp]
		if sum > 0 && sum+w > limit {
			groups = append(groups, cur)
			cur, sum = nil, 0
		}
		cur = append(cur, fp)
		sum += w
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// runGroups carries out a plan divided into groups (groupFolders): each
// group is analysed, then printed (--dry) or carried out, then compacted
// (compact), before the next group is analysed; the result covers every
// folder. Each group is carried out as a whole plan is (Execute): its
// folders created, its messages copied, its deletions done and its state
// saved, and its host2 folders read again, before the next one begins.
func (p *Plan) runGroups(ctx context.Context) (*Result, error) {
	e := p.e
	all, groups := e.plan.folders, e.plan.groups
	ctx, cancel := e.execContext(ctx)
	defer cancel()
	if !e.opts.Dry {
		if err := e.beginExecute(); err != nil {
			return nil, err
		}
	}
	for i, g := range groups {
		if ctx.Err() != nil {
			break
		}
		e.plan.folders = g
		e.say("++++ Group %d of %d: folders %d to %d of %d, planned and carried out before the next group", i+1, len(groups), g[0].index, g[len(g)-1].index, len(all))
		var todo []*folderPlan // not settled by the state already
		for _, fp := range g {
			if !fp.analyzed {
				todo = append(todo, fp)
			}
		}
		e.analyzeFolders(ctx, p.main, todo)
		if e.opts.FolderSizes {
			e.printSizes(true)
		}
		if e.opts.Dry {
			p.Print(e.out)
		} else {
			e.executePart(ctx, p.main)
		}
		for _, fp := range g {
			e.compact(fp)
		}
	}
	e.plan.folders = all
	e.closeRawSearch()
	if e.opts.Dry {
		return e.result(), nil
	}
	res := e.endExecute(ctx)
	e.printSetAside()
	return res, nil
}

// compact drops what fp's plan and execution hold per message, once its
// group is carried out (or printed), keeping what the report reads: the
// counts and sizes, the identities as hashes (folderSide.ids), and for a
// dry run how many messages it would copy and delete.
func (e *engine) compact(fp *folderPlan) {
	if e.opts.Dry && e.plan.scope == scopeAll && fp.skip == "" {
		del1, del2 := fp.deletions(&e.opts)
		fp.would = &wouldDo{copies: len(fp.copies), del1: len(del1), del2: len(del2)}
	}
	for s := range fp.on {
		in := &fp.on[s]
		if in.keys != nil {
			in.ids = in.appendHashes(nil).settle()
			in.keys = nil
		}
	}
	fp.copies, fp.rewrittenBy = nil, nil
	fp.present1, fp.only2, fp.dups2, fp.stores = nil, nil, nil, nil
	fp.known2, fp.matched, fp.dropped, fp.all = nil, nil, nil, [2][]imap.UID{}
	fp.state = nil
	fp.oddMu.Lock()
	fp.oddKeys = nil
	fp.oddMu.Unlock()
	if fr := e.runOf(fp); fr != nil {
		fr.mu.Lock()
		fr.copiedPairs, fr.confirmed1, fr.unconfirmed1 = nil, nil, nil
		if a := fr.after; a != nil && !fp.byUID {
			// The report counts host2 from the folder read again.
			fr.doneDropped += len(fr.done)
			fr.done = nil
			if in := &fp.on[host1]; slices.Equal(a.ids, in.ids) {
				// Once synced, host2 holds host1's identities: one set
				// (8 bytes a message) serves both sides' counts.
				a.ids = in.ids
			}
		}
		fr.mu.Unlock()
	}
}

// wouldDo is what a compacted folder's plan would have done (--dry).
type wouldDo struct {
	copies, del1, del2 int
}

// dryFigures returns how many messages fp's plan copies and deletes on
// each side.
func (fp *folderPlan) dryFigures(o *Options) (copies, del1, del2 int) {
	if fp.would != nil {
		return fp.would.copies, fp.would.del1, fp.would.del2
	}
	d1, d2 := fp.deletions(o)
	return len(fp.copies), len(d1), len(d2)
}
