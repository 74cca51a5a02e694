package search

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// key parses one search-key and intersects it into c.
func (p *parser) key(c *imap.SearchCriteria) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	switch t.kind {
	case tokEOF:
		return p.syntax(t, "expected a search key, got end of input")
	case tokRParen:
		return p.syntax(t, `unexpected ")"`)
	case tokQuoted:
		return p.syntax(t, "expected a search key, got %s", t.describe())
	case tokLParen:
		if err := p.enter(t); err != nil {
			return err
		}
		n := 0
		for {
			u, err := p.peek()
			if err != nil {
				return err
			}
			switch u.kind {
			case tokRParen:
				p.next()
				p.depth--
				if n == 0 {
					return p.syntax(t, "empty parenthesised list")
				}
				return nil
			case tokEOF:
				return p.syntax(t, `missing ")" for this "("`)
			}
			if err := p.key(c); err != nil {
				return err
			}
			n++
		}
	}
	return p.word(c, t)
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.syntax(t, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

var systemFlags = map[string]imap.Flag{
	"ANSWERED": imap.FlagAnswered,
	"DELETED":  imap.FlagDeleted,
	"DRAFT":    imap.FlagDraft,
	"FLAGGED":  imap.FlagFlagged,
	"SEEN":     imap.FlagSeen,
}

var headerKeys = map[string]string{
	"FROM":    "From",
	"TO":      "To",
	"CC":      "Cc",
	"BCC":     "Bcc",
	"SUBJECT": "Subject",
}

// refused lists valid keys (from IMAP extensions or removed from IMAP4rev2)
// that go-imap's SearchCriteria cannot express.
var refused = map[string]string{
	"NEW":               `it means RECENT UNSEEN, and go-imap sends \Recent as "KEYWORD \Recent", which is not valid IMAP (\Recent is gone in IMAP4rev2); use UNSEEN`,
	"OLD":               `it means NOT RECENT, and go-imap sends \Recent as "KEYWORD \Recent", which is not valid IMAP (\Recent is gone in IMAP4rev2)`,
	"RECENT":            `go-imap sends \Recent as "KEYWORD \Recent", which is not valid IMAP (\Recent is gone in IMAP4rev2)`,
	"OLDER":             "WITHIN (RFC 5032) cannot be expressed with go-imap; use --minage",
	"YOUNGER":           "WITHIN (RFC 5032) cannot be expressed with go-imap; use --maxage",
	"X-GM-RAW":          "Gmail extension that go-imap cannot send",
	"X-GM-MSGID":        "Gmail extension that go-imap cannot send",
	"X-GM-THRID":        "Gmail extension that go-imap cannot send",
	"X-GM-LABELS":       "Gmail extension that go-imap cannot send",
	"SAVEDBEFORE":       "SAVEDATE (RFC 8514) cannot be expressed with go-imap",
	"SAVEDON":           "SAVEDATE (RFC 8514) cannot be expressed with go-imap",
	"SAVEDSINCE":        "SAVEDATE (RFC 8514) cannot be expressed with go-imap",
	"SAVEDATESUPPORTED": "SAVEDATE (RFC 8514) cannot be expressed with go-imap",
	"EMAILID":           "OBJECTID (RFC 8474) cannot be expressed with go-imap",
	"THREADID":          "OBJECTID (RFC 8474) cannot be expressed with go-imap",
	"FUZZY":             "SEARCH=FUZZY (RFC 6203) cannot be expressed with go-imap",
	"ANNOTATION":        "ANNOTATE (RFC 5257) cannot be expressed with go-imap",
	"FILTER":            "FILTERS (RFC 5466) cannot be expressed with go-imap",
	"INTHREAD":          "SEARCH=INTHREAD cannot be expressed with go-imap",
	"RETURN":            "ESEARCH return options are chosen by imapshift, not by --search",
	"$":                 "SEARCHRES ($) refers to a previous search that imapshift does not save",
}

// word handles a search key that starts with an atom.
func (p *parser) word(c *imap.SearchCriteria, t token) error {
	key := strings.ToUpper(t.val)
	if f, ok := systemFlags[key]; ok {
		c.Flag = append(c.Flag, f)
		return nil
	}
	if f, ok := systemFlags[strings.TrimPrefix(key, "UN")]; ok && strings.HasPrefix(key, "UN") {
		c.NotFlag = append(c.NotFlag, f)
		return nil
	}
	if h, ok := headerKeys[key]; ok {
		v, err := p.astring(key)
		if err != nil {
			return err
		}
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: h, Value: v})
		return nil
	}
	if reason, ok := refused[key]; ok {
		return p.unsupported(t, key, reason)
	}
	switch key {
	case "ALL":
		return nil
	case "KEYWORD", "UNKEYWORD":
		f, err := p.keyword(key)
		if err != nil {
			return err
		}
		if key == "KEYWORD" {
			c.Flag = append(c.Flag, f)
		} else {
			c.NotFlag = append(c.NotFlag, f)
		}
		return nil
	case "HEADER":
		name, err := p.astring("HEADER")
		if err != nil {
			return err
		}
		v, err := p.astring("HEADER")
		if err != nil {
			return err
		}
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: name, Value: v})
		return nil
	case "BODY", "TEXT":
		v, err := p.astring(key)
		if err != nil {
			return err
		}
		if key == "BODY" {
			c.Body = append(c.Body, v)
		} else {
			c.Text = append(c.Text, v)
		}
		return nil
	case "SINCE", "BEFORE", "ON", "SENTSINCE", "SENTBEFORE", "SENTON":
		d, err := p.date(key)
		if err != nil {
			return err
		}
		day := 24 * time.Hour
		switch key {
		case "SINCE":
			c.Since = later(c.Since, d)
		case "BEFORE":
			c.Before = earlier(c.Before, d)
		case "ON":
			c.Since = later(c.Since, d)
			c.Before = earlier(c.Before, d.Add(day))
		case "SENTSINCE":
			c.SentSince = later(c.SentSince, d)
		case "SENTBEFORE":
			c.SentBefore = earlier(c.SentBefore, d)
		case "SENTON":
			c.SentSince = later(c.SentSince, d)
			c.SentBefore = earlier(c.SentBefore, d.Add(day))
		}
		return nil
	case "LARGER", "SMALLER":
		n, err := p.number(key, "a size in bytes")
		if err != nil {
			return err
		}
		switch {
		case key == "LARGER":
			c.Larger = max(c.Larger, n) // LARGER 0: no restriction
		case n == 0: // SMALLER 0 matches no message
			c.Not = append(c.Not, imap.SearchCriteria{})
		case c.Smaller == 0 || n < c.Smaller:
			c.Smaller = n
		}
		return nil
	case "MODSEQ":
		if u, err := p.peek(); err != nil {
			return err
		} else if u.kind == tokQuoted {
			return p.unsupported(t, key, "MODSEQ with an entry name is not supported; use MODSEQ n")
		}
		n, err := p.number(key, "a mod-sequence")
		if err != nil {
			return err
		}
		if c.ModSeq == nil {
			c.ModSeq = &imap.SearchCriteriaModSeq{ModSeq: uint64(n)}
		} else {
			c.ModSeq.ModSeq = max(c.ModSeq.ModSeq, uint64(n))
		}
		return nil
	case "UID":
		set, err := p.uidSet()
		if err != nil {
			return err
		}
		c.UID = append(c.UID, set)
		return nil
	case "NOT":
		if err := p.enter(t); err != nil {
			return err
		}
		var not imap.SearchCriteria
		if err := p.operand(&not, "NOT"); err != nil {
			return err
		}
		p.depth--
		c.Not = append(c.Not, not)
		return nil
	case "OR":
		if err := p.enter(t); err != nil {
			return err
		}
		var or [2]imap.SearchCriteria
		for i := range or {
			if err := p.operand(&or[i], "OR"); err != nil {
				return err
			}
		}
		p.depth--
		c.Or = append(c.Or, or)
		return nil
	case "CHARSET":
		return p.syntax(t, "CHARSET is only allowed at the start of the search")
	}
	if isSeqSet(t.val) {
		return p.unsupported(t, t.val, "message sequence numbers change whenever messages are expunged, so imapshift selects messages by UID only; use UID with UIDs instead")
	}
	if strings.HasPrefix(key, "X-") {
		return p.unsupported(t, t.val, "vendor extension that go-imap cannot send")
	}
	return p.syntax(t, "unknown search key %s", quote(t.val))
}

// operand parses the argument of NOT or OR, which must be present.
func (p *parser) operand(c *imap.SearchCriteria, op string) error {
	u, err := p.peek()
	if err != nil {
		return err
	}
	if u.kind == tokEOF || u.kind == tokRParen {
		what := "a search key"
		if op == "OR" {
			what = "two search keys"
		}
		return p.syntax(u, "%s needs %s, got %s", op, what, u.describe())
	}
	return p.key(c)
}
