package perlre

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"
)

// program is a translated, compiled Perl pattern with what is needed to
// reproduce Perl's match positions.
type program struct {
	tr    translation    // text semantics (UTF-8 characters)
	re    *regexp.Regexp // text semantics
	reB   *regexp.Regexp // byte semantics (== re for ASCII-only patterns)
	nuser int            // Perl capture groups

	// goIter: the pattern cannot match the empty string, or can only match
	// it, so Go's own FindAll iteration is Perl's s///g (before the
	// hidden-group corrections).
	goIter bool
	// asciiB: every atom of the byte program matches ASCII only, so it can
	// run on raw bytes without widening them to Latin-1 characters.
	asciiB bool
	// fast, fastB: linear matchers for a single repeated character class,
	// e.g. (.{10239}), which Go's NFA would run in O(n·10239).
	fast, fastB *runMatcher

	ctxOnce, ctxBOnce sync.Once
	ctx, ctxB         *regexp.Regexp // "(?s:.)(?:pattern)": search from a position
}

// compileProgram translates and compiles src for both semantics.
func compileProgram(expr, src string, fl regexFlags, interp bool) (*program, error) {
	tr, err := translate(expr, src, fl, false, interp)
	if err != nil {
		return nil, err
	}
	p := &program{tr: tr, nuser: len(tr.userGo) - 1}
	if p.re, err = compileRE2(expr, tr); err != nil {
		return nil, err
	}
	p.reB = p.re
	treeB := ""
	if hasHigh(src) {
		trB, err := translate(expr, src, fl, true, interp)
		if err != nil {
			return nil, err
		}
		if len(trB.userGo) != len(tr.userGo) || trB.goGroups != tr.goGroups {
			return nil, syntaxErr(expr, "cannot translate this pattern for RE2")
		}
		if p.reB, err = compileRE2(expr, trB); err != nil {
			return nil, err
		}
		treeB = trB.pattern
	}
	tree, err := syntax.Parse(tr.pattern, syntax.Perl)
	if err != nil {
		return nil, syntaxErr(expr, "invalid regular expression: "+err.Error())
	}
	nonEmpty := minLen(tree) > 0
	p.goIter = nonEmpty || !consumes(tree)
	p.fast = fastShape(tree)
	// A pattern that can match the empty string must see every byte
	// position, even inside a UTF-8 sequence (s/\B/-/g on "é").
	p.fastB, p.asciiB = p.fast, nonEmpty && asciiOnly(tree)
	if treeB != "" {
		tb, err := syntax.Parse(treeB, syntax.Perl)
		if err != nil {
			return nil, syntaxErr(expr, "invalid regular expression: "+err.Error())
		}
		p.fastB, p.asciiB = fastShape(tb), nonEmpty && asciiOnly(tb)
	}
	return p, nil
}

func compileRE2(expr string, tr translation) (*regexp.Regexp, error) {
	re, err := regexp.Compile(tr.pattern)
	if err == nil && re.NumSubexp() != tr.goGroups {
		// A translation slip must not reach the matcher (group offsets
		// would be wrong); report it instead.
		return nil, syntaxErr(expr, "cannot translate this pattern for RE2")
	}
	if err != nil {
		msg := err.Error()
		if se, ok := err.(*syntax.Error); ok {
			switch se.Code {
			case syntax.ErrInvalidRepeatSize:
				return nil, unsupported(expr, "nested counted repeats above 1000 in all (an RE2 limit)", se.Expr)
			case syntax.ErrLarge:
				return nil, unsupported(expr, "a pattern this large (an RE2 limit)", "")
			case syntax.ErrNestingDepth:
				return nil, unsupported(expr, "nesting this deep (an RE2 limit)", "")
			}
			msg = se.Code.String() + ": " + se.Expr
		}
		return nil, syntaxErr(expr, "invalid regular expression: "+msg)
	}
	return re, nil
}

