package imapmem

// The X-GM-EXT-1 commands of the Gmail personality. imapserver cannot
// parse them, so the fault layer hands them here (like MULTIAPPEND) and
// they are answered directly:
//
//	[UID] FETCH set (X-GM-LABELS X-GM-MSGID X-GM-THRID UID RFC822.SIZE
//	      INTERNALDATE BODY.PEEK[HEADER] BODY.PEEK[HEADER.FIELDS (...)])
//	[UID] STORE set [+|-]X-GM-LABELS[.SILENT] (label ...)
//	[UID] SEARCH X-GM-RAW "gmail query"
//
// A FETCH that names an X-GM item may only ask for the items above (no
// FLAGS, no body); labels arrive as quoted strings or atoms, not literals.

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// isGmailCommand reports whether the fault layer hands the command to
// execGmail.
func isGmailCommand(name string, line []byte) bool {
	switch strings.TrimPrefix(name, "UID ") {
	case "FETCH", "STORE", "SEARCH":
		return bytes.Contains(bytes.ToUpper(line), []byte("X-GM-"))
	}
	return false
}

// execGmail executes one X-GM command line and writes its answer.
func (c *faultConn) execGmail(line []byte) error {
	s := strings.TrimRight(string(line), "\r\n")
	tag, rest, _ := strings.Cut(s, " ")
	if _, _, lit := trailingLiteral(line); lit {
		return c.badAndCut(tag, errors.New("imapmem: literals in X-GM commands are not supported"))
	}
	verb, rest, _ := strings.Cut(rest, " ")
	byUID := strings.EqualFold(verb, "UID")
	if byUID {
		verb, rest, _ = strings.Cut(rest, " ")
	}
	sess := c.sess
	if sess.selected == "" {
		return c.answer(tag, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "No mailbox selected"}, false)
	}
	u, g := sess.user, sess.user.gmail
	g.mu.Lock()
	out, err := g.exec(u, sess.selected, strings.ToUpper(verb), byUID, rest)
	g.mu.Unlock()
	if err != nil {
		var ie *imap.Error
		if !errors.As(err, &ie) {
			ie = &imap.Error{Type: imap.StatusResponseTypeBad, Text: err.Error()}
		}
		if _, werr := c.Write(out); werr != nil {
			return werr
		}
		return c.answer(tag, ie, false)
	}
	out = append(out, tag+" OK "+strings.ToUpper(verb)+" completed\r\n"...)
	_, err = c.Write(out)
	return err
}

// exec runs a command in folder and returns its untagged responses.
func (g *gmailState) exec(u *User, folder, verb string, byUID bool, args string) ([]byte, error) {
	uids, err := g.reconcileLocked(u, folder)
	if err != nil {
		return nil, err
	}
	if verb == "SEARCH" {
		return g.search(u, folder, uids, byUID, args)
	}
	setStr, args, _ := strings.Cut(strings.TrimSpace(args), " ")
	set, err := parseNumSet(setStr)
	if err != nil {
		return nil, err
	}
	var targets []int // indexes into uids
	for i, uid := range uids {
		n := uint32(i + 1)
		max := uint32(len(uids))
		if byUID {
			n = uint32(uid)
			max = uint32(uids[len(uids)-1])
		}
		if set.contains(n, max) {
			targets = append(targets, i)
		}
	}
	switch verb {
	case "FETCH":
		return g.fetch(folder, uids, targets, byUID, args)
	case "STORE":
		return g.store(u, folder, uids, targets, args)
	}
	return nil, fmt.Errorf("imapmem: %s with X-GM items is not supported", verb)
}

func (g *gmailState) fetch(folder string, uids []imap.UID, targets []int, byUID bool, args string) ([]byte, error) {
	items, err := fetchItems(args)
	if err != nil {
		return nil, err
	}
	if byUID && !containsFold(items, "UID") {
		items = append(items, "UID")
	}
	var out bytes.Buffer
	for _, i := range targets {
		m := g.msgs[g.where[folder][uids[i]]]
		if m == nil {
			continue // a message the model does not know (COPY/MOVE)
		}
		fmt.Fprintf(&out, "* %d FETCH (", i+1)
		for k, it := range items {
			if k > 0 {
				out.WriteByte(' ')
			}
			up := strings.ToUpper(it)
			switch {
			case up == "UID":
				fmt.Fprintf(&out, "UID %d", uids[i])
			case up == "X-GM-MSGID":
				fmt.Fprintf(&out, "X-GM-MSGID %d", m.id)
			case up == "X-GM-THRID":
				fmt.Fprintf(&out, "X-GM-THRID %d", m.thrid)
			case up == "X-GM-LABELS":
				out.WriteString("X-GM-LABELS " + g.labelList(m))
			case up == "RFC822.SIZE":
				fmt.Fprintf(&out, "RFC822.SIZE %d", len(m.raw))
			case up == "INTERNALDATE":
				out.WriteString(`INTERNALDATE "` + m.date.Format("02-Jan-2006 15:04:05 -0700") + `"`)
			case strings.HasPrefix(up, "BODY"):
				name, data := headerSection(it, m.raw)
				fmt.Fprintf(&out, "%s {%d}\r\n", name, len(data))
				out.Write(data)
			}
		}
		out.WriteString(")\r\n")
	}
	return out.Bytes(), nil
}

func (g *gmailState) labelList(m *gmsg) string {
	ls := g.sortedLabels(m)
	for i, l := range ls {
		ls[i] = encodeLabel(l)
	}
	return "(" + strings.Join(ls, " ") + ")"
}

