package batch

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// check is the preflight of one account (--check): it logs in on both
// sides, counts host1's messages and their size and reads host2's quota
// where the server reports one. It changes nothing on either side.
func (r *Runner) check(ctx context.Context, a *Account, row Row) Row {
	var notes []string
	var codes []error
	c1, err := conn.Dial(ctx, a.Side1)
	if err != nil {
		codes = append(codes, err)
		row.FirstError = "host1: " + err.Error()
	} else {
		msgs, bytes, err := mailboxSize(c1)
		if err != nil {
			notes = append(notes, "host1 login ok, size unknown: "+err.Error())
		} else {
			notes = append(notes, fmt.Sprintf("host1 login ok, %d messages, %s", msgs, size(bytes)))
		}
		c1.Logout().Wait()
		c1.Close()
	}
	c2, err := conn.Dial(ctx, a.Side2)
	if err != nil {
		codes = append(codes, err)
		if row.FirstError != "" {
			row.FirstError += "; "
		}
		row.FirstError += "host2: " + err.Error()
	} else {
		notes = append(notes, "host2 login ok, "+quota(c2))
		c2.Logout().Wait()
		c2.Close()
	}
	row.Check = strings.Join(notes, "; ")
	row.Status = fleet.OK
	if len(codes) > 0 {
		row.ExitCode = int(exitcode.Of(codes[0]))
		row.Status = status(row.ExitCode)
		if row.Status == fleet.Errors {
			row.Status = fleet.Failed
		}
	}
	return row
}

// mailboxSize counts the messages of every selectable folder and their
// size: STATUS SIZE where the server has it, else the sum of the
// messages' RFC822.SIZE.
func mailboxSize(c *conn.Conn) (msgs, bytes int64, err error) {
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		return 0, 0, err
	}
	statusSize := c.Caps().Has(imap.CapStatusSize) || c.Caps().Has(imap.CapIMAP4rev2)
	for _, m := range list {
		if hasAttr(m.Attrs, imap.MailboxAttrNoSelect) || hasAttr(m.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		if statusSize {
			d, err := c.Status(m.Mailbox, &imap.StatusOptions{NumMessages: true, Size: true}).Wait()
			if err != nil {
				return 0, 0, err
			}
			if d.NumMessages != nil {
				msgs += int64(*d.NumMessages)
			}
			if d.Size != nil {
				bytes += *d.Size
			}
			continue
		}
		sel, err := c.Select(m.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			return 0, 0, err
		}
		msgs += int64(sel.NumMessages)
		if sel.NumMessages > 0 {
			var seqs imap.SeqSet
			seqs.AddRange(1, sel.NumMessages)
			all, err := c.Fetch(seqs, &imap.FetchOptions{RFC822Size: true}).Collect()
			if err != nil {
				return 0, 0, err
			}
			for _, f := range all {
				bytes += f.RFC822Size
			}
		}
	}
	return msgs, bytes, nil
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if strings.EqualFold(string(x), string(a)) {
			return true
		}
	}
	return false
}

// quota describes host2's storage quota of INBOX's root.
func quota(c *conn.Conn) string {
	if !c.Caps().Has(imap.CapQuota) {
		return "no quota reported (no QUOTA extension)"
	}
	roots, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		return "quota unknown: " + err.Error()
	}
	for _, q := range roots {
		if st, ok := q.Resources[imap.QuotaResourceStorage]; ok {
			return fmt.Sprintf("quota %s free of %s", size((st.Limit-st.Usage)*1024), size(st.Limit*1024))
		}
	}
	return "no storage quota"
}
