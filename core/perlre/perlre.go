// Package perlre runs imapsync's Perl regex options (--regextrans2,
// --regexmess, --regexflag, --skipmess, --include, --exclude,
// --delete2foldersonly, --delete2foldersbutnot) with Go's regexp (RE2).
//
// imapsync evals these options as Perl code: s/pat/repl/flags with any
// delimiter (s,a,b,g  s{a}{b}  s(a)(b)  s<a><b>  s#a#b#), tr/abc/xyz/ and
// y///, m{pat} and /pat/, or bare patterns (/$include/). ParseSubst and
// ParseMatch parse that syntax and translate the pattern to RE2; what RE2
// cannot run (look-around, back-references, \G, \K, atomic groups,
// possessive quantifiers, recursion, conditionals, embedded code, /e) is
// refused with an *UnsupportedError that suggests a Lua hook instead.
//
// # Semantics kept from Perl
//
//   - Modifiers i, g, m, s, x (and xx); o is accepted and ignored; e, ee,
//     r and the other Perl modifiers are refused. Inline (?imsx-imsx),
//     (?^...) and (?flags:...) groups work, (?#...) comments too.
//   - Without /g only the first match is replaced. With /g the iteration
//     is Perl's: an empty match right after a non-empty one counts
//     (s/x*/-/g on "axb" gives "-a--b-", where Go's ReplaceAll gives
//     "-a-b-"); an empty match where the previous one ended does not.
//   - $ without /m, and \Z always, match at the end or before a final
//     "\n" (s/a$/b/ turns "a\n" into "b\n"); $ with /m before every "\n"
//     and at the end. ^ with /m does not match after a final "\n" (s/^/> /mg does
//     not add a "> " line after the last newline). \A, \z, \b, \B as Perl.
//   - \d \w \s \b and the POSIX classes are ASCII (Perl's semantics for the
//     byte strings imapsync handles; \s includes VT, \x0B, as since Perl
//     5.18).
//     \h \H \v \V \R \N and \N{U+hex} are rewritten for RE2, \p{..} is
//     passed to RE2, \Q..\E is quoted, named groups (?<n>..) and (?'n'..)
//     become (?P<n>..). Escapes \xHH \x{..} \0oo \ooo \o{..} \cX \e \a.
//     \1..\9 in a pattern are back-references (refused); \10 and above are
//     octal when there are fewer groups, as in Perl.
//   - Counted repeats up to 65535 (RE2 stops at 1000: bigger counts are
//     split into chunks). A pattern that is one repeated class, such as
//     office2's s,(.{10239}),$1\r\n,g, runs on a linear special matcher.
//   - Replacements are Perl double-quoted strings: $1 ${1} \1 $& $` $'
//     $+ $+{name}, \n \r \t \f \e \a \b \0oo \xHH \x{..} \cX \N{U+..},
//     \\ \$ \@ and any escaped character, case modifiers \U \L \F \Q ..\E,
//     \u \l (with Perl's "\L\u" swap, so s/(\w+)/\L\u$1/ capitalises;
//     \u changes the first character that follows, even past an empty
//     group: s/(x)?b/\u$1c/ writes "C"). A group that did not take part
//     is empty, as Perl's undef.
//   - A backslash before the delimiter is removed (s/a\/b/x/), except in
//     patterns with bracketing delimiters (m{a\}b} keeps \}), as in Perl.
//     With ' as delimiter nothing is interpolated.
//   - tr/// and y///: ranges, escapes, the c, d and s modifiers; an empty
//     replacement list means the search list.
//
// # Differences from Perl
//
// Deliberate:
//
//   - Interpolation: "$name" in a pattern or replacement would be a Perl
//     variable; it is refused ("$" followed by ")", "|", "(", a blank or
//     the end is an anchor, as in Perl). "@" is always literal (Perl would
//     interpolate an array, usually empty, which is never what the user
//     meant). "$" inside a character class is literal (Perl reads "[$]"
//     as "[" followed by the variable $]).
//   - An empty pattern (s,,\\Seen ,) matches the empty string, as the
//     imapsync FAQ expects; Perl would reuse the last successful pattern.
//   - Text or bytes: Apply and MatchString work on UTF-8 text (one
//     character per code point; \U uppercases "é"; \xE9 is "é"), which is
//     what imapshift's folder names and flags are. ApplyBytes and Match
//     give Perl's byte-string semantics (one character per byte; .{10239}
//     counts bytes; [\x80-\xff] matches 8-bit bytes; \U only changes
//     ASCII), which is what imapsync does with messages (--regexmess,
//     --skipmess). In byte semantics /i still folds Latin-1 letters (é/É)
//     where Perl would not; in text semantics \U leaves "ß" as is (Perl's
//     uc of a Unicode string gives "SS").
//   - \Q..\E is honoured in bare patterns too (Perl leaves it to the regex
//     engine, which would see "Q").
//
// Limits of RE2 (pinned by TestKnownDifferences; none occurs in imapsync's
// documented recipes):
//
//   - After an empty match Perl retries the same position for a non-empty
//     one: s/x??/-/g on "x" gives "---" in Perl, "-x-" here; likewise a
//     first alternative that matches empty (s/^|a/-/g).
//   - A capture in a repeated group whose last iteration matches empty:
//     Perl reports the empty iteration, RE2 the last non-empty one
//     (s/(a|b?)+/<$1>/ on "ab": Perl "<>", here "<b>").
//   - $ and \Z consume the final "\n" in RE2, so more pattern after them
//     cannot match it (s/\Z./X/s on "a\n" does nothing here).
//   - A /m ^ that RE2 places after the final "\n" rejects that match; Perl
//     would take another path from the same position (s/a(\n^)?/X/m).
//
// Every table case of the tests, and thousands of random expressions, are
// compared with perl itself when it is installed (TestAgainstPerl,
// TestRandomAgainstPerl).
package perlre

