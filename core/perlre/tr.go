package perlre

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// span is a run lo..hi of a transliteration list; off is the list index
// of lo.
type span struct {
	lo, hi rune
	off    int
}

// charList is a tr/// search or replacement list, kept as ranges.
type charList struct {
	spans []span
	n     int
}

func (l *charList) add(lo, hi rune) {
	l.spans = append(l.spans, span{lo, hi, l.n})
	l.n += int(hi-lo) + 1
}

// at returns the k-th character.
func (l *charList) at(k int) rune {
	i := sort.Search(len(l.spans), func(i int) bool { return l.spans[i].off > k }) - 1
	return l.spans[i].lo + rune(k-l.spans[i].off)
}

// index returns the first position of r, or -1.
func (l *charList) index(r rune) int {
	for _, s := range l.spans {
		if r >= s.lo && r <= s.hi {
			return s.off + int(r-s.lo)
		}
	}
	return -1
}

// trTable is a transliteration for one semantics (text or bytes).
type trTable struct {
	search, repl charList
	merged       []span // distinct search characters, sorted, disjoint
}

// translit is a compiled tr/// (or y///).
type translit struct {
	text, bytes         trTable
	complement, del, sq bool
}

func parseTr(expr string, q quoted) (*translit, error) {
	t := &translit{}
	for k := 0; k < len(q.flags); k++ {
		switch c := q.flags[k]; c {
		case 'c':
			t.complement = true
		case 'd':
			t.del = true
		case 's':
			t.sq = true
		case 'r':
			return nil, unsupported(expr, "the non-destructive transliteration modifier", "/r")
		default:
			return nil, syntaxErr(expr, `unknown tr/// modifier "/`+string(c)+`"`)
		}
	}
	for _, bytes := range []bool{false, true} {
		tab := &t.text
		if bytes {
			tab = &t.bytes
		}
		var err error
		if tab.search, err = parseTrList(expr, q.parts[0], bytes); err != nil {
			return nil, err
		}
		if tab.repl, err = parseTrList(expr, q.parts[1], bytes); err != nil {
			return nil, err
		}
		tab.merged = mergeSpans(tab.search.spans)
	}
	return t, nil
}

// parseTrList expands escapes and ranges of a tr/// list.
func parseTrList(expr, s string, bytes bool) (charList, error) {
	type item struct {
		r    rune
		dash bool // an unescaped "-"
	}
	var items []item
	t := &translator{expr: expr, src: s, bytes: bytes}
	for t.pos < len(s) {
		c := s[t.pos]
		switch {
		case c == '\\' && t.pos+1 < len(s):
			e := s[t.pos+1]
			t.pos += 2
			var r rune
			switch {
			case e == 'b':
				r = 0x08
			case e >= '1' && e <= '7':
				t.pos--
				r = t.octal(3)
			default:
				var err error
				if r, err = t.charEscape(e); err != nil {
					return charList{}, err
				}
			}
			items = append(items, item{r: r})
		default:
			r, w := t.char(t.pos)
			t.pos += w
			items = append(items, item{r: r, dash: c == '-'})
		}
	}
	var l charList
	for i := 0; i < len(items); {
		if i+2 < len(items) && items[i+1].dash {
			lo, hi := items[i].r, items[i+2].r
			if hi < lo {
				return charList{}, syntaxErr(expr, `invalid range "`+string(lo)+"-"+string(hi)+`" in transliteration`)
			}
			l.add(lo, hi)
			i += 3
			continue
		}
		l.add(items[i].r, items[i].r)
		i++
	}
	return l, nil
}

func mergeSpans(in []span) []span {
	s := append([]span(nil), in...)
	sort.Slice(s, func(i, j int) bool { return s[i].lo < s[j].lo })
	var out []span
	for _, x := range s {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi+1 {
			if x.hi > out[n-1].hi {
				out[n-1].hi = x.hi
			}
			continue
		}
		out = append(out, span{lo: x.lo, hi: x.hi})
	}
	return out
}

// mapChar transliterates r: hit reports whether r is affected (in the
// search list, or outside it with /c), del whether it is deleted.
func (t *translit) mapChar(tab *trTable, r rune) (out rune, hit, del bool) {
	var k int
	if t.complement {
		below := 0
		for _, s := range tab.merged {
			if r >= s.lo && r <= s.hi {
				return r, false, false
			}
			if s.hi < r {
				below += int(s.hi-s.lo) + 1
			}
		}
		k = int(r) - below
	} else if k = tab.search.index(r); k < 0 {
		return r, false, false
	}
	switch {
	case tab.repl.n == 0 && !t.del:
		return r, true, false // empty replacement list: the search list itself
	case k < tab.repl.n:
		return tab.repl.at(k), true, false
	case t.del:
		return 0, true, true
	}
	return tab.repl.at(tab.repl.n - 1), true, false
}

// apply transliterates s, character by character (bytes: byte by byte).
func (t *translit) apply(s string, bytes bool) string {
	tab := &t.text
	if bytes {
		tab = &t.bytes
	}
	var b strings.Builder
	b.Grow(len(s))
	var last rune
	lastHit := false
	for i := 0; i < len(s); {
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf && !bytes {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		out, hit, del := t.mapChar(tab, r)
		switch {
		case !hit:
			b.WriteString(s[i : i+w])
			lastHit = false
		case del:
		case t.sq && lastHit && out == last:
		default:
			switch {
			case out == r:
				b.WriteString(s[i : i+w])
			case bytes && out < 256:
				b.WriteByte(byte(out))
			default:
				b.WriteRune(out)
			}
			last, lastHit = out, true
		}
		i += w
	}
	return b.String()
}
