package engine

import (
	"context"
	"errors"
	"net"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
)

// The incremental analysis of a rerun reads little of each folder: a
// SELECT, a FETCH or two. Done folder by folder over the parallel
// workers, it costs each worker a login to both servers (a new session,
// so a new server process, on Dovecot) and every folder a round trip or
// two. incrementalBatch reads instead every such folder on the main
// connections: host1's reads of every folder written at once (one round
// trip), then host2's (another). A folder the batch cannot settle (a
// refused SELECT, a folder that moved, anything that needs the full
// analysis) is left to the usual per-folder analysis, which reports it.

// flightBatch bounds the folders of one flights call: their commands are
// all written before any answer is read.
const flightBatch = 32

// flights is flight for several folders on one connection: for each
// folder its SELECT (EXAMINE on host1, as selectFolder), the commands
// its send sends, and an UNSELECT, for every folder, all written before
// any answer is read; then each folder's answers are read in order. The
// server runs a SELECT only once the commands before it are done, so each
// folder's answers come after those of the folder before: go-imap hands
// no folder's FETCH answers to another's FETCH.
//
// errs[i] is folder i's error: its SELECT refused, or its reader's. err
// is non-nil when the connection failed; the batch is then sent again on
// a new connection (as do), every reader running again. piped is false,
// nothing sent, when the server has no UNSELECT.
func (w *worker) flights(ctx context.Context, s side, folders []string, sends []func(*conn.Conn) func(*imap.SelectData) error) (piped bool, errs []error, err error) {
	piped = true
	errs = make([]error, len(folders))
	err = w.retry(ctx, s, func() error {
		c, err := w.client(ctx, s)
		if err != nil {
			return err
		}
		if !c.Caps().Has(imap.CapUnselect) {
			piped = false
			return nil
		}
		if w.sel[s] != "" {
			if err := c.Unselect().Wait(); err != nil {
				if !alive(c) {
					return err
				}
				piped = false // refused: one command at a time
				return nil
			}
			w.sel[s] = ""
		}
		type flight struct {
			sel   *imapclient.SelectCommand
			read  func(*imap.SelectData) error
			unsel *imapclient.Command
		}
		fl := make([]flight, len(folders))
		for i, name := range folders {
			fl[i].sel = c.Select(name, &imap.SelectOptions{ReadOnly: s == host1 && !w.e.opts.writes1()})
			fl[i].read = sends[i](c)
			fl[i].unsel = c.Unselect()
		}
		left := "" // the folder still selected once all is read
		for i, f := range fl {
			data, selErr := f.sel.Wait()
			if selErr != nil {
				data = nil
			}
			rerr := f.read(data)
			uerr := f.unsel.Wait()
			switch {
			case uerr == nil:
				left = ""
			case selErr == nil:
				left = folders[i]
			}
			errs[i] = errors.Join(selErr, rerr)
			if !alive(c) {
				// Every later answer is lost too: the whole batch again.
				for j := range errs {
					errs[j] = nil
				}
				if e := errors.Join(selErr, rerr, uerr); e != nil {
					return e
				}
				return net.ErrClosed
			}
		}
		w.sel[s] = left
		return nil
	})
	return piped, errs, err
}

// incrementalBatch carries out, on main's connections, the incremental
// analysis of the folders of todo that take it (see above), and returns
// the folders left for the per-folder analysis, in todo's order.
func (e *engine) incrementalBatch(ctx context.Context, main *worker, todo []*folderPlan) (rest []*folderPlan) {
	var batch []*folderPlan
	for _, fp := range todo {
		if fp.skip == "" && fp.incremental && !e.inRecovery(fp.h2) {
			batch = append(batch, fp)
		}
	}
	if len(batch) == 0 {
		return todo
	}
	done := map[*folderPlan]bool{}
	for start := 0; start < len(batch) && ctx.Err() == nil; start += flightBatch {
		for _, fp := range e.incrementalFlights(ctx, main, batch[start:min(start+flightBatch, len(batch))]) {
			done[fp] = true
		}
	}
	for _, fp := range todo {
		if !done[fp] {
			rest = append(rest, fp)
		}
	}
	return rest
}

// incrementalFlights is incrementalBatch for at most flightBatch folders:
// it returns those it analysed.
func (e *engine) incrementalFlights(ctx context.Context, main *worker, fps []*folderPlan) (done []*folderPlan) {
	ins := make([]*incr, len(fps))
	names := make([]string, len(fps))
	sends := make([]func(*conn.Conn) func(*imap.SelectData) error, len(fps))
	for i, fp := range fps {
		in := &incr{}
		ins[i], names[i] = in, fp.h1
		sends[i] = func(c *conn.Conn) func(*imap.SelectData) error { return e.send1(c, fp, in) }
	}
	piped, errs, err := main.flights(ctx, host1, names, sends)
	if err != nil || !piped {
		return nil
	}
	// Host1 is read: what each folder needs of host2.
	var two []int // indexes of the folders host2 is read for
	var ok []int  // of those settled without it
	for i, fp := range fps {
		in := ins[i]
		switch {
		case errors.Is(errs[i], errNotIncremental):
			fp.incremental = false
		case errs[i] != nil || in.needSearch:
			// Read again, and reported, by the per-folder analysis.
		default:
			if err := e.decideIncr(fp, in); err != nil {
				fp.incremental = false
				continue
			}
			if in.needs2() {
				two = append(two, i)
			} else {
				ok = append(ok, i)
			}
		}
	}
	if len(two) > 0 {
		names, sends = names[:0], sends[:0]
		for _, i := range two {
			fp, in := fps[i], ins[i]
			names = append(names, fp.h2)
			sends = append(sends, func(c *conn.Conn) func(*imap.SelectData) error { return e.send2(c, fp, in) })
		}
		piped, errs, err := main.flights(ctx, host2, names, sends)
		if err == nil && piped {
			for j, i := range two {
				switch {
				case errors.Is(errs[j], errNotIncremental):
					fps[i].incremental = false
				case errs[j] == nil:
					ok = append(ok, i)
				}
			}
		}
	}
	for i, fp := range fps {
		if !slices.Contains(ok, i) {
			continue
		}
		e.planIncr(fp, ins[i])
		fp.analyzed = true
		done = append(done, fp)
	}
	return done
}

// inRecovery reports whether host2 folder is one a dead run was
// appending to: its analysis first waits for it to be quiet (settle).
func (e *engine) inRecovery(folder string) bool {
	r := e.recovery
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.folders[folder] && !r.settled[folder]
}
