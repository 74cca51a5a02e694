package plugins

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/perlre"
)

// flagChain runs the flag hooks as the engine chains them:
// filterbuggyflags (when buggy) first, then regexflag with rules.
func flagChain(t *testing.T, buggy bool, rules []string, in string) []string {
	t.Helper()
	var c hooks.Chain
	if buggy {
		c.Flags = append(c.Flags, hooks.Named[hooks.FlagFilter]{Name: "filterbuggyflags", Hook: flagger(t, "filterbuggyflags")})
	}
	if len(rules) > 0 {
		c.Flags = append(c.Flags, hooks.Named[hooks.FlagFilter]{Name: "regexflag", Hook: flagger(t, "regexflag", rules...)})
	}
	out, err := c.FilterFlags(rawMsg(""), strings.Fields(in))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFlagVectors runs the --regexflag cases of imapsync's flag tests.
// imapsync's expected outputs are strings, some
// with double or trailing spaces left by the removed flags (str column);
// once split into flags those spaces disappear, so the hooks are checked
// against the split list, and the rules themselves against the exact
// string.
func TestFlagVectors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		buggy bool
		rules []string
		in    string
		str   string // imapsync's string; "" when no rule runs
		want  []string
	}{
		{"none", false, nil, `\Seen NonJunk $Spam`, "", []string{`\Seen`, `NonJunk`, `$Spam`}},
		{"remove NonJunk", false, []string{`s/NonJunk//g`}, `\Seen NonJunk $Spam`, `\Seen  $Spam`, []string{`\Seen`, `$Spam`}},
		{"remove $Spam", false, []string{`s/\$Spam//g`}, `\Seen NonJunk $Spam`, `\Seen NonJunk `, []string{`\Seen`, `NonJunk`}},
		{"remove \\Seen", false, []string{`s/\\Seen//g`}, `\Seen NonJunk $Spam`, ` NonJunk $Spam`, []string{`NonJunk`, `$Spam`}},
		{"keep only \\word flags", false, []string{`s/(\s|^)[^\\]\S*//g`},
			`\Seen NonJunk \Middle $Spam \End`, `\Seen \Middle \End`, []string{`\Seen`, `\Middle`, `\End`}},
		{"keep only Keep1/2/3, two chained rules", false, []string{`s/(.*)/$1 /`, `s/(Keep\d )|\S+ /$1/g`},
			`REM Keep1 REM Keep2 REM REM Keep3 REM`, `Keep1 Keep2 Keep3 `, []string{`Keep1`, `Keep2`, `Keep3`}},
		// imapsync writes this one with /e, which imapshift refuses (see
		// TestRegexRulesRefused); the same result without Perl code:
		{"exchange: keep system flags only", false, []string{`s/(\\(?:Answered|Flagged|Deleted|Seen|Draft)\s*)|\S+\s*/$1/g`},
			`Blabla \$Junk \Deleted machin \Answered truc`, `\Deleted \Answered `, []string{`\Deleted`, `\Answered`}},
		{"remove \\Flagged (exchange2 preset)", false, []string{`s/\\Flagged//g`},
			`\Deleted \Flagged \Answered \Draft`, `\Deleted  \Answered \Draft`, []string{`\Deleted`, `\Answered`, `\Draft`}},
		{"filterbuggyflags", true, nil,
			`\Deleted \Answered \RECEIPTCHECKED \Draft \Indexed \Flagged \JUNK \Junk`, "",
			[]string{`\Deleted`, `\Answered`, `\Draft`, `\Flagged`}},
		{"filterbuggyflags, then regexflag", true, []string{`s/\\Flagged//g`},
			`\Flagged \Junk \Seen`, "", []string{`\Seen`}},
		{"a rule leaving nothing", false, []string{`s/.*//`}, `\Seen \Answered`, ``, []string{}},
		{"no flags", false, []string{`s/\\Seen//g`}, ``, ``, nil},
		{"adding a flag", false, []string{`s/^/\\Seen /`}, `$Label1`, `\Seen $Label1`, []string{`\Seen`, `$Label1`}},
		{"tr", false, []string{`tr/a-z/A-Z/`}, `\Seen x`, `\SEEN X`, []string{`\SEEN`, `X`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := flagChain(t, tt.buggy, tt.rules, tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("flags = %q, want %q", got, tt.want)
			}
			if tt.buggy || len(tt.rules) == 0 {
				return
			}
			s := tt.in
			for _, r := range tt.rules {
				sub, err := perlre.ParseSubst(r)
				if err != nil {
					t.Fatal(err)
				}
				s = sub.Apply(s)
			}
			if s != tt.str {
				t.Errorf("rules give %q, imapsync gives %q", s, tt.str)
			}
		})
	}
}

