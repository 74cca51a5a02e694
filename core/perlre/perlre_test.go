package perlre

import (
	"errors"
	"strings"
	"testing"
)

type substCase struct {
	name string
	expr string
	in   string
	want string
}

func runSubst(t *testing.T, cases []substCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSubst(c.expr)
			if err != nil {
				t.Fatalf("ParseSubst(%q): %v", c.expr, err)
			}
			if got := s.Apply(c.in); got != c.want {
				t.Errorf("%s on %q = %q, want %q", c.expr, c.in, got, c.want)
			}
		})
	}
}

// chain applies rules in order, as imapsync does with repeated options.
func chain(t *testing.T, in string, rules ...string) string {
	t.Helper()
	for _, r := range rules {
		s, err := ParseSubst(r)
		if err != nil {
			t.Fatalf("ParseSubst(%q): %v", r, err)
		}
		in = s.Apply(in)
	}
	return in
}

var presetCases = []substCase{
	{"gmail1 drops [Gmail]/", Gmail1DropPrefix, "[Gmail]/Sent Mail", "Sent Mail"},
	{"gmail1 needs a character after [Gmail]", Gmail1DropPrefix, "[Gmail]", "[Gmail]"},
	{"gmail1 anywhere, first occurrence only", Gmail1DropPrefix, "a/[Gmail]/b/[Gmail]/c", "a/b/[Gmail]/c"},
	{"gmail1 leaves other names", Gmail1DropPrefix, "INBOX", "INBOX"},
	{"gmail2 trims blanks", Gmail2TrimBlanks, "  Foo Bar  ", "Foo Bar"},
	{"gmail2 trims nothing", Gmail2TrimBlanks, "Foo", "Foo"},
	{"gmail2 trims blanks around slash", Gmail2TrimSlashBlanks, "a /b/ c  /d", "a/b/c/d"},
	// Matches do not overlap: " /" is taken, the blanks after it stay (as in Perl).
	{"gmail2 blanks on both sides of slash", Gmail2TrimSlashBlanks, "a /  b", "a/  b"},
	{"gmail2 quotes to underscore", Gmail2Quotes, `a'b\c^d"e`, "a_b_c_d_e"},
	{"domino2 inbox children", Domino2InboxChildren, `Inbox\Sub\Deeper`, `Sub\Deeper`},
	{"domino2 case-insensitive", Domino2InboxChildren, `INBOX\Sub`, `Sub`},
	{"domino2 leaves Inbox", Domino2InboxChildren, `Inbox`, `Inbox`},
	{"exchange2 drops Flagged", Exchange2DropFlagged, `\Deleted \Flagged \Answered \Draft`, `\Deleted  \Answered \Draft`},
}

// TestPresetRules runs the rules the presets add.
func TestPresetRules(t *testing.T) {
	runSubst(t, presetCases)
	t.Run("gmail2 rules in order", func(t *testing.T) {
		got := chain(t, ` [Gmail]/It's a "test" / x^y `, Gmail1DropPrefix, Gmail2TrimBlanks, Gmail2TrimSlashBlanks, Gmail2Quotes)
		if want := `It_s a _test_/ x_y`; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestOfficeWrap(t *testing.T) {
	s, err := ParseSubst(OfficeWrapLines)
	if err != nil {
		t.Fatal(err)
	}
	x := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct{ name, in, want string }{
		{"short line", "abc\r\n", "abc\r\n"},
		{"25000 chars", x(25000) + "\r\n", x(10239) + "\r\n" + x(10239) + "\r\n" + x(4522) + "\r\n"},
		{"every long line", x(10240) + "\n" + x(10) + "\n" + x(20478), x(10239) + "\r\n" + "x\n" + x(10) + "\n" + x(10239) + "\r\n" + x(10239) + "\r\n"},
		// "." matches "\r": a 10238-character line plus its CR is wrapped, as in imapsync.
		{"CR counts", x(10238) + "\r\nz", x(10238) + "\r\r\n\nz"},
		{"counts bytes", strings.Repeat("é", 5120) + "\n", strings.Repeat("é", 5119) + "\xc3\r\n\xa9\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(s.ApplyBytes([]byte(c.in))); got != c.want {
				t.Errorf("got %d bytes %q..., want %d bytes", len(got), trunc(got), len(c.want))
			}
		})
	}
	t.Run("text semantics count characters", func(t *testing.T) {
		in := strings.Repeat("é", 5120) + "\n"
		if got := s.Apply(in); got != in {
			t.Errorf("changed a 5120-character line")
		}
	})
	t.Run("regexp is usable", func(t *testing.T) {
		if !s.Regexp().MatchString(x(10239)) || s.Regexp().MatchString(x(10238)) {
			t.Error("Regexp() does not match 10239 characters exactly")
		}
	})
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func TestDisarmReadReceipts(t *testing.T) {
	s, err := ParseSubst(DisarmReadReceipts)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, in, want string }{
		{"in the header",
			"From: a@b\r\nDisposition-Notification-To: a@b\r\nSubject: x\r\n\r\nbody\r\n",
			"From: a@b\r\nX-Disposition-Notification-To: a@b\r\nSubject: x\r\n\r\nbody\r\n"},
		{"first line",
			"Disposition-Notification-To: a@b\r\n\r\nbody\r\n",
			"X-Disposition-Notification-To: a@b\r\n\r\nbody\r\n"},
		{"after a folded header",
			"Subject: x\r\n y\r\ndisposition-notification-to: a@b\r\n\r\n",
			"Subject: x\r\n y\r\nX-disposition-notification-to: a@b\r\n\r\n"},
		{"LF line ends",
			"From: a\nDisposition-Notification-To: a\n\nb\n",
			"From: a\nX-Disposition-Notification-To: a\n\nb\n"},
		{"only in the body",
			"From: a@b\r\n\r\nDisposition-Notification-To: a@b\r\n",
			"From: a@b\r\n\r\nDisposition-Notification-To: a@b\r\n"},
		{"header and body",
			"From: a\r\nDisposition-Notification-To: a\r\n\r\nDisposition-Notification-To: b\r\n",
			"From: a\r\nX-Disposition-Notification-To: a\r\n\r\nDisposition-Notification-To: b\r\n"},
		{"not at a line start",
			"Original-Disposition-Notification-To: a\r\n\r\n",
			"Original-Disposition-Notification-To: a\r\n\r\n"},
		{"no header", "Subject: x\r\n\r\nbody", "Subject: x\r\n\r\nbody"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(s.ApplyBytes([]byte(c.in)))
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if again := string(s.ApplyBytes([]byte(got))); again != got {
				t.Errorf("second application changed %q into %q", got, again)
			}
		})
	}
}

