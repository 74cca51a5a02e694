package engine

// --search 'X-GM-RAW "older_than:2y"': Gmail's own search syntax, sent as
// is (UID SEARCH X-GM-RAW) on a raw session of that side, since go-imap
// cannot send it. A side without X-GM-EXT-1 refuses it at plan time.

import (
	"context"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// rawSearch is one side's Gmail session for X-GM-RAW searches, shared by
// the workers.
type rawSearch struct {
	mu sync.Mutex
	g  *conn.Gmail
}

func (s *Selection) gmailRaw(sd side) string {
	if sd == host2 {
		return s.GmailRaw2
	}
	return s.GmailRaw1
}

// checkGmailRaw refuses an X-GM-RAW search for a side without X-GM-EXT-1.
func (e *engine) checkGmailRaw() error {
	sel := &e.opts.MessageSelection
	if sel.GmailRawAny && (e.isGmail(host1) || e.isGmail(host2)) {
		for _, sd := range []side{host1, host2} {
			if !e.isGmail(sd) {
				e.say("%s has no %s: --search X-GM-RAW selects on the Gmail side only", e.info[sd].name, conn.GmailExt)
				if sd == host1 {
					sel.GmailRaw1 = ""
				} else {
					sel.GmailRaw2 = ""
				}
			}
		}
	}
	for _, sd := range []side{host1, host2} {
		if q := e.opts.MessageSelection.gmailRaw(sd); q != "" && !e.isGmail(sd) {
			return exitcode.New(exitcode.Usage, "--search X-GM-RAW %q: %s does not announce %s, so it cannot search with Gmail's syntax", q, e.info[sd].name, conn.GmailExt)
		}
	}
	return nil
}

// gmailRawSelect keeps the messages of folder that side's X-GM-RAW query
// matches.
func (e *engine) gmailRawSelect(ctx context.Context, sd side, folder string, metas []meta) ([]meta, error) {
	q := e.opts.MessageSelection.gmailRaw(sd)
	if q == "" || len(metas) == 0 {
		return metas, nil
	}
	rs := &e.raw[sd]
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.g == nil {
		g, err := e.dialGmail(ctx, sd)
		if err != nil {
			return nil, err
		}
		rs.g = g
	}
	if err := rs.g.Select(folder); err != nil {
		rs.g.Close()
		rs.g = nil
		return nil, err
	}
	uids, err := rs.g.Search(q)
	if err != nil {
		return nil, err
	}
	keep := make(map[imap.UID]bool, len(uids))
	for _, u := range uids {
		keep[imap.UID(u)] = true
	}
	out := metas[:0:0]
	for _, m := range metas {
		if keep[m.uid] {
			out = append(out, m)
		}
	}
	return out, nil
}

// closeRawSearch logs out of the X-GM-RAW sessions.
func (e *engine) closeRawSearch() {
	for i := range e.raw {
		e.raw[i].mu.Lock()
		e.raw[i].g.Close()
		e.raw[i].g = nil
		e.raw[i].mu.Unlock()
	}
}