// Untouched flags come back as the same slice.
func TestRegexflagNoMatch(t *testing.T) {
	in := []string{`\Seen`, `$Spam`}
	got, err := flagger(t, "regexflag", `s/NonJunk//g`).Flags(nil, in)
	if err != nil || &got[0] != &in[0] {
		t.Errorf("Flags = %q, %v; want the input slice", got, err)
	}
}

// Bad rules are usage errors, found when the hook is built (imapsync
// checks them once at start-up, exit 64).
func TestRegexRulesRefused(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
	}{
		{"regexflag", []string{"I am BAD"}},
		{"regexflag", []string{`s/\\Seen//g`, "I am BAD"}},
		{"regexflag", nil},
		{"regexmess", []string{"s/(unclosed/x/"}},
		{"regexmess", []string{""}},
		{"skipmess", []string{"(unclosed"}},
		{"skipmess", nil},
	} {
		if _, err := Build(tt.name, tt.values); err == nil {
			t.Errorf("Build(%q, %q) accepted", tt.name, tt.values)
		}
	}
	// Perl code cannot run: the error says so and names the option.
	_, err := Build("regexflag", []string{`s/(\S+)/lc($1)/ge`})
	var ue *perlre.UnsupportedError
	if !errors.As(err, &ue) || ue.Option != "--regexflag" {
		t.Errorf("/e rule: err = %v, want an *perlre.UnsupportedError for --regexflag", err)
	}
}

const (
	crlfMsg = "From: a@b\r\nSubject: hello\r\nDisposition-Notification-To: a@b\r\n\r\nline one\r\nline two\r\n"
	lfMsg   = "From: a@b\nSubject: hello\nDisposition-Notification-To: a@b\n\nline one\nline two\n"
	nulMsg  = "From: a@b\r\nSubject: hello\r\n\r\nbin\x00ary\x00\r\n"
)

func TestRegexmess(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rules []string
		in    string
		want  string // "" when the message must be left alone
	}{
		{"crlf", []string{`s/Subject: hello/Subject: bye/`}, crlfMsg, strings.Replace(crlfMsg, "hello", "bye", 1)},
		{"lf only", []string{`s/Subject: hello/Subject: bye/`}, lfMsg, strings.Replace(lfMsg, "hello", "bye", 1)},
		{"nul bytes kept", []string{`s/bin/BIN/`}, nulMsg, strings.Replace(nulMsg, "bin", "BIN", 1)},
		{"nul bytes replaced", []string{`s/\x00/?/g`}, nulMsg, strings.ReplaceAll(nulMsg, "\x00", "?")},
		{"rules run in order", []string{`s/line one/line 1/`, `s/line 1/line I/`}, crlfMsg, strings.Replace(crlfMsg, "line one", "line I", 1)},
		{"multi-line anchors", []string{`s/^line/LINE/mg`}, lfMsg, strings.ReplaceAll(lfMsg, "\nline", "\nLINE")},
		{"drop a header field", []string{`s/^Subject:.*\r\n//m`}, crlfMsg, strings.Replace(crlfMsg, "Subject: hello\r\n", "", 1)},
		{"tr", []string{`tr/o/0/`}, lfMsg, strings.ReplaceAll(lfMsg, "o", "0")},
		{"no match", []string{`s/nowhere/x/g`}, crlfMsg, ""},
		{"no change", []string{`s/hello/hello/`}, nulMsg, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := rewrite(t, rewriter(t, "regexmess", tt.rules...), tt.in)
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got != want || changed != (tt.want != "") {
				t.Errorf("got %q (changed %v), want %q (changed %v)", got, changed, want, tt.want != "")
			}
		})
	}
}

