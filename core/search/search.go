// Package search turns the string of imapsync's --search, --search1 and
// --search2 options into go-imap's SearchCriteria.
//
// imapsync pastes the string verbatim after "UID SEARCH". go-imap
// v2 has no way to send a raw search string, so Parse reads the RFC 3501
// search-key grammar itself and builds the criteria that go-imap's client
// encodes back into an equivalent SEARCH. The structure mirrors what
// go-imap's own server-side parser produces for the same keys: FROM/TO/CC/
// BCC/SUBJECT become Header fields, ON d is Since d plus Before d+1 day,
// NOT k appends to Not, OR a b appends to Or, and a parenthesised list is
// merged into the enclosing criteria (SearchCriteria has no nested AND).
//
// Keys that are valid IMAP but that go-imap cannot send faithfully are
// refused with an *UnsupportedError; malformed input gives a *SyntaxError.
// Both are wrapped in an exitcode.Error with code 64 (usage), and their
// messages are one line long and name the position of the offending text.
package search

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
)

// maxDepth bounds the nesting of parentheses, NOT and OR. go-imap's encoder
// is recursive too; real searches are never this deep.
const maxDepth = 64

// SyntaxError reports a malformed search string.
type SyntaxError struct {
	Pos int    // 1-based character position of the offending text
	Msg string // what is wrong, without the position
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("search: at position %d: %s", e.Pos, e.Msg)
}

// UnsupportedError names a valid IMAP search key that imapshift cannot pass
// through go-imap, such as X-GM-RAW, OLDER, YOUNGER, NEW, a MODSEQ with an
// entry name, a CHARSET other than UTF-8, or a message sequence set.
type UnsupportedError struct {
	Key    string // the key: upper case when known, else as written (a sequence set, X-...)
	Pos    int    // 1-based character position of the key
	Reason string // why it is refused, possibly with an alternative
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("search: %s at position %d is not supported: %s", show(e.Key), e.Pos, e.Reason)
}

// show returns s as is when it is printable ASCII, else Go-quoted, so that
// an error message stays on one line whatever the user typed.
func show(s string) string {
	s = clip(s)
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}

// quote Go-quotes user text for an error message, shortened if long.
func quote(s string) string { return strconv.Quote(clip(s)) }

// clip keeps the first 40 characters of s.
func clip(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "..."
}

// Parse parses an IMAP SEARCH key string (the RFC 3501 search-key grammar,
// the subset below) into criteria.
//
// Supported keys, case-insensitive: ALL; ANSWERED, DELETED, DRAFT, FLAGGED,
// SEEN and their UN- forms; KEYWORD and UNKEYWORD atom; SINCE, BEFORE, ON,
// SENTSINCE, SENTBEFORE, SENTON d-Mon-yyyy (day with one or two digits,
// optionally quoted); FROM, TO, CC, BCC, SUBJECT, BODY, TEXT astring;
// HEADER name value; LARGER and SMALLER n; MODSEQ n (CONDSTORE); UID set;
// NOT key; OR key key; ( key ... ). Strings are atoms or quoted strings with
// the \" and \\ escapes. A leading CHARSET UTF-8 or CHARSET US-ASCII is
// accepted and dropped: go-imap adds CHARSET UTF-8 itself when a string is
// not ASCII. Spaces and tabs may be repeated between tokens.
//
// Two size keys have no direct go-imap form, because a zero Larger or
// Smaller means "unset": LARGER 0 (every non-empty message) is kept as no
// restriction, and SMALLER 0 (no message) becomes NOT ALL.
//
// The returned error, if any, is an *exitcode.Error with code Usage that
// wraps a *SyntaxError or an *UnsupportedError; use errors.As to get them.
func Parse(s string) (*imap.SearchCriteria, error) {
	c, err := parse(s)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, err)
	}
	return c, nil
}

