package engine

import (
	"context"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
)

// syncACLs copies host1's ACL of fp onto its host2 folder (--syncacls):
// every identifier whose rights differ gets host1's rights. Identifiers
// only on host2 are left alone, as imapsync does. Both servers need the
// ACL extension; otherwise a note is printed once.
func (e *engine) syncACLs(ctx context.Context, w *worker, fp *folderPlan) {
	if !e.info[host1].caps.Has(imap.CapACL) || !e.info[host2].caps.Has(imap.CapACL) {
		e.mu.Lock()
		if !e.noted["acl"] {
			e.noted["acl"] = true
			e.sayLocked("--syncacls: both servers need the ACL capability; ACLs are not synced")
		}
		e.mu.Unlock()
		return
	}
	var acl1, acl2 map[imap.RightsIdentifier]imap.RightSet
	err := w.do(ctx, host1, func(c *conn.Conn) error {
		d, err := c.GetACL(fp.h1).Wait()
		if err == nil {
			acl1 = d.Rights
		}
		return err
	})
	if err == nil {
		err = w.do(ctx, host2, func(c *conn.Conn) error {
			d, err := c.GetACL(fp.h2).Wait()
			if err == nil {
				acl2 = d.Rights
			}
			return err
		})
	}
	if err != nil {
		e.say("Warning: folder %s: could not read ACLs: %v", fp.h1, err)
		return
	}
	for id, rights := range acl1 {
		if sameRights(rights, acl2[id]) {
			continue
		}
		if err := e.changes.setACL(ctx, w, fp.h2, id, rights); err != nil {
			e.say("Warning: host2 folder %s: could not set ACL %s %s: %v", fp.h2, id, rightsString(rights), err)
			continue
		}
		e.say("Host2: folder %s: ACL %s set to %s", fp.h2, id, rightsString(rights))
	}
}

func rightsString(r imap.RightSet) string {
	b := make([]byte, len(r))
	for i, x := range r {
		b[i] = byte(x)
	}
	return string(b)
}

func sameRights(a, b imap.RightSet) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