// The office2/exchange2 preset rule wraps long lines so that none is
// longer than 10 239 bytes plus CRLF, 8-bit text included.
func TestRegexmessWrap(t *testing.T) {
	r := rewriter(t, "regexmess", `s,(.{10239}),$1\r\n,g`)
	for _, body := range []string{
		strings.Repeat("x", 25000),
		strings.Repeat("x\x00", 12000),
		strings.Repeat("é", 12000), // bytes, not characters, are counted
	} {
		in := "Subject: long\r\n\r\n" + body + "\r\n"
		got, changed := rewrite(t, r, in)
		if !changed {
			t.Fatal("not wrapped")
		}
		if n := MaxLineLength([]byte(got)); n != 10241 {
			t.Errorf("longest line after wrapping: %d bytes, want 10241", n)
		}
		if strings.ReplaceAll(got, "\r\n", "") != strings.ReplaceAll(in, "\r\n", "") {
			t.Error("wrapping lost or added bytes")
		}
	}
}

func TestSkipmess(t *testing.T) {
	for _, tt := range []struct {
		rules []string
		in    string
		skip  bool
	}{
		{[]string{`Subject: hello`}, crlfMsg, true},
		{[]string{`/Subject: hello/`}, lfMsg, true},
		{[]string{`m{^subject: HELLO}mi`}, crlfMsg, true},
		{[]string{`m{^subject: HELLO}m`}, crlfMsg, false},
		{[]string{`/\x00/`}, nulMsg, true},
		{[]string{`/\x00/`}, crlfMsg, false},
		{[]string{`/nowhere/`, `/line two/`}, lfMsg, true}, // any rule skips
		{[]string{`/nowhere/`, `/elsewhere/`}, lfMsg, false},
		{[]string{`/\A\z/`}, "", true},
	} {
		loads := 0
		m := lazyMsg("", tt.in, &loads)
		reason, err := skipper(t, "skipmess", tt.rules...).Skip(m)
		if err != nil {
			t.Fatal(err)
		}
		if (reason != "") != tt.skip {
			t.Errorf("skipmess %q on %q: reason %q, want skip %v", tt.rules, tt.in, reason, tt.skip)
		}
		if tt.skip && !strings.Contains(reason, "skipmess") {
			t.Errorf("reason %q does not name skipmess", reason)
		}
	}
}

// rewriteChain builds the rewrite hooks in imapsync's order (addheader is
// the engine's).
func rewriteChain(t *testing.T, regexmess []string, disarm bool, pipemess []string, truncmess string) *hooks.Chain {
	t.Helper()
	var c hooks.Chain
	add := func(name string, values ...string) {
		c.Rewrites = append(c.Rewrites, hooks.Named[hooks.MessageRewriter]{Name: name, Hook: rewriter(t, name, values...)})
	}
	if regexmess != nil {
		add("regexmess", regexmess...)
	}
	if disarm {
		add("disarmreadreceipts")
	}
	if pipemess != nil {
		add("pipemess", pipemess...)
	}
	if truncmess != "" {
		add("truncmess", truncmess)
	}
	return &c
}

