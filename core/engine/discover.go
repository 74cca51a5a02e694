package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/mailbox"
)

// sideInfo is what one server told us about its folders.
type sideInfo struct {
	name       string // "Host1" or "Host2"
	folders    []mailbox.Folder
	names      []string        // in LIST order
	exists     map[string]bool // exact names
	noselect   map[string]bool
	subscribed map[string]bool
	// subsExisting is set when subscribed holds only the subscriptions
	// of existing folders (they came with the LIST, RETURN (SUBSCRIBED)):
	// a subscribed name with no folder is not in it (see
	// allSubscriptions).
	subsExisting bool
	// status is the STATUS of each folder that came with the LIST
	// (LIST-STATUS), for loadStates to use once; nil when not asked.
	status map[string]folderStatus
	naming mailbox.Naming
	caps   imap.CapSet
	notes  []string // worth printing, e.g. subscriptions unknown
}

// listWants is what discover asks for with the folders.
type listWants struct {
	// status asks for every folder's STATUS (statusOptions) with the
	// LIST, where the server has LIST-STATUS.
	status bool
	// allSubscribed asks for every subscription, those of names with no
	// folder included (a LIST (SUBSCRIBED) of its own); otherwise, with
	// LIST-EXTENDED, the subscriptions of the existing folders come with
	// the LIST.
	allSubscribed bool
}

// discover lists one side's folders, subscriptions and namespace: in one
// round trip with LIST-EXTENDED (NAMESPACE beside a LIST that returns
// each folder's subscription, special use and, when wanted and the
// server has LIST-STATUS, its STATUS), two when every subscription is
// wanted (want.allSubscribed). A server without LIST-EXTENDED is asked
// for its subscriptions with LSUB on a connection of its own (see
// conn.Subscriptions).
func discover(ctx context.Context, c *conn.Conn, name string, sepOpt, prefixOpt *string, want listWants) (*sideInfo, error) {
	caps := c.Caps()
	s := &sideInfo{name: name, exists: map[string]bool{}, noselect: map[string]bool{}, subscribed: map[string]bool{}, caps: caps}
	extended := caps.Has(imap.CapListExtended) || caps.Has(imap.CapIMAP4rev2)
	var opts *imap.ListOptions
	if extended {
		opts = &imap.ListOptions{ReturnSpecialUse: caps.Has(imap.CapSpecialUse), ReturnSubscribed: !want.allSubscribed}
		if want.status && (caps.Has(imap.CapListStatus) || caps.Has(imap.CapIMAP4rev2)) {
			opts.ReturnStatus = statusOptions(c.Client)
			s.status = map[string]folderStatus{}
		}
		if !opts.ReturnSpecialUse && !opts.ReturnSubscribed && opts.ReturnStatus == nil {
			opts = nil
		}
	}
	s.subsExisting = opts != nil && opts.ReturnSubscribed
	// NAMESPACE goes with the LIST: one round trip for both. The LIST of
	// the subscriptions waits for the first: go-imap hands every LIST
	// response to the oldest LIST pending, and a server may answer
	// pipelined commands in parallel.
	var nsCmd *imapclient.NamespaceCommand
	if caps.Has(imap.CapNamespace) || caps.Has(imap.CapIMAP4rev2) {
		nsCmd = c.Namespace()
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		if nsCmd != nil {
			nsCmd.Wait()
		}
		return nil, fmt.Errorf("%s: LIST failed: %w", name, err)
	}
	for _, l := range list {
		f := mailbox.Folder{Name: l.Mailbox}
		for _, a := range l.Attrs {
			if s.subsExisting && strings.EqualFold(string(a), string(imap.MailboxAttrSubscribed)) {
				// The answer to RETURN (SUBSCRIBED), not an attribute of
				// the folder.
				s.subscribed[l.Mailbox] = true
				continue
			}
			f.Attrs = append(f.Attrs, string(a))
			if strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)) || strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)) {
				s.noselect[l.Mailbox] = true
			}
		}
		if !s.exists[l.Mailbox] {
			s.folders = append(s.folders, f)
			s.names = append(s.names, l.Mailbox)
			s.exists[l.Mailbox] = true
			if l.Status != nil && s.status != nil {
				s.status[l.Mailbox] = statusFrom(l.Status)
			}
		}
	}
	switch {
	case s.subsExisting:
	case extended:
		s.listSubscribed(c)
	default:
		subs, err := conn.Subscriptions(ctx, c.Config)
		if err != nil {
			s.notes = append(s.notes, fmt.Sprintf("%s: could not read the subscriptions with LSUB: %v", name, err))
		}
		for _, n := range subs {
			s.subscribed[n] = true
		}
	}
	var ns *mailbox.Namespace
	if nsCmd != nil {
		if data, err := nsCmd.Wait(); err == nil && len(data.Personal) > 0 {
			p := data.Personal[0]
			ns = &mailbox.Namespace{Prefix: p.Prefix}
			if p.Delim != 0 {
				ns.Sep = string(p.Delim)
			}
		}
	}
	s.naming = mailbox.ResolveSide(s.names, sepOpt, prefixOpt, ns)
	return s, nil
}

// listSubscribed reads every subscription with LIST (SUBSCRIBED), those
// of names with no folder included. A refused LIST leaves the
// subscriptions as they were.
func (s *sideInfo) listSubscribed(c *conn.Conn) {
	subs, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	if err != nil {
		return
	}
	s.subscribed = make(map[string]bool, len(subs))
	for _, l := range subs {
		s.subscribed[l.Mailbox] = true
	}
	s.subsExisting = false
}

// specialUse returns the special-use attributes LIST gave for name.
func (s *sideInfo) specialUse(name string) []string {
	var out []string
	for _, f := range s.folders {
		if f.Name != name {
			continue
		}
		for _, a := range f.Attrs {
			for _, u := range mailbox.SpecialUses {
				if strings.EqualFold(a, u) {
					out = append(out, u)
				}
			}
		}
	}
	return out
}

// existsFold reports a host2 folder, or a folder another host1 folder
// already feeds (claimed, by lower-case name), that differs from name only
// by case.
func (s *sideInfo) existsFold(name string, claimed map[string]string) (string, bool) {
	if other, ok := claimed[strings.ToLower(name)]; ok {
		return other, true
	}
	for _, n := range s.names {
		if strings.EqualFold(n, name) && n != name {
			return n, true
		}
	}
	return "", false
}