func (g *gmailState) store(u *User, folder string, uids []imap.UID, targets []int, args string) ([]byte, error) {
	item, list, _ := strings.Cut(strings.TrimSpace(args), " ")
	item = strings.ToUpper(item)
	silent := strings.HasSuffix(item, ".SILENT")
	item = strings.TrimSuffix(item, ".SILENT")
	op := item[:min(1, len(item))]
	if op == "+" || op == "-" {
		item = item[1:]
	} else {
		op = ""
	}
	if item != "X-GM-LABELS" {
		return nil, fmt.Errorf("imapmem: STORE %s is not supported with X-GM items", item)
	}
	labels, err := parseAstrings(list)
	if err != nil {
		return nil, err
	}
	var folders []string
	for _, l := range labels {
		folders = append(folders, g.labelToFolder(decodeLabel(l)))
	}
	var out bytes.Buffer
	for _, i := range targets {
		uid := uids[i]
		m := g.msgs[g.where[folder][uid]]
		if m == nil {
			continue
		}
		if op == "" {
			want := map[string]bool{}
			for _, f := range folders {
				want[f] = true
			}
			for f := range m.labels {
				if !want[f] {
					if err := g.removeLabelLocked(u, m, f); err != nil {
						return out.Bytes(), err
					}
				}
			}
		}
		for _, f := range folders {
			var err error
			if op == "-" {
				err = g.removeLabelLocked(u, m, f)
			} else {
				err = g.addLabelLocked(u, m, f)
			}
			if err != nil {
				return out.Bytes(), err
			}
		}
		if !silent {
			fmt.Fprintf(&out, "* %d FETCH (X-GM-LABELS %s UID %d)\r\n", i+1, g.labelList(m), uid)
		}
	}
	return out.Bytes(), nil
}

// fetchItems splits a FETCH item list, keeping BODY sections whole.
func fetchItems(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = s[1 : len(s)-1]
	}
	var items []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		end := strings.IndexByte(s, ' ')
		if b := strings.IndexByte(s, '['); b >= 0 && (end < 0 || b < end) {
			end = strings.IndexByte(s, ']') + 1
			if end == 0 {
				return nil, errors.New("imapmem: unterminated section")
			}
		}
		if end < 0 {
			end = len(s)
		}
		items = append(items, s[:end])
		s = s[end:]
	}
	for _, it := range items {
		up := strings.ToUpper(it)
		switch {
		case up == "UID", up == "X-GM-LABELS", up == "X-GM-MSGID", up == "X-GM-THRID", up == "RFC822.SIZE", up == "INTERNALDATE":
		case strings.HasPrefix(up, "BODY.PEEK[HEADER"):
		default:
			return nil, fmt.Errorf("imapmem: FETCH item %s cannot be combined with X-GM items", it)
		}
	}
	return items, nil
}

// headerSection returns the response name and data of a
// BODY.PEEK[HEADER] or BODY.PEEK[HEADER.FIELDS (...)] item.
func headerSection(item string, raw []byte) (string, []byte) {
	spec := item[strings.IndexByte(item, '[')+1 : len(item)-1]
	name := "BODY[" + spec + "]"
	head := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		head = raw[:i+2]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		head = raw[:i+1]
	}
	up := strings.ToUpper(spec)
	if !strings.HasPrefix(up, "HEADER.FIELDS") {
		return name, append(append([]byte(nil), head...), "\r\n"...)
	}
	open, close := strings.IndexByte(spec, '('), strings.LastIndexByte(spec, ')')
	want := map[string]bool{}
	for _, f := range strings.Fields(spec[open+1 : close]) {
		want[strings.ToLower(f)] = true
	}
	var out []byte
	keep := false
	for _, l := range bytes.SplitAfter(head, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if l[0] != ' ' && l[0] != '\t' {
			f, _, _ := bytes.Cut(l, []byte(":"))
			keep = want[strings.ToLower(strings.TrimSpace(string(f)))]
		}
		if keep {
			out = append(out, l...)
		}
	}
	return name, append(out, "\r\n"...)
}

// parseAstrings reads "(a "b c" \\Inbox)" or a single astring.
func parseAstrings(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") {
		if !strings.HasSuffix(s, ")") {
			return nil, errors.New("imapmem: unterminated list")
		}
		s = s[1 : len(s)-1]
	}
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] != '"' {
			a, rest, _ := strings.Cut(s, " ")
			out = append(out, a)
			s = rest
			continue
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, errors.New("imapmem: unterminated quoted string")
		}
		out = append(out, b.String())
		s = s[i+1:]
	}
	return out, nil
}

// numSet is a parsed sequence or UID set; 0 stands for "*".
type numSet [][2]uint32

func parseNumSet(s string) (numSet, error) {
	var set numSet
	num := func(v string) (uint32, error) {
		if v == "*" {
			return 0, nil
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return 0, fmt.Errorf("imapmem: bad number %q in set", v)
		}
		return uint32(n), nil
	}
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, err := num(a)
		if err != nil {
			return nil, err
		}
		hi := lo
		if isRange {
			if hi, err = num(b); err != nil {
				return nil, err
			}
		}
		set = append(set, [2]uint32{lo, hi})
	}
	return set, nil
}

func (s numSet) contains(n, max uint32) bool {
	for _, r := range s {
		lo, hi := r[0], r[1]
		if lo == 0 {
			lo = max
		}
		if hi == 0 {
			hi = max
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if n >= lo && n <= hi {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