// With every transform configured but none applying, the message comes
// out byte-identical, as the same bytes, and unchanged.
func TestNoTransformByteIdentical(t *testing.T) {
	c := rewriteChain(t, []string{`s/nowhere/x/g`, `tr/\x01/\x02/`}, true, []string{"cat", "cat"}, "1000000")
	for _, in := range []string{nulMsg, strings.ReplaceAll(nulMsg, "\r\n", "\n"), "", "no header at all"} {
		raw := []byte(in)
		m := hooks.NewMessage(nil, raw, nil)
		if in == "" {
			// pipemess fails on an empty message: nothing comes out of cat.
			if _, err := c.Rewrite(m); err == nil {
				t.Error("pipemess accepted an empty output")
			}
			continue
		}
		changedBy, err := c.Rewrite(m)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := m.Raw()
		if len(changedBy) != 0 || m.Changed() || string(out) != in || &out[0] != &raw[0] {
			t.Errorf("%q: changed by %q (Changed %v), got %q", in, changedBy, m.Changed(), out)
		}
	}
}

// The whole transform chain on CRLF, LF-only and NUL messages.
func TestRewriteChain(t *testing.T) {
	c := rewriteChain(t, []string{`s/hello/hi/`}, true, []string{"sed s/line/LINE/", "tr a-z A-Z"}, "80")
	for _, tt := range []struct{ in, want string }{
		{crlfMsg, "FROM: A@B\r\nSUBJECT: HI\r\nX-DISPOSITION-NOTIFICATION-TO: A@B\r\n\r\nLINE ONE\r\nLINE TWO"}, // 80 bytes: the final CRLF cut
		{lfMsg, "FROM: A@B\nSUBJECT: HI\nX-DISPOSITION-NOTIFICATION-TO: A@B\n\nLINE ONE\nLINE TWO\n"},
		{nulMsg, "FROM: A@B\r\nSUBJECT: HI\r\n\r\nBIN\x00ARY\x00\r\n"},
	} {
		m := rawMsg(tt.in)
		changedBy, err := c.Rewrite(m)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := m.Raw()
		if string(out) != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, out, tt.want)
		}
		want := []string{"regexmess", "disarmreadreceipts", "pipemess", "truncmess"}
		if tt.in == lfMsg {
			want = []string{"regexmess", "disarmreadreceipts", "pipemess"}
		} else if tt.in == nulMsg {
			want = []string{"regexmess", "pipemess"}
		}
		if !slices.Equal(changedBy, want) {
			t.Errorf("%q: changed by %q, want %q", tt.in, changedBy, want)
		}
	}
	// A failing pipemess stops the chain with an error naming the hook.
	c = rewriteChain(t, []string{`s/hello/hi/`}, false, []string{"cat", "exit 1"}, "")
	if _, err := c.Rewrite(rawMsg(crlfMsg)); err == nil || !strings.HasPrefix(err.Error(), "pipemess: command 2") {
		t.Errorf("err = %v", err)
	}
}

func TestRegexTrans2(t *testing.T) {
	for _, tc := range []struct {
		rules      []string
		in, target string
	}{
		{[]string{`s,/,X,g`}, "spam.spam", "spam.spam"},
		{[]string{`s,/,X,g`}, "spam/spam.spam", "spamXspam.spam"},
		{[]string{`s, ,_,g`}, "bla bla", "bla_bla"},
		{[]string{`s/(.*)/\U$1/`}, "blabla", "BLABLA"},
		{[]string{`s,\[Gmail\].,,`, `s/^Sent Mail$/Sent/`}, "[Gmail]/Sent Mail", "Sent"},
	} {
		h, err := Build("regextrans2", tc.rules)
		if err != nil {
			t.Fatal(err)
		}
		r, err := h.(hooks.FolderMapper).MapFolder(hooks.Folder{Name: tc.in, Target: tc.in})
		if err != nil || r.Target != tc.target {
			t.Errorf("%v on %q: got %q, %v; want %q", tc.rules, tc.in, r.Target, err, tc.target)
		}
	}
	if _, err := Build("regextrans2", []string{`s/(?<=a)b/c/`}); err == nil || !strings.Contains(err.Error(), "Lua") {
		t.Errorf("look-behind not refused with a Lua hint: %v", err)
	}
}
