package engine

import (
	"context"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
)

// writes is the only way the engine changes a server. The executor calls
// it; the dry-run path prints the plan and never reaches it.
type writes struct{ e *engine }

func (writes) create(ctx context.Context, w *worker, name string) error {
	return w.retry(ctx, 2, func() error {
		c, err := w.client(ctx, 2)
		if err != nil {
			return err
		}
		if err := c.Create(name, nil).Wait(); err != nil {
			// Another run, or a case-insensitive server, may have it
			// already: imapsync treats a folder that now exists as created.
			if _, serr := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait(); serr == nil {
				return nil
			}
			return err
		}
		return nil
	})
}

// deleteFolder unsubscribes and deletes a folder on side n.
func (writes) deleteFolder(ctx context.Context, w *worker, n int, name string) error {
	return w.retry(ctx, n, func() error {
		c, err := w.client(ctx, n)
		if err != nil {
			return err
		}
		if sel := [2]*string{&w.sel1, &w.sel2}[n-1]; *sel == name {
			if err := c.Unselect().Wait(); err != nil {
				return err
			}
			*sel = "" // the other side keeps its selection
		}
		c.Unsubscribe(name).Wait() // not subscribed is fine
		return c.Delete(name).Wait()
	})
}

// markDeleted adds \Deleted to uids in the folder selected on side n.
func (writes) markDeleted(w *worker, n int, uids imap.UIDSet) error {
	c := w.h1
	if n == 2 {
		c = w.h2
	}
	return c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
}

// expunge removes deleted messages of the folder selected on side n: only
// uids (UID EXPUNGE) when given, else all of them (EXPUNGE).
func (writes) expunge(w *worker, n int, uids *imap.UIDSet) error {
	c := w.h1
	if n == 2 {
		c = w.h2
	}
	if uids != nil {
		return c.UIDExpunge(*uids).Close()
	}
	return c.Expunge().Close()
}

// setACL replaces the rights of id on a host2 folder.
func (writes) setACL(ctx context.Context, w *worker, name string, id imap.RightsIdentifier, rights imap.RightSet) error {
	return w.retry(ctx, 2, func() error {
		c, err := w.client(ctx, 2)
		if err != nil {
			return err
		}
		return c.SetACL(name, id, imap.RightModificationReplace, rights).Wait()
	})
}

func (writes) subscribe(ctx context.Context, w *worker, name string) error {
	return w.retry(ctx, 2, func() error {
		c, err := w.client(ctx, 2)
		if err != nil {
			return err
		}
		return c.Subscribe(name).Wait()
	})
}

// store replaces the flags of uids in the folder selected on w.h2.
func (writes) store(w *worker, uids imap.UIDSet, flags []imap.Flag) error {
	return w.h2.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: flags}, nil).Close()
}

// appendMany stores msgs in mailbox on host2: one APPEND, or one
// MULTIAPPEND for several.
func (writes) appendMany(app *conn.Appender, mailbox string, msgs []conn.Message, done func([]conn.AppendResult)) error {
	return app.AppendMany(mailbox, msgs, done)
}
