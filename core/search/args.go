package search

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

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
