package perlre

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// minLen is the minimal length of a match of re, in characters.
func minLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch:
		return 1
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minLen(re.Sub[0])
	case syntax.OpRepeat:
		n := re.Min * minLen(re.Sub[0])
		if n > 1<<20 {
			n = 1 << 20
		}
		return n
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minLen(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if l := minLen(s); n < 0 || l < n {
				n = l
			}
		}
		if n < 0 {
			return 0
		}
		return n
	}
	return 0 // empty match, assertions, star, quest
}

// consumes reports whether re can match a non-empty string.
func consumes(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpRepeat:
		return re.Max != 0 && consumes(re.Sub[0])
	}
	for _, s := range re.Sub {
		if consumes(s) {
			return true
		}
	}
	return false
}

// asciiOnly reports whether every character re can match is ASCII.
func asciiOnly(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return false
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return false
			}
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					if f >= utf8.RuneSelf {
						return false
					}
				}
			}
		}
		return true
	case syntax.OpCharClass:
		return len(re.Rune) == 0 || re.Rune[len(re.Rune)-1] < utf8.RuneSelf
	}
	for _, s := range re.Sub {
		if !asciiOnly(s) {
			return false
		}
	}
	return true
}