func parse(s string) (*imap.SearchCriteria, error) {
	if !utf8.ValidString(s) {
		off := 0
		for off < len(s) {
			r, n := utf8.DecodeRuneInString(s[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, &SyntaxError{Pos: utf8.RuneCountInString(s[:off]) + 1, Msg: "the search is not valid UTF-8"}
	}
	p := &parser{s: s}
	first, err := p.peek()
	if err != nil {
		return nil, err
	}
	if first.kind == tokEOF {
		return nil, p.syntax(first, "the search is empty; use ALL to select every message")
	}
	if first.kind == tokWord && strings.EqualFold(first.val, "CHARSET") {
		if err := p.charset(); err != nil {
			return nil, err
		}
		if t, err := p.peek(); err != nil {
			return nil, err
		} else if t.kind == tokEOF {
			return nil, p.syntax(t, "CHARSET must be followed by a search key")
		}
	}
	var c imap.SearchCriteria
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEOF {
			return &c, nil
		}
		if err := p.key(&c); err != nil {
			return nil, err
		}
	}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokQuoted
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	off  int    // byte offset of the first character
	val  string // word text or unescaped quoted content
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokQuoted:
		return "quoted string " + quote(t.val)
	default:
		return quote(t.val)
	}
}

type parser struct {
	s     string
	off   int
	depth int
}

func (p *parser) pos(off int) int { return utf8.RuneCountInString(p.s[:off]) + 1 }

func (p *parser) syntax(t token, format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(t.off), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unsupported(t token, key, reason string) error {
	return &UnsupportedError{Key: key, Pos: p.pos(t.off), Reason: reason}
}

// scan reads the token at byte offset off and returns it with the offset
// just after it.
func (p *parser) scan(off int) (token, int, error) {
	s := p.s
	for off < len(s) && (s[off] == ' ' || s[off] == '\t') {
		off++
	}
	if off == len(s) {
		return token{kind: tokEOF, off: off}, off, nil
	}
	start := off
	switch ch := s[off]; {
	case ch == '(':
		return token{kind: tokLParen, off: start}, off + 1, nil
	case ch == ')':
		return token{kind: tokRParen, off: start}, off + 1, nil
	case ch == '"':
		var b strings.Builder
		for off++; off < len(s); off++ {
			switch c := s[off]; c {
			case '"':
				return token{kind: tokQuoted, off: start, val: b.String()}, off + 1, nil
			case '\\':
				if off+1 < len(s) && (s[off+1] == '"' || s[off+1] == '\\') {
					off++
					b.WriteByte(s[off])
					continue
				}
				return token{}, 0, &SyntaxError{Pos: p.pos(off), Msg: `a quoted string may only escape " and \ with a backslash`}
			case 0, '\r', '\n':
				return token{}, 0, &SyntaxError{Pos: p.pos(off), Msg: fmt.Sprintf("control character %q in a quoted string", c)}
			default:
				b.WriteByte(c)
			}
		}
		return token{}, 0, &SyntaxError{Pos: p.pos(start), Msg: "unterminated quoted string"}
	case ch == '{':
		return token{}, 0, &SyntaxError{Pos: p.pos(start), Msg: "literals ({n}) are not supported; use a quoted string"}
	case isCTL(ch):
		return token{}, 0, &SyntaxError{Pos: p.pos(start), Msg: fmt.Sprintf("control character %q", ch)}
	}
	for off < len(s) {
		ch := s[off]
		if ch == ' ' || ch == '\t' || ch == '(' || ch == ')' || ch == '"' || isCTL(ch) {
			break
		}
		off++
	}
	return token{kind: tokWord, off: start, val: s[start:off]}, off, nil
}

func (p *parser) peek() (token, error) {
	t, _, err := p.scan(p.off)
	return t, err
}

func (p *parser) next() (token, error) {
	t, off, err := p.scan(p.off)
	if err == nil {
		p.off = off
	}
	return t, err
}

func isCTL(ch byte) bool { return ch < 0x20 || ch == 0x7f }

// isAtomChar is RFC 3501 ATOM-CHAR: CHAR except atom-specials.
func isAtomChar(ch byte) bool {
	switch ch {
	case '(', ')', '{', ' ', '%', '*', '"', '\\', ']':
		return false
	}
	return ch < 0x80 && !isCTL(ch)
}

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

// arg reads the argument of key, which must be a word or a quoted string.
func (p *parser) arg(key, what string) (token, error) {
	t, err := p.next()
	if err != nil {
		return t, err
	}
	if t.kind != tokWord && t.kind != tokQuoted {
		return t, p.syntax(t, "%s needs %s, got %s", key, what, t.describe())
	}
	return t, nil
}

func (p *parser) astring(key string) (string, error) {
	t, err := p.arg(key, "a string")
	if err != nil || t.kind == tokQuoted {
		return t.val, err
	}
	// ASTRING-CHAR, plus UTF-8: go-imap re-encodes the value anyway.
	for i := 0; i < len(t.val); i++ {
		if ch := t.val[i]; ch < 0x80 && ch != ']' && !isAtomChar(ch) {
			return "", &SyntaxError{Pos: p.pos(t.off + i), Msg: fmt.Sprintf("%q is not allowed in an unquoted string; quote the %s argument", ch, key)}
		}
	}
	return t.val, nil
}

func (p *parser) keyword(key string) (imap.Flag, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if t.kind == tokWord && strings.HasPrefix(t.val, `\`) {
		return "", p.syntax(t, "%s needs a keyword, not the system flag %s; use its own key (SEEN, FLAGGED, ...)", key, quote(t.val))
	}
	if t.kind != tokWord {
		return "", p.syntax(t, "%s needs a keyword (an unquoted atom), got %s", key, t.describe())
	}
	for i := 0; i < len(t.val); i++ {
		if !isAtomChar(t.val[i]) {
			return "", &SyntaxError{Pos: p.pos(t.off + i), Msg: fmt.Sprintf("%q is not allowed in a keyword", t.val[i])}
		}
	}
	return imap.Flag(t.val), nil
}

func (p *parser) number(key, what string) (int64, error) {
	t, err := p.arg(key, what)
	if err != nil {
		return 0, err
	}
	if t.kind != tokWord || !allDigits(t.val) {
		return 0, p.syntax(t, "%s needs %s (digits only), got %s", key, what, t.describe())
	}
	n, err := strconv.ParseUint(t.val, 10, 63) // int64 range
	if err != nil {
		return 0, p.syntax(t, "%s: %s is too large", key, clip(t.val))
	}
	return int64(n), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var months = map[string]time.Month{
	"JAN": time.January, "FEB": time.February, "MAR": time.March,
	"APR": time.April, "MAY": time.May, "JUN": time.June,
	"JUL": time.July, "AUG": time.August, "SEP": time.September,
	"OCT": time.October, "NOV": time.November, "DEC": time.December,
}

// date reads RFC 3501 date: d-Mon-yyyy or dd-Mon-yyyy, optionally quoted.
// The result is midnight UTC, as go-imap's own parser returns.
func (p *parser) date(key string) (time.Time, error) {
	t, err := p.arg(key, "a date like 1-Jan-2020")
	if err != nil {
		return time.Time{}, err
	}
	bad := func(why string) (time.Time, error) {
		return time.Time{}, p.syntax(t, "%s: bad date %s (%s)", key, quote(t.val), why)
	}
	parts := strings.Split(t.val, "-")
	if len(parts) != 3 || len(parts[0]) < 1 || len(parts[0]) > 2 || len(parts[2]) != 4 ||
		!allDigits(parts[0]) || !allDigits(parts[2]) {
		return bad("want d-Mon-yyyy, for example 1-Jan-2020")
	}
	m, ok := months[strings.ToUpper(parts[1])]
	if !ok {
		return bad("unknown month " + quote(parts[1]))
	}
	day, _ := strconv.Atoi(parts[0])
	year, _ := strconv.Atoi(parts[2])
	d := time.Date(year, m, day, 0, 0, 0, 0, time.UTC)
	if d.Day() != day || d.Month() != m {
		return bad("no such day")
	}
	return d, nil
}

func (p *parser) uidSet() (imap.UIDSet, error) {
	t, err := p.arg("UID", "a UID set like 1:100,200")
	if err != nil {
		return nil, err
	}
	if t.kind == tokWord && t.val == "$" {
		return nil, p.unsupported(t, "UID $", refused["$"])
	}
	if t.kind != tokWord {
		return nil, p.syntax(t, "UID needs a UID set like 1:100,200, got %s", t.describe())
	}
	var set imap.UIDSet
	for _, r := range strings.Split(t.val, ",") {
		lo, hi, ok := strings.Cut(r, ":")
		a, okA := parseUID(lo)
		b := a
		okB := true
		if ok {
			b, okB = parseUID(hi)
		}
		if !okA || !okB {
			return nil, p.syntax(t, "bad UID set %s (want numbers from 1, ranges a:b, * for the last UID, separated by commas)", quote(t.val))
		}
		set.AddRange(a, b)
	}
	return set, nil
}

// parseUID reads nz-number or "*" (returned as 0, go-imap's encoding of *).
func parseUID(s string) (imap.UID, bool) {
	if s == "*" {
		return 0, true
	}
	if !allDigits(s) || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return imap.UID(n), err == nil && n <= math.MaxUint32
}

// isSeqSet reports whether a word has the shape of a sequence-set.
func isSeqSet(s string) bool {
	if s == "" || !(s[0] == '*' || (s[0] >= '0' && s[0] <= '9')) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !(ch >= '0' && ch <= '9') && ch != '*' && ch != ':' && ch != ',' {
			return false
		}
	}
	return true
}

// charset consumes a leading CHARSET name.
func (p *parser) charset() error {
	t, _ := p.next()
	name, err := p.astring("CHARSET")
	if err != nil {
		return err
	}
	switch strings.ToUpper(name) {
	case "UTF-8", "US-ASCII":
		return nil
	}
	return p.unsupported(t, "CHARSET "+name, "go-imap sends strings as UTF-8 only, and adds CHARSET UTF-8 itself when needed")
}

func later(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
