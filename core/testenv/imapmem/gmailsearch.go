package imapmem

// SEARCH X-GM-RAW: a useful subset of Gmail's search syntax. Terms are
// ANDed; a leading '-' negates one. Supported:
//
//	from:x to:x (To and Cc) subject:x   header contains x
//	label:x in:x                         has the label (Work/2024, work-2024, inbox, sent...)
//	has:attachment                       a part with Content-Disposition: attachment
//	older_than:N[dmy] newer_than:N[dmy]  internal date against now
//	before:YYYY/MM/DD after:YYYY/MM/DD   internal date
//	word, "quoted words"                 anywhere in the message, case-insensitive
//
// Values may be quoted ("subject:"annual report"").

import (
	"bytes"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

func (g *gmailState) search(u *User, folder string, uids []imap.UID, byUID bool, args string) ([]byte, error) {
	args = strings.TrimSpace(args)
	if up := strings.ToUpper(args); strings.HasPrefix(up, "CHARSET ") {
		_, args, _ = strings.Cut(args[len("CHARSET "):], " ")
	}
	key, q, _ := strings.Cut(strings.TrimSpace(args), " ")
	if !strings.EqualFold(key, "X-GM-RAW") {
		return nil, fmt.Errorf("imapmem: only X-GM-RAW can be searched with X-GM items")
	}
	qs, err := parseAstrings(q)
	if err != nil || len(qs) != 1 {
		return nil, fmt.Errorf("imapmem: X-GM-RAW takes one string")
	}
	terms := rawTerms(qs[0])
	now := time.Now()
	var hits []string
	for i, uid := range uids {
		m := g.msgs[g.where[folder][uid]]
		if m == nil {
			continue
		}
		ok := true
		for _, t := range terms {
			if g.matchTerm(m, t, now) == t.neg {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if byUID {
			hits = append(hits, strconv.FormatUint(uint64(uid), 10))
		} else {
			hits = append(hits, strconv.Itoa(i+1))
		}
	}
	line := "* SEARCH"
	if len(hits) > 0 {
		line += " " + strings.Join(hits, " ")
	}
	return []byte(line + "\r\n"), nil
}

type rawTerm struct {
	neg       bool
	op, value string // op "" for a word
}

// rawTerms splits a Gmail query into terms, keeping quoted values whole.
func rawTerms(q string) []rawTerm {
	var out []rawTerm
	for q = strings.TrimSpace(q); q != ""; q = strings.TrimSpace(q) {
		var t rawTerm
		if q[0] == '-' {
			t.neg, q = true, q[1:]
		}
		if i := strings.IndexAny(q, ": \""); i > 0 && q[i] == ':' {
			t.op, q = strings.ToLower(q[:i]), q[i+1:]
		}
		if strings.HasPrefix(q, `"`) {
			end := strings.IndexByte(q[1:], '"')
			if end < 0 {
				end = len(q) - 1
			}
			t.value, q = q[1:1+end], q[min(len(q), end+2):]
		} else {
			t.value, q, _ = strings.Cut(q, " ")
		}
		out = append(out, t)
	}
	return out
}

func containsFoldStr(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func (g *gmailState) matchTerm(m *gmsg, t rawTerm, now time.Time) bool {
	var hdr mail.Header
	if msg, err := mail.ReadMessage(bytes.NewReader(m.raw)); err == nil {
		hdr = msg.Header
	} else {
		hdr = mail.Header{}
	}
	switch t.op {
	case "from":
		return containsFoldStr(hdr.Get("From"), t.value)
	case "to":
		return containsFoldStr(hdr.Get("To")+" "+hdr.Get("Cc"), t.value)
	case "subject":
		return containsFoldStr(hdr.Get("Subject"), t.value)
	case "label", "in":
		want := strings.ToLower(t.value)
		if want == "anywhere" || (want == "all" && t.op == "in") {
			return true
		}
		for f := range m.labels {
			l := g.folderToLabel(f)
			low := strings.ToLower(strings.TrimPrefix(l, `\`))
			if low == want || strings.ReplaceAll(low, "/", "-") == want || strings.ReplaceAll(low, " ", "-") == want {
				return true
			}
		}
		return false
	case "has":
		return strings.EqualFold(t.value, "attachment") && bytes.Contains(bytes.ToLower(m.raw), []byte("content-disposition: attachment"))
	case "older_than", "newer_than":
		d, ok := rawAge(t.value, now)
		if !ok {
			return false
		}
		if t.op == "older_than" {
			return m.date.Before(d)
		}
		return !m.date.Before(d)
	case "before", "after":
		d, err := time.ParseInLocation("2006/1/2", t.value, time.Local)
		if err != nil {
			return false
		}
		if t.op == "before" {
			return m.date.Before(d)
		}
		return !m.date.Before(d)
	}
	value := t.value
	if t.op != "" {
		value = t.op + ":" + value // an unknown operator is a word
	}
	return containsFoldStr(string(m.raw), value)
}

// rawAge turns "2y", "6m", "10d" into the instant that long before now.
func rawAge(v string, now time.Time) (time.Time, bool) {
	if len(v) < 2 {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(v[:len(v)-1])
	if err != nil {
		return time.Time{}, false
	}
	switch v[len(v)-1] {
	case 'd':
		return now.AddDate(0, 0, -n), true
	case 'm':
		return now.AddDate(0, -n, 0), true
	case 'y':
		return now.AddDate(-n, 0, 0), true
	}
	return time.Time{}, false
}