var manualCases = []substCase{
	// --regextrans2 (FAQ.Folders_Mapping)
	{"strip INBOX.", `s/^INBOX\.(.+)/$1/`, "INBOX.Sent", "Sent"},
	{"strip INBOX. keeps INBOX", `s/^INBOX\.(.+)/$1/`, "INBOX", "INBOX"},
	{"rename INBOX only", `s{^INBOX$}{Inbox_Migrated}`, "INBOX", "Inbox_Migrated"},
	{"rename INBOX only not children", `s{^INBOX$}{Inbox_Migrated}`, "INBOX.Sent", "INBOX.Sent"},
	{"everything to INBOX", `s/.*/INBOX/`, "Sent/2020", "INBOX"},
	{"dots to underscores", `s,\.,_,g`, "a.b.c", "a_b_c"},
	{"double quotes to underscores", `s,\",_,g`, `a"b"`, "a_b_"},
	{"tr many characters", `tr,*%.#,_,`, "a*b%c.d#e", "a_b_c_d_e"},
	{"mail/Sent Items to Sent", `s,^mail/Sent Items$,Sent,`, "mail/Sent Items", "Sent"},
	{"mail/ to INBOX/", `s,^mail/,INBOX/,`, "mail/Test", "INBOX/Test"},
	{"subfolder FOO with dot", `s,^INBOX(.*),INBOX.FOO$1,`, "INBOX.Sent", "INBOX.FOO.Sent"},
	{"subfolder FOO INBOX itself", `s,^INBOX(.*),INBOX.FOO$1,`, "INBOX", "INBOX.FOO"},
	{"subfolder FOO with slash", `s,(.*),FOO/$1,`, "Sent", "FOO/Sent"},
	// --regexmess (manual, FAQ.Use_regexmess, imapsync tests)
	{"NUL to space", `s/\000/ /g`, "a\x00b\x00", "a b "},
	{"inject a header line", `s/\A/X-migrated-from-foo: 20100617\n/`, "From: a\n", "X-migrated-from-foo: 20100617\nFrom: a\n"},
	{"mbox From line to From:", `s/\AFrom /From: /`, "From foo@yoyo.org  Sat\nX: y\n", "From: foo@yoyo.org  Sat\nX: y\n"},
	{"mbox From line to X-From:", `s/\AFrom /X-From: /`, "From foo\n", "X-From: foo\n"},
	{"mbox From line removed", `s{\AFrom\ [^\n]*(\n)?}{}gxms`, "From foo@yoyo.org  Sat Jun 22\nReturn-Path: <x>\n", "Return-Path: <x>\n"},
	{"mbox From line only at start", `s{\AFrom\ [^\n]*(\n)?}{}gxms`, "X: y\nFrom foo\n", "X: y\nFrom foo\n"},
	{"octal escape in pattern", `s/\157/O/g`, "foo", "fOO"},
	{"plain letter", `s/p/Z/g`, "pop", "ZoZ"},
	{"line ends to LF", `s/(\r\n|\n\r)/\n/g`, "a\r\nb\n\rc", "a\nb\nc"},
	// --regexflag (manual, FAQ.Flags)
	{"remove quoted Junk", `s/"Junk"//g`, `\Seen "Junk"`, `\Seen `},
	{"convert IMPORTANT", `s/IMPORTANT/CANWAIT/g`, `\Seen IMPORTANT`, `\Seen CANWAIT`},
	{"remove $MDNSent", `s/\$MDNSent//g`, `\Seen $MDNSent`, `\Seen `},
	{"remove FORWARDED any case", `s/\\FORWARDED//gi`, `\Seen \Forwarded`, `\Seen `},
	{"dollar flag to backslash flag", `s/\$label1/\\label1/g`, `$label1 \Seen`, `\label1 \Seen`},
	{"remove problematic flags",
		`s/\\RECEIPTCHECKED|\\Indexed|\\X-EON-HAS-ATTACHMENT|\\UNSEEN|\\ATTACHED|\\X-HAS-ATTACH|\\FORWARDED|\\FORWARD|\\X-FORWARDED|\\\$FORWARDED|\\PRIORITY|\\READRCPT//g`,
		`\Seen \Indexed \$FORWARDED \FORWARDED \FORWARD \X-HAS-ATTACH`, `\Seen     `},
	{"keep standard flags (no /e)", `s/.*?(?:(\\(?:Answered|Flagged|Deleted|Seen|Draft)\s?)|$)/$1/g`,
		`Blabla \$Junk \Deleted machin \Answered truc`, `\Deleted \Answered `},
	// Zimbra recipes
	{"zimbra Trash", `s/^Trash$/Zimbra Trash/`, "Trash", "Zimbra Trash"},
	{"zimbra Trash children", `s/^Trash\//Zimbra Trash\//`, "Trash/a", "Zimbra Trash/a"},
	{"zimbra strip INBOX/", `s/^INBOX\///`, "INBOX/a", "a"},
	{"zimbra leading blanks", `s/^\s+//g`, "  a b", "a b"},
	{"zimbra blanks after slash", `s/\/\s+/\//g`, "a/  b/ c", "a/b/c"},
	{"zimbra squeeze blanks", `s/\s{2,}/ /g`, "a   b  c d", "a b c d"},
	{"zimbra carets", `s/\^//g`, "a^b^", "ab"},
}

