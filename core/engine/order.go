package engine

import (
	"context"
	"slices"
)

// Folder phases: the --folderfirst folders, the others, the --folderlast
// folders.
const (
	phaseFirst = iota
	phaseMiddle
	phaseLast
)

// phase returns the phase of fp: a folder named by --folderfirst is
// first (even when --folderlast names it too, as the folder order has
// it), one named by --folderlast only is last.
func (e *engine) phase(fp *folderPlan) int {
	sel := &e.opts.Selection
	switch {
	case slices.Contains(sel.FolderFirst, fp.h1):
		return phaseFirst
	case slices.Contains(sel.FolderLast, fp.h1):
		return phaseLast
	}
	return phaseMiddle
}

// runPhased is runParallel over jobs in three rounds, one per folder
// phase (of is the folder of a job): the --folderfirst folders' jobs all
// end before any other begins, and the --folderlast folders' jobs begin
// only once every other has ended. Within a round the jobs run in order
// over the parallel workers, as in runParallel. Without --folderfirst and
// --folderlast it is one runParallel.
func runPhased[T any](ctx context.Context, e *engine, main *worker, jobs []T, of func(T) *folderPlan, fn func(*worker, T)) {
	if len(e.opts.Selection.FolderFirst) == 0 && len(e.opts.Selection.FolderLast) == 0 {
		runParallel(ctx, e, main, jobs, fn)
		return
	}
	var rounds [3][]T
	for _, j := range jobs {
		p := e.phase(of(j))
		rounds[p] = append(rounds[p], j)
	}
	for _, r := range rounds {
		if len(r) > 0 && ctx.Err() == nil {
			runParallel(ctx, e, main, r, fn)
		}
	}
}
