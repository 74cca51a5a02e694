package perlre

import (
	"regexp/syntax"
	"sort"
	"unicode"
	"unicode/utf8"
)

// runMatcher finds runs of one character class: the whole pattern is
// [capture of] a chain of repeats of a single class (x{n}, x{n,m}, x+...).
// Leftmost-first on such a pattern is simply: the first position where at
// least min matching characters follow; greedy takes up to max.
type runMatcher struct {
	in       func(rune) bool
	min, max int // max < 0: unbounded
	capture  bool
}

func (f *runMatcher) find(s string, global bool) [][]int {
	var res [][]int
	for i := 0; i < len(s); {
		j, n := i, 0
		for j < len(s) && (f.max < 0 || n < f.max) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if !f.in(r) {
				break
			}
			j += w
			n++
		}
		if n >= f.min {
			m := []int{i, j}
			if f.capture {
				m = append(m, i, j)
			}
			res = append(res, m)
			if !global {
				break
			}
			i = j
			continue
		}
		if j >= len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[j:])
		i = j + w
	}
	return res
}

// fastShape returns a runMatcher for patterns it can run, else nil.
func fastShape(re *syntax.Regexp) *runMatcher {
	f := &runMatcher{}
	if re.Op == syntax.OpCapture {
		f.capture = true
		re = re.Sub[0]
	}
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	var leaf *syntax.Regexp
	lazy := -1
	for _, p := range parts {
		var l *syntax.Regexp
		lo, hi, ng := 1, 1, -1
		switch p.Op {
		case syntax.OpStar:
			l, lo, hi = p.Sub[0], 0, -1
		case syntax.OpPlus:
			l, lo, hi = p.Sub[0], 1, -1
		case syntax.OpQuest:
			l, lo, hi = p.Sub[0], 0, 1
		case syntax.OpRepeat:
			l, lo, hi = p.Sub[0], p.Min, p.Max
		default:
			l = p
		}
		if l != p {
			ng = 0
			if p.Flags&syntax.NonGreedy != 0 {
				ng = 1
			}
		}
		if !isLeaf(l) || leaf != nil && !leaf.Equal(l) {
			return nil
		}
		leaf = l
		if ng >= 0 && lo != hi {
			if lazy >= 0 && lazy != ng {
				return nil
			}
			lazy = ng
		}
		f.min += lo
		if hi < 0 || f.max < 0 {
			f.max = -1
		} else {
			f.max += hi
		}
	}
	if leaf == nil || f.min == 0 {
		return nil
	}
	if lazy == 1 {
		f.max = f.min
	}
	f.in = leafFunc(leaf)
	return f
}

func isLeaf(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpCharClass:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 1
	}
	return false
}

func leafFunc(re *syntax.Regexp) func(rune) bool {
	switch re.Op {
	case syntax.OpAnyChar:
		return func(rune) bool { return true }
	case syntax.OpAnyCharNotNL:
		return func(r rune) bool { return r != '\n' }
	case syntax.OpCharClass:
		ranges := append([]rune(nil), re.Rune...)
		return func(r rune) bool {
			// ranges are sorted pairs [lo, hi]
			k := sort.Search(len(ranges)/2, func(k int) bool { return ranges[2*k+1] >= r })
			return k < len(ranges)/2 && ranges[2*k] <= r
		}
	}
	lit := re.Rune[0]
	if re.Flags&syntax.FoldCase == 0 {
		return func(r rune) bool { return r == lit }
	}
	return func(r rune) bool {
		if r == lit {
			return true
		}
		for f := unicode.SimpleFold(lit); f != lit; f = unicode.SimpleFold(f) {
			if f == r {
				return true
			}
		}
		return false
	}
}
