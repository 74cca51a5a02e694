package engine

import (
	"context"
	"sync"
)

// runParallel hands jobs, in order, to up to Parallel workers; main is
// one of them. The other workers live as long as the run (their
// connections are opened on first use and reused from phase to phase).
func runParallel[T any](ctx context.Context, e *engine, main *worker, jobs []T, fn func(*worker, T)) {
	runParallelAfter(ctx, e, main, nil, jobs, fn, nil)
}

// runParallelAfter is runParallel where main first runs first (when not
// nil) and only then takes jobs; the other workers begin at once. It is
// meant for runs without connection bounds (main works outside the
// workers' turns while it runs first). Each worker runs last (when not
// nil) once there are no more jobs.
func runParallelAfter[T any](ctx context.Context, e *engine, main *worker, first func(), jobs []T, fn func(*worker, T), last func(*worker)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for _, w := range e.workers(main) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w == main && first != nil {
				first()
			}
			// Between jobs a worker is idle: a dial waiting for a free
			// connection to a host may close its connections (reclaim).
			// Only as many workers as the hosts' connection bounds allow
			// take jobs at once; the others wait for a turn.
			w.setIdle(true)
			for {
				e.begin()
				j, ok := <-ch
				if !ok {
					if last != nil {
						w.setIdle(false)
						last(w)
						w.setIdle(true)
					}
					e.end()
					return
				}
				w.setIdle(false)
				fn(w, j)
				w.setIdle(true)
				e.end()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	// Outside runParallel only main works.
	main.setIdle(false)
}

// workers returns the run's Parallel workers, main first: only main
// for a small plan (smallPlan).
func (e *engine) workers(main *worker) []*worker {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pool) == 0 {
		e.pool = append(e.pool, main)
		for i := 1; i < e.opts.parallel(); i++ {
			e.pool = append(e.pool, &worker{e: e, idle: true})
		}
	}
	if e.small {
		return e.pool[:1]
	}
	return e.pool
}

// A plan that copies at most smallPlanMsgs messages and smallPlanBytes
// bytes is carried out on main's connections: each other worker would
// cost a login to both servers (on Dovecot, a new process and the first
// opening of every folder it touches, which costs more than copying a
// few messages), and main's connections have the folders open already.
// The APPENDs too stay on main's one Appender: measured on the 2-core
// bench (100 new messages over 15 folders, Dovecot), spreading them over a
// second worker's Appender cost Dovecot a login and the opening of every
// folder again, for no gain in time.
const (
	smallPlanMsgs  = 256
	smallPlanBytes = 16 << 20
)

// sizePool sizes the pool for the plan of e.plan.folders: main alone
// when small (see smallPlanMsgs), else every worker.
func (e *engine) sizePool(small bool) {
	e.mu.Lock()
	e.small = small
	e.mu.Unlock()
}

// smallPlan reports whether the plan of e.plan.folders (the whole
// account's, or a group's) is carried out on main's connections (see
// smallPlanMsgs).
func (e *engine) smallPlan() bool {
	msgs, bytes := e.plan.totals()
	return msgs <= smallPlanMsgs && bytes <= smallPlanBytes
}

// closeWorkers logs the workers (main included) out, in parallel.
func (e *engine) closeWorkers(main *worker) {
	ws := e.pool
	if len(ws) == 0 {
		ws = []*worker{main}
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.close()
		}()
	}
	wg.Wait()
}
