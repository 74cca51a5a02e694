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
	"strconv"
	"strings"
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