func hasHigh(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// latin1 widens every byte to the character with that code point, so that
// a UTF-8 engine sees Perl's byte string: one character per byte.
func latin1(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteByte(c)
		} else {
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// find returns the matches Perl would find (all of them with /g, else the
// first), each as Perl-numbered submatch offsets into in (-1 for a group
// that did not take part). bytes selects Perl byte semantics.
func (p *program) find(in string, global, bytes bool) [][]int {
	re, fast, search, widened := p.re, p.fast, in, false
	if bytes {
		re, fast = p.reB, p.fastB
		if !p.asciiB && hasHigh(in) {
			search, widened = latin1(in), true
		}
	}
	var ms [][]int
	switch {
	case fast != nil:
		ms = fast.find(search, global)
	case p.goIter:
		ms = p.goFind(re, search, global, bytes)
	default:
		ms = p.iterate(search, 0, -1, global, bytes)
	}
	if widened {
		narrow(search, ms)
	}
	return ms
}

// goFind uses Go's FindAll iteration (valid when goIter) and applies the
// hidden-group corrections. Both can only concern the last match, which
// reaches the end of s: a /m ^ after the final "\n" drops it (the search
// goes on after its start), a $ before the final "\n" cuts it back (the
// search goes on from there, as Perl's does).
func (p *program) goFind(re *regexp.Regexp, s string, global, bytes bool) [][]int {
	var raw [][]int
	if global {
		raw = re.FindAllStringSubmatchIndex(s, -1)
	} else if m := re.FindStringSubmatchIndex(s); m != nil {
		raw = [][]int{m}
	}
	ms := make([][]int, 0, len(raw))
	for _, m := range raw {
		end := m[1]
		if !p.fix(m, len(s)) {
			if m[0] < len(s) {
				_, w := utf8.DecodeRuneInString(s[m[0]:])
				ms = append(ms, p.iterate(s, m[0]+w, -1, global, bytes)...)
			}
			break
		}
		ms = append(ms, p.toUser(m))
		if !global {
			break
		}
		if m[1] < end {
			lastEmpty := -1
			if m[0] == m[1] {
				lastEmpty = m[1]
			}
			ms = append(ms, p.iterate(s, m[1], lastEmpty, true, bytes)...)
			break
		}
	}
	return ms
}

// matches reports whether the pattern matches anywhere in in.
func (p *program) matches(in string, bytes bool) bool {
	if len(p.tr.carets) == 0 && p.fast == nil && (!bytes || p.asciiB || !hasHigh(in)) {
		if bytes {
			return p.reB.MatchString(in)
		}
		return p.re.MatchString(in)
	}
	return len(p.find(in, false, bytes)) > 0
}

// toUser converts Go submatch offsets to Perl numbering.
func (p *program) toUser(m []int) []int {
	u := make([]int, 2*(p.nuser+1))
	for n, g := range p.tr.userGo {
		u[2*n], u[2*n+1] = m[2*g], m[2*g+1]
	}
	return u
}

// iterate is Perl's s///g loop: after an empty match at p, an empty match
// at p is not accepted again (the search moves one character on), but an
// empty match right after a non-empty one is ("axb" =~ s/x*/-/g gives
// "-a--b-"). Go's FindAll refuses both, so positions are searched one by
// one with a context-preserving search (see from).
func (p *program) iterate(s string, pos, lastEmpty int, global, bytes bool) [][]int {
	var res [][]int
	for pos <= len(s) {
		m := p.from(s, pos, bytes)
		if m == nil {
			break
		}
		if m[0] == m[1] && m[0] == lastEmpty {
			if m[0] >= len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[m[0]:])
			pos = m[0] + w
			continue
		}
		res = append(res, m)
		if !global {
			break
		}
		lastEmpty = -1
		if m[0] == m[1] {
			lastEmpty = m[1]
		}
		pos = m[1]
	}
	return res
}

// from returns the leftmost match starting at or after pos, seeing the
// character before pos (for ^, \b, \A), in Perl numbering, after the
// hidden-group corrections (see fix).
func (p *program) from(s string, pos int, bytes bool) []int {
	for pos <= len(s) {
		m := p.search(s, pos, bytes)
		if m == nil {
			return nil
		}
		if p.fix(m, len(s)) {
			return p.toUser(m)
		}
		// A /m ^ matched after the final "\n", where Perl's does not:
		// look further on.
		if m[0] >= len(s) {
			return nil
		}
		_, w := utf8.DecodeRuneInString(s[m[0]:])
		pos = m[0] + w
	}
	return nil
}

// search is the leftmost RE2 match at or after pos, with the character
// before pos as context, in Go numbering.
func (p *program) search(s string, pos int, bytes bool) []int {
	var m []int
	if pos == 0 {
		re := p.re
		if bytes {
			re = p.reB
		}
		m = re.FindStringSubmatchIndex(s)
	} else {
		ctx, off := p.context(bytes), pos
		if ctx != nil {
			_, w := utf8.DecodeLastRuneInString(s[:pos])
			off -= w
			m = ctx.FindStringSubmatchIndex(s[off:])
			if m != nil {
				_, w = utf8.DecodeRuneInString(s[off+m[0]:])
				m[0] += w
			}
		} else if bytes {
			m = p.reB.FindStringSubmatchIndex(s[off:])
		} else {
			m = p.re.FindStringSubmatchIndex(s[off:])
		}
		if m == nil {
			return nil
		}
		for k := range m {
			if m[k] >= 0 {
				m[k] += off
			}
		}
	}
	return m
}

// context returns "(?s:.)(?:pattern)": searched from the character before
// a position, it finds matches at or after that position while seeing
// that character, which Go's API otherwise offers no way to do. It is nil
// in the (theoretical) case where the wrapper does not compile.
func (p *program) context(bytes bool) *regexp.Regexp {
	wrap := func(re *regexp.Regexp) *regexp.Regexp {
		c, err := regexp.Compile(`(?s:.)(?:` + re.String() + `)`)
		if err != nil {
			return nil
		}
		return c
	}
	if bytes {
		p.ctxBOnce.Do(func() { p.ctxB = wrap(p.reB) })
		return p.ctxB
	}
	p.ctxOnce.Do(func() { p.ctx = wrap(p.re) })
	return p.ctx
}

// fix applies the hidden groups to Go submatch offsets m on a string of
// length n. A /m ^ that matched at the very end after a final "\n" makes
// the match invalid (Perl's ^ does not match there). A $ that matched
// before a final "\n" consumed it in RE2: the match and its groups are cut
// back to before the "\n".
func (p *program) fix(m []int, n int) bool {
	for _, g := range p.tr.carets {
		if m[2*g] == n && n > 0 {
			return false
		}
	}
	cut := -1
	for _, g := range p.tr.dollars {
		if at := m[2*g]; at >= 0 && (cut < 0 || at < cut) {
			cut = at
		}
	}
	if cut >= 0 {
		for k := range m {
			if m[k] > cut {
				m[k] = cut
			}
		}
	}
	return true
}

// narrow converts offsets into a latin1-widened string back to offsets
// into the original bytes: every non-ASCII character of the widened
// string is two bytes for one.
func narrow(wide string, ms [][]int) {
	cur, lead := 0, 0
	count := func(from, leads, to int) int {
		for i := from; i < to; i++ {
			if wide[i] >= 0xC0 {
				leads++
			}
		}
		return leads
	}
	for _, m := range ms {
		if m[0] < cur {
			cur, lead = 0, 0
		}
		lead = count(cur, lead, m[0])
		cur = m[0]
		for k := range m {
			if m[k] >= 0 {
				if m[k] >= cur {
					m[k] -= count(cur, lead, m[k])
				} else {
					m[k] -= count(0, 0, m[k])
				}
			}
		}
	}
}
