package engine

import (
	"context"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
)

// changes is the only way the engine changes a server. The executor calls
// it; the dry-run path prints the plan and never reaches it.
type changes struct{}

// createMany creates folders on host2, in order, with the CREATEs
// pipelined: one round trip for them all rather than one each. errs[i] is
// why names[i] could not be created (a folder that exists afterwards
// counts as created, as in create).
//
// subs are folders to subscribe once created (or existing): their
// SUBSCRIBEs follow the CREATEs in the same round trip, and subErrs[i] is
// subs[i]'s failure. A folder of subs that could not be created ends up
// unsubscribed (its SUBSCRIBE is undone), as if it had not been sent.
func (changes) createMany(ctx context.Context, w *worker, names, subs []string) (errs, subErrs []error) {
	errs, subErrs = make([]error, len(names)), make([]error, len(subs))
	err := w.do(ctx, host2, func(c *conn.Conn) error {
		cmds := make([]*imapclient.Command, len(names))
		for i, name := range names {
			cmds[i] = c.Create(name, nil)
		}
		subCmds := make([]*imapclient.Command, len(subs))
		for i, name := range subs {
			subCmds[i] = c.Subscribe(name)
		}
		// A lost connection, or a session ended by its OAuth2 token's
		// expiry (a NO to whichever command came last), sends all again.
		var lost error
		ended := func(err error) bool { return connLost(err) || w.e.tokenEnded(host2, err) }
		for i, cmd := range cmds {
			if errs[i] = cmd.Wait(); ended(errs[i]) {
				lost = errs[i]
			}
		}
		for i, cmd := range subCmds {
			if subErrs[i] = cmd.Wait(); ended(subErrs[i]) {
				lost = subErrs[i]
			}
		}
		if lost != nil {
			return lost // all again on a new connection
		}
		failed := map[string]error{}
		for i, err := range errs {
			if err == nil {
				continue
			}
			if _, serr := c.Status(names[i], &imap.StatusOptions{NumMessages: true}).Wait(); serr == nil {
				errs[i] = nil
			} else {
				failed[names[i]] = err
			}
		}
		for i, name := range subs {
			if err, ok := failed[name]; ok {
				if subErrs[i] == nil {
					c.Unsubscribe(name).Wait() // best effort
				}
				subErrs[i] = err
			}
		}
		return nil
	})
	if err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		for i := range subErrs {
			if subErrs[i] == nil {
				subErrs[i] = err
			}
		}
	}
	return errs, subErrs
}

// deleteFolder unsubscribes and deletes a folder on side s.
func (changes) deleteFolder(ctx context.Context, w *worker, s side, name string) error {
	return w.do(ctx, s, func(c *conn.Conn) error {
		if w.sel[s] == name {
			if err := c.Unselect().Wait(); err != nil {
				return err
			}
			w.sel[s] = "" // the other side keeps its selection
		}
		c.Unsubscribe(name).Wait() // not subscribed is fine
		return c.Delete(name).Wait()
	})
}

// markDeleted adds \Deleted to uids in the folder selected on c.
func (changes) markDeleted(c *conn.Conn, uids imap.UIDSet) error {
	return c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
}

// expunge removes deleted messages of the folder selected on c: only uids
// (UID EXPUNGE) when given, else all of them (EXPUNGE).
func (changes) expunge(c *conn.Conn, uids *imap.UIDSet) error {
	if uids != nil {
		return c.UIDExpunge(*uids).Close()
	}
	return c.Expunge().Close()
}

// setACL replaces the rights of id on a host2 folder.
func (changes) setACL(ctx context.Context, w *worker, name string, id imap.RightsIdentifier, rights imap.RightSet) error {
	return w.do(ctx, host2, func(c *conn.Conn) error {
		return c.SetACL(name, id, imap.RightModificationReplace, rights).Wait()
	})
}

// store replaces the flags of uids in the folder selected on c (host2).
func (changes) store(c *conn.Conn, uids imap.UIDSet, flags []imap.Flag) error {
	return c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: flags}, nil).Close()
}

// storeMany is store for several sets of UIDs, each with its flags, sent
// at once: one round trip. The first error is returned, after every
// answer was read.
func (ch changes) storeMany(c *conn.Conn, uids []imap.UIDSet, flags [][]imap.Flag) error {
	return ch.sendStores(c, uids, flags)()
}

// sendStores sends the STOREs of storeMany and returns the function that
// reads their answers.
func (changes) sendStores(c *conn.Conn, uids []imap.UIDSet, flags [][]imap.Flag) func() error {
	cmds := make([]*imapclient.FetchCommand, len(uids))
	for i := range uids {
		cmds[i] = c.Store(uids[i], &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: flags[i]}, nil)
	}
	return func() error { return readStores(cmds) }
}

// readStores reads the answers of sendStores.
func readStores(cmds []*imapclient.FetchCommand) error {
	// Each answer read in its own goroutine: the server may answer
	// pipelined commands in parallel, and go-imap's reader waits for a
	// command's FETCH answers (MODSEQ under CONDSTORE) to be taken in.
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Go(func() { errs[i] = cmd.Close() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// storeLabels adds (op "+"), removes ("-") or sets ("") Gmail labels on
// uids of the folder selected on g (host2), in batched UID STOREs; it
// returns the number of commands sent.
func (changes) storeLabels(g *conn.Gmail, op string, uids []uint32, labels []string) (int, error) {
	return g.StoreLabels(op, uids, labels)
}

// appendMany stores msgs in mailbox on host2: one APPEND, or one
// MULTIAPPEND for several.
func (changes) appendMany(app *conn.Appender, mailbox string, msgs []conn.Message, done func([]conn.AppendResult)) error {
	return app.AppendMany(mailbox, msgs, done)
}