// Recipes of the imapsync manual and FAQ.
func TestManualRecipes(t *testing.T) {
	runSubst(t, manualCases)
	t.Run("add Seen to all", func(t *testing.T) {
		for in, want := range map[string]string{`\Answered \Seen`: `\Seen \Answered `, `\Answered`: `\Seen \Answered`, ``: `\Seen `} {
			if got := chain(t, in, `s,\\Seen,,`, `s,,\\Seen ,`); got != want {
				t.Errorf("%q: got %q, want %q", in, got, want)
			}
		}
	})
}

var folderNameCases = []substCase{
	{"slash to X", `s,/,X,g`, "spam/spam", "spamXspam"},
	{"slash to X with dot", `s,/,X,g`, "spam.spam/spam", "spam.spamXspam"},
	{"blank to underscore", `s, ,_,g`, "bla bla", "bla_bla"},
	{"uppercase", `s/(.*)/\U$1/`, "blabla", "BLABLA"},
	{"uppercase all levels", `s/(.*)/\U$1/`, "TEST/test/Test/tesT", "TEST/TEST/TEST/TEST"},
	{"lowercase all levels", `s/(.*)/\L$1/`, "TEST/test/Test/tesT", "test/test/test/test"},
	{"uppercase with g", `s/(.*)/\U$1/g`, "blabla", "BLABLA"},
	{"uppercase non-ASCII", `s/(.*)/\U$1/`, "Éléments envoyés", "ÉLÉMENTS ENVOYÉS"},
	{"capitalise words", `s/(\w+)/\u\L$1/g`, "hELLO wORLD", "Hello World"},
	{"capitalise words swapped", `s/(\w+)/\L\u$1/g`, "hELLO wORLD", "Hello World"},
	{"inbox fix INBOX to Inbox", `s/^INBOX$/Inbox/x`, "INBOX", "Inbox"},
	{"inbox fix leaves children", `s/^INBOX$/Inbox/x`, "INBOX/a", "INBOX/a"},
	{"inbox fix Inbox to INBOX", `s/^Inbox$/INBOX/x`, "Inbox", "INBOX"},
}