import (
	"regexp"
	"strings"
)

// Subst is a compiled s/// (or tr///, y///) expression. It is safe for
// concurrent use.
type Subst struct {
	expr   string
	prog   *program
	repl   *template
	global bool
	tr     *translit
}

// ParseSubst parses a Perl s///, tr/// or y/// expression, as given to
// --regextrans2, --regexmess or --regexflag. Errors are *SyntaxError or
// *UnsupportedError (see WithOption to name the option in the message).
func ParseSubst(expr string) (*Subst, error) {
	q, err := parseQuoteLike(expr)
	if err != nil {
		return nil, err
	}
	switch q.op {
	case "tr":
		t, err := parseTr(expr, q)
		if err != nil {
			return nil, err
		}
		return &Subst{expr: expr, tr: t}, nil
	case "m":
		return nil, syntaxErr(expr, "a match (m// or //) is not a substitution: write s/pattern/replacement/")
	}
	rf, global, err := parseRegexFlags(expr, q.flags, true)
	if err != nil {
		return nil, err
	}
	prog, err := compileProgram(expr, q.parts[0], rf, q.delims[0] != '\'')
	if err != nil {
		return nil, err
	}
	repl, err := parseReplacement(expr, q.parts[1], q.delims[1] != '\'', prog.tr.names)
	if err != nil {
		return nil, err
	}
	return &Subst{expr: expr, prog: prog, repl: repl, global: global}, nil
}

// String returns the expression as given.
func (s *Subst) String() string { return s.expr }

// Regexp returns the translated pattern (nil for tr///). It may contain
// extra unnamed groups used to reproduce Perl's $ and /m ^, so its group
// numbers can differ from Perl's.
func (s *Subst) Regexp() *regexp.Regexp {
	if s.prog == nil {
		return nil
	}
	return s.prog.re
}

// Apply returns in with the substitution applied (Perl semantics on UTF-8
// text: one character per code point). Without /g only the first match
// is replaced.
func (s *Subst) Apply(in string) string { return s.apply(in, false) }

// ApplyBytes is Apply with Perl's byte-string semantics (one character per
// byte), for whole messages. in is not modified.
func (s *Subst) ApplyBytes(in []byte) []byte { return []byte(s.apply(string(in), true)) }

func (s *Subst) apply(in string, bytes bool) string {
	if s.tr != nil {
		return s.tr.apply(in, bytes)
	}
	ms := s.prog.find(in, s.global, bytes)
	if len(ms) == 0 {
		return in
	}
	var b strings.Builder
	b.Grow(len(in))
	last := 0
	for _, m := range ms {
		b.WriteString(in[last:m[0]])
		s.repl.expand(&b, in, m, bytes)
		last = m[1]
	}
	b.WriteString(in[last:])
	return b.String()
}

// Match is a compiled Perl match (m//, //, or a bare pattern). It is safe
// for concurrent use.
type Match struct {
	expr string
	prog *program
}

// ParseMatch parses a Perl match as given to --skipmess or
// --delete2foldersonly/--delete2foldersbutnot: m{pat}flags, m/pat/flags,
// /pat/flags (any m delimiter), or else a bare pattern (see ParseBare).
// The allowed modifiers are i, m, s, x, xx (g and o are ignored).
func ParseMatch(expr string) (*Match, error) {
	s := strings.TrimSpace(expr)
	if op, _, ok := splitOp(s); !ok || op != "m" || s[0] != '/' && s[0] != 'm' {
		return ParseBare(expr)
	}
	q, err := parseQuoteLike(expr)
	if err != nil {
		return nil, err
	}
	rf, _, err := parseRegexFlags(expr, q.flags, false)
	if err != nil {
		return nil, err
	}
	prog, err := compileProgram(expr, q.parts[0], rf, q.delims[0] != '\'')
	if err != nil {
		return nil, err
	}
	return &Match{expr: expr, prog: prog}, nil
}

// ParseBare parses a bare Perl pattern, as imapsync uses --include and
// --exclude (/$include/): no delimiters, no modifiers (inline (?i) works),
// no interpolation ("$" is always an anchor). Prefer it to ParseMatch for
// those options: a folder pattern may well start with "/" or "m{".
func ParseBare(pattern string) (*Match, error) {
	prog, err := compileProgram(pattern, pattern, regexFlags{}, false)
	if err != nil {
		return nil, err
	}
	return &Match{expr: pattern, prog: prog}, nil
}

// String returns the expression as given.
func (m *Match) String() string { return m.expr }

// MatchString reports whether s matches (UTF-8 text semantics).
func (m *Match) MatchString(s string) bool { return m.prog.matches(s, false) }

// Match reports whether b matches with Perl's byte-string semantics (one
// character per byte), for whole messages (--skipmess).
func (m *Match) Match(b []byte) bool { return m.prog.matches(string(b), true) }

// Regexp returns the translated pattern. It may contain extra unnamed
// groups used to reproduce Perl's $ and /m ^, so its group numbers can
// differ from Perl's, and Perl's $ is RE2's (?:\z|(\n)\z): a match found
// with it may include the final "\n".
func (m *Match) Regexp() *regexp.Regexp { return m.prog.re }
