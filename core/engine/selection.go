package engine

import (
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/dates"
)

// Selection narrows which messages of a folder take part in the sync, on
// each side: an IMAP SEARCH (--search, --search1, --search2)
// and an age window (--maxage, --minage) on the Date: header through
// SENTSINCE/SENTBEFORE, or on INTERNALDATE when the side cannot search
// (--noabletosearch). Messages left out are not counted as skipped.
type Selection struct {
	Search1, Search2 *imap.SearchCriteria
	Age              dates.AgeWindow
	// NoSearch1/2 compare the age window with INTERNALDATE locally instead
	// of asking the server.
	NoSearch1, NoSearch2 bool
	// Now is the reference time of the age window (program start).
	Now time.Time
	// GmailRaw1/2 are Gmail queries (--search 'X-GM-RAW "..."'), sent as
	// UID SEARCH X-GM-RAW to a side that has X-GM-EXT-1 (labelsearch.go).
	GmailRaw1, GmailRaw2 string
	// GmailRawAny (--search rather than --search1/2) applies the query on
	// the sides that have X-GM-EXT-1 only; it is refused when neither has.
	GmailRawAny bool
}

func (s *Selection) criteria(sd side) *imap.SearchCriteria {
	if sd == host2 {
		return s.Search2
	}
	return s.Search1
}

func (s *Selection) noSearch(sd side) bool {
	if sd == host2 {
		return s.NoSearch2
	}
	return s.NoSearch1
}

// active reports whether side's messages are narrowed at all.
func (s *Selection) active(sd side) bool {
	return s.criteria(sd) != nil || s.Age.Active()
}

// selectMessages returns the metadata of the messages of the selected
// folder that side's selection keeps.
func (e *engine) selectMessages(c *imapclient.Client, sd side, metas []meta) ([]meta, error) {
	sel := &e.opts.MessageSelection
	if !sel.active(sd) || len(metas) == 0 {
		return metas, nil
	}
	var keep map[imap.UID]bool
	if crit := sel.criteria(sd); crit != nil || (sel.Age.Active() && !sel.noSearch(sd)) {
		base := imap.SearchCriteria{}
		if crit != nil {
			base = *crit
		}
		var searches []imap.SearchCriteria
		if sel.Age.Active() && !sel.noSearch(sd) {
			since, before, union := sel.Age.SearchDates(sel.Now.UTC())
			switch {
			case union:
				// Outside the window: two searches, united.
				a, b := base, base
				a.And(&imap.SearchCriteria{SentSince: since})
				b.And(&imap.SearchCriteria{SentBefore: before})
				searches = []imap.SearchCriteria{a, b}
			default:
				a := base
				a.And(&imap.SearchCriteria{SentSince: since, SentBefore: before})
				searches = []imap.SearchCriteria{a}
			}
		} else {
			searches = []imap.SearchCriteria{base}
		}
		keep = map[imap.UID]bool{}
		for i := range searches {
			data, err := c.UIDSearch(&searches[i], nil).Wait()
			if err != nil {
				return nil, err
			}
			for _, u := range data.AllUIDs() {
				keep[u] = true
			}
		}
	}
	out := metas[:0:0]
	for _, m := range metas {
		if keep != nil && !keep[m.uid] {
			continue
		}
		if sel.Age.Active() && sel.noSearch(sd) && !sel.Age.Keep(m.date, sel.Now) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}