// TestFolderNameRules runs --regextrans2 rules of imapsync's folder-name
// tests on the name after the separator swap, and the three rules
// --subfolder2 adds.
func TestFolderNameRules(t *testing.T) {
	runSubst(t, folderNameCases)
	// --subfolder2 Pf2.S1.S2 with prefix2 "Pf2." and sep2 "."
	sub := []string{`s,^\QPf2.\E(.*),Pf2.Pf2.S1.S2.$1,`, `s,^INBOX$,Pf2.Pf2.S1.S2.INBOX,`, `s,^\QPf2.Pf2.\E,Pf2.,`}
	for in, want := range map[string]string{"Pf2.F1.F2.F3": "Pf2.S1.S2.F1.F2.F3", "INBOX": "Pf2.S1.S2.INBOX"} {
		t.Run("subfolder2 "+in, func(t *testing.T) {
			if got := chain(t, in, sub...); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestFlagRules runs --regexflag rules of imapsync's flag tests and of its
// documentation on flag lists.
func TestFlagRules(t *testing.T) {
	const std = `\Seen NonJunk $Spam`
	cases := []struct {
		name  string
		rules []string
		in    string
		want  string
	}{
		{"none", nil, std, std},
		{"remove NonJunk", []string{`s/NonJunk//g`}, std, `\Seen  $Spam`},
		{"remove $Spam", []string{`s/\$Spam//g`}, std, `\Seen NonJunk `},
		{"remove Seen", []string{`s/\\Seen//g`}, std, ` NonJunk $Spam`},
		{"keep only backslash flags", []string{`s/(?:^|\s+)[^\\\s]\S*//g`}, `\Seen NonJunk \Middle $Spam \End`, `\Seen \Middle \End`},
		{"keep only Keep1/2/3", []string{`s/(Keep[123])|\S+/$1/g`, `s/^\s+|\s+(\s)/$1/g`}, `REM Keep1 REM Keep2 REM REM Keep3 REM`, `Keep1 Keep2 Keep3 `},
		{"keep system flags only", []string{`s/.*?(?:(\\(?:Answered|Flagged|Deleted|Seen|Draft)\s?)|$)/$1/g`}, `Blabla \$Junk \Deleted machin \Answered truc`, `\Deleted \Answered `},
		{"remove Flagged", []string{`s/\\Flagged//g`}, `\Deleted \Flagged \Answered \Draft`, `\Deleted  \Answered \Draft`},
		{"filterbuggyflags", []string{`s/\\RECEIPTCHECKED|\\JUNK|\\Indexed|\\X-EON-HAS-ATTACHMENT|\\UNSEEN|\\ATTACHED|\\X-HAS-ATTACH|\\FORWARDED|\\FORWARD|\\X-FORWARDED|\\\$FORWARDED|\\PRIORITY|\\READRCPT//gi`},
			`\Deleted \Answered \RECEIPTCHECKED \Draft \Indexed \Flagged \JUNK \Junk`, `\Deleted \Answered  \Draft  \Flagged  `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := chain(t, c.in, c.rules...); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	t.Run("bad rule", func(t *testing.T) {
		if _, err := ParseSubst(`I am BAD`); err == nil {
			t.Error("no error")
		}
	})
	t.Run("exchange keep-system-flags rule with /e", func(t *testing.T) {
		_, err := ParseSubst(`s/.*?(?:(\\(?:Answered|Flagged|Deleted|Seen|Draft)\s?)|$)/defined($1)?$1:q()/eg`)
		if err == nil || !strings.Contains(err.Error(), "Perl code evaluation (/e) is not supported") {
			t.Errorf("err = %v", err)
		}
	})
}

var semanticsCases = []substCase{
	// iteration
	{"first match only", `s/a/b/`, "aaa", "baa"},
	{"empty after non-empty", `s/x*/-/g`, "axb", "-a--b-"},
	{"empty pattern", `s//-/g`, "ab", "-a-b-"},
	{"empty pattern once", `s//-/`, "ab", "-ab"},
	// $ and \Z
	{"dollar before final newline", `s/a$/b/`, "a\n", "b\n"},
	{"dollar not before inner newline", `s/a$/b/`, "a\nb", "a\nb"},
	{"dollar at end", `s/a$/b/`, "xa", "xb"},
	{"dollar global", `s/$/X/g`, "a\n", "aX\nX"},
	{"dollar global no newline", `s/$/X/g`, "a", "aX"},
	{"dollar with blanks", `s/\s*$//`, "abc  \n", "abc"},
	{"dollar in group", `s/(a$)/[$1]/`, "a\n", "[a]\n"},
	{"dollar in alternation", `s/^a$|^b$/X/`, "b\n", "X\n"},
	{"Z like dollar", `s/a\Z/b/`, "a\n", "b\n"},
	{"dollar global tail", `s/a$/X/g`, "aa\na\n", "aa\nX\n"},
	{"dot dollar global tail", `s/.$/X/gs`, "ab\n", "aXX"},
	{"blank dollar global", `s/ +$/_/g`, "a  \n", "a_\n"},
	{"Z ignores m", `s/a\Z/b/gm`, "a\na\n", "a\nb\n"},
	{"z strict", `s/a\z/b/`, "a\n", "a\n"},
	{"dollar m", `s/x$/y/mg`, "x\nx\nx", "y\ny\ny"},
	{"inline m", `s/(?m)x$/y/g`, "x\nx\n", "y\ny\n"},
	{"caret m quotes lines", `s/^/> /mg`, "a\nb\n", "> a\n> b\n"},
	{"caret m without final newline", `s/^/> /mg`, "a\nb", "> a\n> b"},
	{"caret m empty lines", `s/^$/-/mg`, "a\n\nb\n", "a\n-\nb\n"},
	{"caret without m", `s/^/> /g`, "a\nb\n", "> a\nb\n"},
	{"caret m dot lines", `s/^\.(.)/..$1/mg`, ".a\nb\n.c\n", "..a\nb\n..c\n"},
	{"caret m optional newline", `s/^\n?/-/mg`, "a\n\nb\n", "-a\n--b\n"},
	// flags
	{"s flag", `s/a.b/X/s`, "a\nb", "X"},
	{"no s flag", `s/a.b/X/`, "a\nb", "a\nb"},
	{"i flag", `s/abc/x/i`, "ABC", "x"},
	{"inline i scoped", `s/a(?i:b)c/x/g`, "aBc aBC", "x aBC"},
	{"inline i to group end", `s/(a(?i)b)c/x/g`, "aBc aBC", "x aBC"},
	{"caret flags reset", `s/(?^:a)/x/gi`, "aA", "xA"},
	{"x flag", "s/ a \\s+ b # comment\n /X/x", "a  b", "X"},
	{"x flag escaped blank", `s/a\ b/X/x`, "a b", "X"},
	{"x flag class keeps blanks", `s/[a b]/X/gx`, "a b", "XXX"},
	{"xx flag class drops blanks", `s/[a b]/X/gxx`, "a b", "X X"},
	{"comment group", `s/a(?#comment)b/X/`, "ab", "X"},
	// groups and replacement
	{"named group", `s/(?<word>\w+)/<$+{word}>/`, "hi there", "<hi> there"},
	{"named group quote form", `s/(?'w'\w+) (\w+)/$2 $1 $+{w}/`, "a b", "b a a"},
	{"unset group is empty", `s/(a)|b/[$1]/g`, "ab", "[a][]"},
	{"whole match", `s/\w+/<$&>/g`, "a b", "<a> <b>"},
	{"prematch and postmatch", "s/b/[$`|$']/", "abc", "a[a|c]c"},
	{"last paren", `s/(a)(b)?/$+/g`, "ab a", "b a"},
	{"braced group", `s/(a)/${1}0/`, "a", "a0"},
	{"backslash group", `s/(a)(b)/\2\1/`, "ab", "ba"},
	{"group 10", `s/(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)/$10$1/`, "abcdefghij", "ja"},
	{"escapes", `s/a/\t\x41\x{263A}\101\$\@\\\//`, "a", "\tA\u263aA$@\\/"},
	{"control escape", `s/a/\cA\e/`, "a", "\x01\x1b"},
	{"at sign literal", `s/@/ at /g`, "a@b", "a at b"},
	{"at sign in replacement", `s/x/user@example.com/`, "x", "user@example.com"},
	{"uppercase to E", `s/(\w+) (\w+)/\U$1\E $2/`, "ab cd", "AB cd"},
	{"ucfirst", `s/(\w+)/\u$1/g`, "hello world", "Hello World"},
	{"lcfirst inside U", `s/(.*)/\Ua\lBC/`, "x", "ABC"},
	{"quotemeta", `s/(.*)/\Q$1\E!/`, "a.b", `a\.b!`},
	{"L then U replaces", `s/(.*)/\L$1\U$1/`, "Ab", "abAB"},
	// escapes in patterns
	{"hex", `s/\x41/a/`, "A", "a"},
	{"hex braces", `s/\x{263A}/:)/`, "\u263a", ":)"},
	{"named char code point", `s/\N{U+263A}/:)/`, "\u263a", ":)"},
	{"octal over group count", `s/(a)\101/x/`, "aA", "x"},
	{"Q quoting", `s/\Q[Gmail]\E\///`, "[Gmail]/Sent", "Sent"},
	{"Q to the end", `s/\Qa.b/x/`, "a.b axb", "x axb"},
	{"Q with quantifier on last character", `s/\Qab\E+/x/`, "abbb", "x"},
	{"R linebreak", `s/\R/\n/g`, "a\r\nb\rc\nd", "a\nb\nc\nd"},
	{"N non-newline", `s/\N+/x/`, "ab\ncd", "x\ncd"},
	{"h horizontal space", `s/\h+/_/g`, "a \t b\nc", "a_b\nc"},
	{"v vertical space", `s/\v+/|/g`, "a\r\nb", "a|b"},
	{"s includes VT", `s/\s/_/g`, "a\vb", "a_b"},
	{"S class", `s/[\S]+/x/g`, "ab cd", "x x"},
	{"posix class", `s/[[:digit:]]+/#/g`, "a12b3", "a#b#"},
	{"negated posix class", `s/[[:^alpha:]]//g`, "a1-b", "ab"},
	{"class range and dash", `s/[a-c-]/x/g`, "a-d", "xxd"},
	{"false range is literal", `s/[a-\d]/x/g`, "a-5z", "xxxz"},
	{"class with bracket", `s/[]a]/x/g`, "]a", "xx"},
	{"class negated bracket", `s/[^]a]/x/g`, "]ab", "]ax"},
	{"dollar in class", `s/[$]/S/g`, "$a", "Sa"},
	{"unknown escape is the letter", `s/\y/x/`, "y", "x"},
	{"lazy", `s/a.*?b/X/`, "aXbYb", "XYb"},
	{"counted", `s/a{2,3}/X/g`, "aaaaaaa", "XXa"},
	{"big count", `s/a{1500}/X/`, strings.Repeat("a", 1501), "Xa"},
	{"big range", `s/^a{2,1500}$/X/`, strings.Repeat("a", 1500), "X"},
	{"big unbounded", `s/^a{1001,}$/X/`, strings.Repeat("a", 1000), strings.Repeat("a", 1000)},
	{"literal brace", `s/a{/x/`, "a{", "x"},
	{"literal brace at start", `s/{2}/x/`, "{2}", "x"},
	{"word boundary", `s/\bfoo\b/x/g`, "foo food foo", "x food x"},
	{"unicode property", `s/\p{Lu}/_/g`, "aBÉc", "a__c"},
	// delimiters
	{"braces", `s{a}{b}g`, "aa", "bb"},
	{"parens", `s(a)(b)`, "aa", "ba"},
	{"angles", `s<a><b>`, "a", "b"},
	{"hash", `s#a#b#g`, "aa", "bb"},
	{"gap between bracket parts", "s{a} # comment\n {b}", "a", "b"},
	{"mixed bracket delimiters", `s{a}/b/`, "a", "b"},
	{"space after s", `s {a}{b}`, "a", "b"},
	{"nested braces", `s{a{2}}{x}`, "aa", "x"},
	{"escaped slash", `s/a\/b/x\/y/`, "a/b", "x/y"},
	{"escaped comma", `s,a\,b,x\,y,`, "a,b", "x,y"},
	{"escaped bar is alternation", `s|a\|b|X|g`, "a|b", "X|X"},
	{"escaped brace kept in braces", `s{a\}}{x}`, "a}", "x"},
	{"single quotes no interpolation", `s'a'$1\n'`, "a", `$1\n`},
	{"single quotes dollar anchor", `s'a$'b'`, "a", "b"},
	{"trailing semicolon", `s/a/b/g;`, "aa", "bb"},
	{"surrounding blanks", `  s/a/b/  `, "a", "b"},
	// tr
	{"tr upper", `tr/a-z/A-Z/`, "hello", "HELLO"},
	{"y", `y/abc/xyz/`, "aabbcc", "xxyyzz"},
	{"tr braces", `tr{a-z}{A-Z}`, "ab", "AB"},
	{"tr short replacement", `tr/a-c/x/`, "abcd", "xxxd"},
	{"tr d", `tr/abc//d`, "aXbYc", "XY"},
	{"tr d short replacement", `tr/ab/x/d`, "abc", "xc"},
	{"tr cd", `tr/a-zA-Z//cd`, "a-b_c!", "abc"},
	{"tr c", `tr/a-zA-Z/_/c`, "a-b c", "a_b_c"},
	{"tr c long replacement", `tr/\x00-\x60/A-Z/c`, "abc", "ABC"},
	{"tr s", `tr/a-z//s`, "bookkeeper", "bokeper"},
	{"tr s with replacement", `tr/a-z/A-Z/s`, "aabbcc dd", "ABC D"},
	{"tr counting only", `tr/a-z//`, "abc", "abc"},
	{"tr escaped slash", `tr/\//./`, "a/b", "a.b"},
	{"tr escaped dash", `tr/a\-z/123/`, "a-zb", "123b"},
	{"tr dot is literal", `tr/./_/`, "a.b", "a_b"},
	{"tr trailing dash", `tr/a-/xy/`, "a-", "xy"},
	{"tr escapes", `tr/\t\n/ _/`, "a\tb\n", "a b_"},
	{"tr non-ASCII", `tr/éè/ee/`, "élève", "eleve"},
	{"tr first occurrence wins", `tr/aa/xy/`, "a", "x"},
}

// Perl semantics beyond the recipes.
func TestPerlSemantics(t *testing.T) {
	runSubst(t, semanticsCases)
}

type bytesCase struct{ name, expr, in, text, bytes string }

var bytesCases = []bytesCase{
	{"dot is a byte", `s/^.//`, "é", "", "\xa9"},
	{"uppercase ASCII only", `s/(.*)/\U$1/`, "éa", "ÉA", "éA"},
	{"hex is a byte", `s/\xe9/e/`, "caf\xe9 café", "caf\xe9 cafe", "cafe café"},
	{"high class", `s/[\x80-\xff]+/?/g`, "café", "caf?", "caf?"},
	{"high class on raw bytes", `s/[\x80-\xff]/?/g`, "caf\xe9!", "caf\xe9!", "caf?!"},
	{"ASCII pattern on 8-bit text", `s/\000/ /g`, "\xe9\x00\xe8", "\xe9 \xe8", "\xe9 \xe8"},
	{"tr bytes", `tr/\x80-\xff/?/`, "café", "caf?", "caf??"},
	{"quotemeta bytes", `s/(.*)/\Q$1/`, "é.", "é\\.", "\\\xc3\\\xa9\\."},
	{"groups after 8-bit text", `s/(\w+)$/<$1>/`, "é ab", "é <ab>", "é <ab>"},
	{"dot groups after 8-bit text", `s/ (.)(.)/<$2$1>/`, "é éa", "é<aé>", "é<\xa9\xc3>a"},
	{"literal non-ASCII", `s/é/e/g`, "café", "cafe", "cafe"},
	{"non-ASCII class", `s/[é]/e/g`, "é", "e", "ee"},
}

func TestBytesSemantics(t *testing.T) {
	for _, c := range bytesCases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSubst(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Apply(c.in); got != c.text {
				t.Errorf("Apply = %q, want %q", got, c.text)
			}
			if got := string(s.ApplyBytes([]byte(c.in))); got != c.bytes {
				t.Errorf("ApplyBytes = %q, want %q", got, c.bytes)
			}
		})
	}
}

type matchCase struct {
	name string
	kind string // "m": ParseMatch, "bare": ParseBare
	expr string
	in   string
	want bool
}

var matchCases = []matchCase{
	// --delete2foldersonly / --delete2foldersbutnot (manual)
	{"delete2foldersonly Junk", "m", `/^Junk$|^INBOX.Junk$/`, "Junk", true},
	{"delete2foldersonly INBOX.Junk", "m", `/^Junk$|^INBOX.Junk$/`, "INBOX.Junk", true},
	{"delete2foldersonly dot is any", "m", `/^Junk$|^INBOX.Junk$/`, "INBOX/Junk", true},
	{"delete2foldersonly Junk2", "m", `/^Junk$|^INBOX.Junk$/`, "Junk2", false},
	{"delete2foldersbutnot Tasks", "m", `/Tasks$|Contacts$|Foo$/`, "INBOX/Tasks", true},
	{"delete2foldersbutnot other", "m", `/Tasks$|Contacts$|Foo$/`, "Tasks/x", false},
	// --skipmess (manual, imapsync tests)
	{"skipmess everything", "m", `m{.*}ism`, "", true},
	{"skipmess m braces", "m", `m{^Subject: spam}mi`, "From: a\r\nsubject: SPAM\r\n", true},
	{"skipmess m slash", "m", `m/foo/`, "a foo", true},
	{"skipmess blank before delimiter", "m", `m {foo}`, "foo", true},
	{"skipmess 8 bits text", "m", `m/[\x80-\xff]/`, "café", true},
	{"skipmess 8 bits ASCII", "m", `m/[\x80-\xff]/`, "cafe", false},
	// --include / --exclude (manual, FAQ.Folders_Selection, presets)
	{"exclude alternatives", "bare", `fold1|fold2|f3`, "x/f3/y", true},
	{"exclude alternatives miss", "bare", `fold1|fold2|f3`, "fold", false},
	{"exclude public hierarchy", "bare", `^public\.`, "public.dreams", true},
	{"exclude public only hierarchy", "bare", `^public\.`, "public", false},
	{"exclude INBOX", "bare", `^INBOX$`, "INBOX", true},
	{"exclude INBOX not children", "bare", `^INBOX$`, "INBOX.a", false},
	{"exclude case-insensitive", "bare", `(?i)spam`, "Junk/SPAM", true},
	{"include recursive", "bare", `^MyFolder`, "MyFolder/Sub", true},
	{"gmail2 exclude", "bare", `\[Gmail\]$`, "[Gmail]", true},
	{"gmail2 exclude children", "bare", `\[Gmail\]$`, "[Gmail]/Sent Mail", false},
	{"office1 exclude", "bare", `^Files$`, "Files", true},
	{"bare slash is literal", "bare", `/Trash`, "a/Trash", true},
	{"bare dollar is an anchor", "bare", `a$b`, "a$b", false},
	{"bare at sign", "bare", `user@host`, "user@host", true},
	{"bare empty matches all", "bare", ``, "x", true},
	{"match falls back to bare", "m", `^Sent$`, "Sent", true},
	{"match falls back to bare word", "m", `mail`, "mail", true},
	// anchors
	{"dollar before final newline", "bare", `Sent$`, "Sent\n", true},
	{"caret m mid", "m", `/^a/m`, "x\na", true},
	{"caret m not after final newline", "m", `/^$/m`, "a\n", false},
	{"caret m empty line", "m", `/^$/m`, "a\n\nb", true},
	{"i flag", "m", `/foo/i`, "FOO", true},
	{"x flag", "m", "/ f o o # c\n/x", "foo", true},
	{"quote delimiter", "m", `m'a$b'`, "a$b", false},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		t.Run(c.name, func(t *testing.T) {
			parse := ParseMatch
			if c.kind == "bare" {
				parse = ParseBare
			}
			m, err := parse(c.expr)
			if err != nil {
				t.Fatalf("parse(%q): %v", c.expr, err)
			}
			if got := m.MatchString(c.in); got != c.want {
				t.Errorf("%s on %q = %v, want %v", c.expr, c.in, got, c.want)
			}
			if !strings.ContainsRune(c.in, 'é') {
				if got := m.Match([]byte(c.in)); got != c.want {
					t.Errorf("Match(bytes) %s on %q = %v, want %v", c.expr, c.in, got, c.want)
				}
			}
			if m.Regexp() == nil {
				t.Error("Regexp() is nil")
			}
		})
	}
	t.Run("skipmess 8 bits on raw bytes", func(t *testing.T) {
		m, err := ParseMatch(`m/[\x80-\xff]/`)
		if err != nil {
			t.Fatal(err)
		}
		for in, want := range map[string]bool{"caf\xe9": true, "café": true, "日本": true, "cafe": false} {
			if got := m.Match([]byte(in)); got != want {
				t.Errorf("Match(%q) = %v, want %v", in, got, want)
			}
		}
		if m.MatchString("日本") {
			t.Error("text semantics: 日本 has no character in U+0080..U+00FF")
		}
	})
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name      string
		parse     func(string) error
		expr      string
		construct string // UnsupportedError.Construct, or "" for a *SyntaxError
	}{
		{"look-behind", subst, `s/(?<=foo)bar/x/`, "(?<="},
		{"negative look-behind", subst, `s/(?<!foo)bar/x/`, "(?<!"},
		{"look-ahead", subst, `s/foo(?=bar)/x/`, "(?="},
		{"negative look-ahead", subst, `s/foo(?!bar)/x/`, "(?!"},
		{"alpha look-ahead", subst, `s/(*pla:a)/x/`, "(*pla:"},
		{"back-reference", subst, `s/(a)\1/x/`, `\1`},
		{"back-reference 10", subst, `s/(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10/x/`, `\10`},
		{"relative back-reference", subst, `s/(a)\g{-1}/x/`, `\g{-1}`},
		{"g back-reference", subst, `s/(a)\g1/x/`, `\g1`},
		{"named back-reference", subst, `s/(?<n>a)\k<n>/x/`, `\k<n>`},
		{"python back-reference", subst, `s/(?P<n>a)(?P=n)/x/`, `(?P=n)`},
		{"atomic group", subst, `s/(?>a+)b/x/`, "(?>"},
		{"possessive plus", subst, `s/a++/x/`, "++"},
		{"possessive star", subst, `s/a*+/x/`, "*+"},
		{"possessive count", subst, `s/a{2}+/x/`, "{2}+"},
		{"G anchor", subst, `s/\Gfoo/x/`, `\G`},
		{"K", subst, `s/foo\Kbar/x/`, `\K`},
		{"recursion R", subst, `s/a(?R)?b/x/`, "(?R)"},
		{"recursion number", subst, `s/(a(?1)?b)/x/`, "(?1)"},
		{"recursion name", subst, `s/(?<n>a(?&n)?)/x/`, "(?&n)"},
		{"conditional", subst, `s/(a)?(?(1)b|c)/x/`, "(?("},
		{"code", subst, `s/(?{ print 1 })/x/`, "(?{"},
		{"postponed code", subst, `s/(??{ 'a' })/x/`, "(??{"},
		{"branch reset", subst, `s/(?|(a)|(b))/x/`, "(?|"},
		{"verb", subst, `s/a(*FAIL)/x/`, "(*FAIL)"},
		{"grapheme", subst, `s/\X/x/`, `\X`},
		{"named character", subst, `s/\N{LATIN SMALL LETTER A}/x/`, `\N{LATIN SMALL LETTER A}`},
		{"unicode boundary", subst, `s/\b{wb}/x/`, `\b{wb}`},
		{"case modifier in pattern", subst, `s/\Ufoo/x/`, `\U`},
		{"e flag", subst, `s/a/"b"/e`, ""},
		{"ee flag", subst, `s/a/'"b"'/ee`, ""},
		{"r flag", subst, `s/a/b/r`, "/r"},
		{"n flag", subst, `s/(a)/b/n`, "/n"},
		{"inline n", subst, `s/(?n)(a)/b/`, "(?n"},
		{"variable in pattern", subst, `s/a$b/x/`, "$b"},
		{"braced variable in pattern", subst, `s/${x}/x/`, "${x}"},
		{"variable in replacement", subst, `s/a/$foo/`, "$foo"},
		{"braced variable in replacement", subst, `s,^INBOX$,${h2_prefix}FOO${h2_sep}INBOX,`, "${h2_prefix}"},
		{"program name", subst, `s/a/$0/`, "$0"},
		{"capture repeated above 1000", subst, `s/(a){2000}/x/`, "{2000}"},
		{"nested repeats above 1000", subst, `s/(?:a{1000}){65}/x/`, "{65}"},
		{"tr r flag", subst, `tr/a/b/r`, "/r"},
		{"match look-behind", match, `m/(?<=a)b/`, "(?<="},
		{"bare look-ahead", bare, `a(?=b)`, "(?="},
		{"collating element", bare, `[[=a=]]`, "[=a=]"},
		// syntax errors
		{"not an expression", subst, `I am BAD`, ""},
		{"unterminated", subst, `s/a/b`, ""},
		{"unterminated braces", subst, `s{a}{b`, ""},
		{"unknown modifier", subst, `s/a/b/z`, ""},
		{"junk after", subst, `s/a/b/g x`, ""},
		{"match is not a substitution", subst, `m/a/`, ""},
		{"missing paren", subst, `s/(a/x/`, ""},
		{"extra paren", subst, `s/a)/x/`, ""},
		{"unmatched bracket", subst, `s/[a/x/`, ""},
		{"bad range", subst, `s/a{2,1}/x/`, ""},
		{"nothing to repeat", subst, `s/*a/x/`, ""},
		{"repeat too big", subst, `s/a{70000}/x/`, ""},
		{"final dollar", subst, `s/a/b$/`, ""},
		{"tr reversed range", subst, `tr/z-a/x/`, ""},
		{"tr unknown modifier", subst, `tr/a/b/g`, ""},
		{"bad posix class", bare, `[[:foo:]]`, ""},
		{"bad property", bare, `\p{IsFoo}`, ""},
		{"match e flag", match, `m/a/e`, ""},
		{"match unterminated", match, `/abc`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.parse(c.expr)
			if err == nil {
				t.Fatalf("%s: no error", c.expr)
			}
			var ue *UnsupportedError
			var se *SyntaxError
			switch {
			case errors.As(err, &ue):
				if c.construct == "" && !strings.Contains(c.name, " flag") {
					t.Errorf("got UnsupportedError %v, want a SyntaxError", err)
				}
				if c.construct != "" && ue.Construct != c.construct {
					t.Errorf("construct %q, want %q (%v)", ue.Construct, c.construct, err)
				}
				if !strings.Contains(err.Error(), "write a Lua hook instead (see --script)") {
					t.Errorf("message lacks the Lua hint: %v", err)
				}
			case errors.As(err, &se):
				if c.construct != "" {
					t.Errorf("got SyntaxError %v, want UnsupportedError %q", err, c.construct)
				}
			default:
				t.Errorf("unexpected error type %T: %v", err, err)
			}
			if !strings.Contains(err.Error(), c.expr) {
				t.Errorf("message does not quote the expression: %v", err)
			}
		})
	}
}

func subst(e string) error { _, err := ParseSubst(e); return err }
func match(e string) error { _, err := ParseMatch(e); return err }
func bare(e string) error  { _, err := ParseBare(e); return err }

func TestErrorMessages(t *testing.T) {
	_, err := ParseSubst(`s/(?<=foo)bar/x/`)
	want := `--regexmess "s/(?<=foo)bar/x/": look-behind "(?<=" is not supported by imapshift's regex engine (RE2); write a Lua hook instead (see --script)`
	if got := WithOption(err, "--regexmess").Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	_, err = ParseSubst(`s/a/uc($&)/e`)
	want = `--regexflag "s/a/uc($&)/e": Perl code evaluation (/e) is not supported by imapshift (there is no Perl interpreter); write a Lua hook instead (see --script)`
	if got := WithOption(err, "--regexflag").Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	_, err = ParseSubst(`s/a/b`)
	want = `--regextrans2 "s/a/b": missing closing delimiter "/"`
	if got := WithOption(err, "--regextrans2").Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if err := WithOption(errors.New("x"), "--o"); err.Error() != "x" {
		t.Errorf("WithOption changed a foreign error: %v", err)
	}
}

func TestAccessors(t *testing.T) {
	s, err := ParseSubst(`s/a/b/`)
	if err != nil {
		t.Fatal(err)
	}
	if s.String() != `s/a/b/` || s.Regexp() == nil {
		t.Error("String/Regexp")
	}
	tr, err := ParseSubst(`tr/a/b/`)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Regexp() != nil {
		t.Error("tr/// has a Regexp")
	}
	m, err := ParseMatch(`/x/`)
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != `/x/` {
		t.Error("Match.String")
	}
	in := []byte("aaa")
	if out := s.ApplyBytes(in); string(out) != "baa" || string(in) != "aaa" {
		t.Errorf("ApplyBytes = %q, input now %q", out, in)
	}
}
