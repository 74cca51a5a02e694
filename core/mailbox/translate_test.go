package mailbox

import (
	"errors"
	"strings"
	"testing"
)

// tr turns a plain string function into a RegexTrans2 rule.
func tr(f func(string) string) Transform {
	return func(s string) (string, error) { return f(s), nil }
}

// replaceAll is the Go form of the Perl rule s,old,new,g.
func replaceAll(old, new string) Transform {
	return tr(func(s string) string { return strings.ReplaceAll(s, old, new) })
}

// TestTranslate runs the translation pipeline (docs/folder-names.md) over
// the cases imapsync's own folder-name tests check: separator swaps with and
// without fixslash2, prefixes, --f1f2, --regextrans2 and both subfolder
// options.
func TestTranslate(t *testing.T) {
	slashDot := func(fix bool) Translator { return Translator{Sep1: "/", Sep2: ".", FixSlash2: fix} }
	dotSlash := func(fix bool) Translator { return Translator{Sep1: ".", Sep2: "/", FixSlash2: fix} }
	with := func(base Translator, f func(*Translator)) Translator { f(&base); return base }
	pf12 := Translator{Prefix1: "Pf1.", Prefix2: "Pf2/", Sep1: ".", Sep2: "/", FixSlash2: true}
	pf12Sub1 := func(s string) Translator { return with(pf12, func(t *Translator) { t.Subfolder1 = s }) }
	slashSlashSub1 := func(s string) Translator {
		return Translator{Sep1: "/", Sep2: "/", FixSlash2: true, Subfolder1: s}
	}
	sub2Plain := Translator{Sep1: "/", Sep2: ".", FixSlash2: true, Subfolder2: "S1.S2"}
	sub2Pf := Translator{Prefix1: "Pf1/", Prefix2: "Pf2.", Sep1: "/", Sep2: ".", FixSlash2: true, Subfolder2: "Pf2.S1.S2"}

	for _, tc := range []struct {
		name     string
		t        Translator
		in, want string
		rule     string
	}{
		// p1 "" p2 "" s1 / s2 . fixslash2 off
		{"empty is INBOX", slashDot(false), "", "INBOX", RuleTranslate},
		{"blabla", slashDot(false), "blabla", "blabla", RuleTranslate},
		{"spam/spam", slashDot(false), "spam/spam", "spam.spam", RuleTranslate},
		{"spam.spam", slashDot(false), "spam.spam", "spam/spam", RuleTranslate},
		{"spam/spam.spam", slashDot(false), "spam/spam.spam", "spam.spam/spam", RuleTranslate},
		{"blanks kept", slashDot(false), "s pam/spam.sp  am", "s pam.spam/sp  am", RuleTranslate},
		{"f1f2 auto=moto", with(slashDot(false), func(t *Translator) { t.F1F2 = map[string]string{"auto": "moto"} }),
			"auto", "moto", RuleF1F2},
		{"f1f2 auto/auto=moto x 2", with(slashDot(false), func(t *Translator) { t.F1F2 = map[string]string{"auto/auto": "moto x 2"} }),
			"auto/auto", "moto x 2", RuleF1F2},
		{"regextrans2 s,/,X,g on spam.spam", with(slashDot(false), func(t *Translator) { t.RegexTrans2 = []Transform{replaceAll("/", "X")} }),
			"spam.spam", "spamXspam", RuleTranslate},
		{"regextrans2 s,/,X,g on spam/spam.spam", with(slashDot(false), func(t *Translator) { t.RegexTrans2 = []Transform{replaceAll("/", "X")} }),
			"spam/spam.spam", "spam.spamXspam", RuleTranslate},
		{"regextrans2 s, ,_,g", with(slashDot(false), func(t *Translator) { t.RegexTrans2 = []Transform{replaceAll(" ", "_")} }),
			"bla bla", "bla_bla", RuleTranslate},
		{"regextrans2 uppercase", with(slashDot(false), func(t *Translator) { t.RegexTrans2 = []Transform{tr(strings.ToUpper)} }),
			"blabla", "BLABLA", RuleTranslate},
		// fixslash2 on
		{"fixslash2 spam.spam", slashDot(true), "spam.spam", "spam_spam", RuleTranslate},
		{"fixslash2 spam/spam.spam", slashDot(true), "spam/spam.spam", "spam.spam_spam", RuleTranslate},
		{"fixslash2 blanks kept", slashDot(true), "s pam/spam.spa  m", "s pam.spam_spa  m", RuleTranslate},
		{"dot to slash fixslash2 spam/spam", dotSlash(true), "spam/spam", "spam.spam", RuleTranslate},
		{"dot to slash fixslash2 spam.spam", dotSlash(true), "spam.spam", "spam/spam", RuleTranslate},
		{"prefix1 blank", with(dotSlash(false), func(t *Translator) { t.Prefix1 = " " }),
			" spam/spam.spam", "spam.spam/spam", RuleTranslate},
		{"INBOX. prefix uppercase", Translator{Prefix1: "INBOX.", Sep1: ".", Sep2: "/", FixSlash2: true, RegexTrans2: []Transform{tr(strings.ToUpper)}},
			"INBOX.TEST.test.Test.tesT", "TEST/TEST/TEST/TEST", RuleTranslate},
		{"INBOX. prefix lowercase", Translator{Prefix1: "INBOX.", Sep1: ".", Sep2: "/", FixSlash2: true, RegexTrans2: []Transform{tr(strings.ToLower)}},
			"INBOX.TEST.test.Test.tesT", "test/test/test/test", RuleTranslate},
		// Pf1. Pf2/ . /
		{"prefixes F1.F2.F3", pf12, "F1.F2.F3", "Pf2/F1/F2/F3", RuleTranslate},
		{"prefixes F1.INBOX", pf12, "F1.INBOX", "Pf2/F1/INBOX", RuleTranslate},
		{"prefixes INBOX", pf12, "INBOX", "INBOX", RuleTranslate},
		{"prefixes Pf1.F1.F2.F3", pf12, "Pf1.F1.F2.F3", "Pf2/F1/F2/F3", RuleTranslate},
		{"prefixes Pf1.INBOX", pf12, "Pf1.INBOX", "INBOX", RuleTranslate},
		// subfolder2
		{"subfolder2 S1.S2 F1/F2/F3", sub2Plain, "F1/F2/F3", "S1.S2.F1.F2.F3", RuleTranslate},
		{"subfolder2 S1.S2 INBOX", sub2Plain, "INBOX", "S1.S2.INBOX", RuleTranslate},
		{"subfolder2 Pf2.S1.S2 F1/F2/F3", sub2Pf, "F1/F2/F3", "Pf2.S1.S2.F1.F2.F3", RuleTranslate},
		{"subfolder2 Pf2.S1.S2 Pf1/F1/F2/F3", sub2Pf, "Pf1/F1/F2/F3", "Pf2.S1.S2.F1.F2.F3", RuleTranslate},
		{"subfolder2 Pf2.S1.S2 INBOX", sub2Pf, "INBOX", "Pf2.S1.S2.INBOX", RuleTranslate},
		{"subfolder2 Pf2.S1.S2 Pf1/INBOX", sub2Pf, "Pf1/INBOX", "Pf2.S1.S2.INBOX", RuleTranslate},
		// subfolder1 with prefixes
		{"subfolder1 S1.S2 S1.S2.F1.F2.F3", pf12Sub1("S1.S2"), "S1.S2.F1.F2.F3", "Pf2/F1/F2/F3", RuleTranslate},
		{"subfolder1 S1.S2 Pf1.S1.S2.F1.F2.F3", pf12Sub1("S1.S2"), "Pf1.S1.S2.F1.F2.F3", "Pf2/F1/F2/F3", RuleTranslate},
		{"subfolder1 S1.S2. S1.S2.F1.F2.F3", pf12Sub1("S1.S2."), "S1.S2.F1.F2.F3", "Pf2/F1/F2/F3", RuleTranslate},
		{"subfolder1 S1.S2. Pf1.S1.S2.F1.F2.F3", pf12Sub1("S1.S2."), "Pf1.S1.S2.F1.F2.F3", "Pf2/F1/F2/F3", RuleTranslate},
		{"subfolder1 S1.S2 S1.S2.INBOX", pf12Sub1("S1.S2"), "S1.S2.INBOX", "INBOX", RuleTranslate},
		{"subfolder1 S1.S2 S1.S2", pf12Sub1("S1.S2"), "S1.S2", "INBOX", RuleTranslate},
		{"subfolder1 S1.S2 S1.S2.", pf12Sub1("S1.S2"), "S1.S2.", "INBOX", RuleTranslate},
		{"subfolder1 S1.S2 Pf1.S1.S2", pf12Sub1("S1.S2"), "Pf1.S1.S2", "INBOX", RuleTranslate},
		{"subfolder1 S1.S2 Pf1.S1.S2.INBOX", pf12Sub1("S1.S2"), "Pf1.S1.S2.INBOX", "INBOX", RuleTranslate},
		{"subfolder1 S1.S2 Pf1.S1.S2.", pf12Sub1("S1.S2"), "Pf1.S1.S2.", "INBOX", RuleTranslate},
		// subfolder1, same separator, no prefixes
		{"subfolder1 S1/S2 S1/S2/F1/F2/F3", slashSlashSub1("S1/S2"), "S1/S2/F1/F2/F3", "F1/F2/F3", RuleTranslate},
		{"subfolder1 S1/S2/ S1/S2/F1/F2/F3", slashSlashSub1("S1/S2/"), "S1/S2/F1/F2/F3", "F1/F2/F3", RuleTranslate},
		{"subfolder1 S1/S2 S1/S2/INBOX", slashSlashSub1("S1/S2"), "S1/S2/INBOX", "INBOX", RuleTranslate},
		{"subfolder1 S1/S2 S1/S2", slashSlashSub1("S1/S2"), "S1/S2", "INBOX", RuleTranslate},
		{"subfolder1 S1/S2 S1/S2/", slashSlashSub1("S1/S2"), "S1/S2/", "INBOX", RuleTranslate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rule, err := tc.t.Translate(tc.in)
			if err != nil || got != tc.want || rule != tc.rule {
				t.Errorf("Translate(%q) = %q, %q, %v; want %q, %q", tc.in, got, rule, err, tc.want, tc.rule)
			}
		})
	}
}

func TestTranslatePrecedence(t *testing.T) {
	base := Translator{
		Sep1: "/", Sep2: ".", Prefix2: "INBOX.", FixSlash2: true,
		F1F2:        map[string]string{"Sent": "F1F2Sent", "Empty": ""},
		Automap:     map[string]string{"Sent": "AutoSent", "Trash": "INBOX.Deleted Items"},
		Subfolder2:  "Migrated",
		RegexTrans2: []Transform{tr(strings.ToUpper)},
	}
	for _, tc := range []struct {
		name, in, want, rule string
	}{
		{"f1f2 beats automap", "Sent", "F1F2Sent", RuleF1F2},
		{"automap beats subfolder2 and regextrans2", "Trash", "INBOX.Deleted Items", RuleAutomap},
		{"empty f1f2 target is ignored", "Empty", "INBOX.MIGRATED.EMPTY", RuleTranslate},
		{"pipeline then subfolder2 then regextrans2", "a/b.c", "INBOX.MIGRATED.A.B_C", RuleTranslate},
		{"INBOX goes under subfolder2", "INBOX", "INBOX.MIGRATED.INBOX", RuleTranslate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rule, err := base.Translate(tc.in)
			if err != nil || got != tc.want || rule != tc.rule {
				t.Errorf("Translate(%q) = %q, %q, %v; want %q, %q", tc.in, got, rule, err, tc.want, tc.rule)
			}
		})
	}
}

func TestTranslateRegexTrans2Error(t *testing.T) {
	boom := errors.New("boom")
	tt := Translator{Sep1: "/", Sep2: "/", RegexTrans2: []Transform{
		tr(strings.ToUpper),
		func(string) (string, error) { return "", boom },
	}}
	got, rule, err := tt.Translate("a")
	if !errors.Is(err, boom) || got != "" || rule != RuleTranslate {
		t.Fatalf("Translate = %q, %q, %v; want error wrapping boom", got, rule, err)
	}
	if !strings.Contains(err.Error(), "rule 2") || !strings.Contains(err.Error(), `"A"`) {
		t.Errorf("error %q should name the rule number and the name it got", err)
	}
}

// TestTranslateInboxFix checks that the Inbox/INBOX fix runs after the user
// rules and only on the exact name.
func TestTranslateInboxFix(t *testing.T) {
	fix := InboxCaseFix([]string{"INBOX", "Sent"}, []string{"Inbox", "Sent"})
	tt := Translator{Sep1: "/", Sep2: ".", Prefix2: "INBOX.", InboxFix: fix}
	for _, tc := range []struct{ name, in, want string }{
		{"INBOX to Inbox", "INBOX", "Inbox"},
		{"other folders untouched", "Sent", "INBOX.Sent"},
		{"sub of INBOX untouched", "INBOX/x", "INBOX.INBOX.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _, _ := tt.Translate(tc.in); got != tc.want {
				t.Errorf("Translate(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	t.Run("after user rules", func(t *testing.T) {
		u := tt
		u.RegexTrans2 = []Transform{tr(func(s string) string {
			if s == "INBOX.Posteingang" {
				return "INBOX"
			}
			return s
		})}
		if got, _, _ := u.Translate("Posteingang"); got != "Inbox" {
			t.Errorf("Translate = %q, want Inbox", got)
		}
	})
}

// TestPrefixSeparatorInvert: prefix1 is stripped, separators swapped and
// prefix2 added, except to INBOX.
func TestPrefixSeparatorInvert(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "QQQ"},
		{"lalala", "QQQlalala"},
		{"PPPPlalala", "QQQPlalala"},
		{"PPP", "QQQ"},
		{"sss", "QQQttt"},
		{"PPPsAAAsBBB", "QQQtAAAtBBB"},
	} {
		t.Run("prefix PPP to QQQ, separator s to t: "+tc.in, func(t *testing.T) {
			if got := PrefixSeparatorInvert(tc.in, "PPP", "QQQ", "s", "t", false); got != tc.want {
				t.Errorf("PrefixSeparatorInvert(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	t.Run("INBOX any case gets no prefix2", func(t *testing.T) {
		for _, in := range []string{"INBOX", "Inbox", "PPPinbox"} {
			if got := PrefixSeparatorInvert(in, "PPP", "QQQ", "s", "t", false); !IsInbox(got) {
				t.Errorf("PrefixSeparatorInvert(%q) = %q, want INBOX unprefixed", in, got)
			}
		}
	})
}

// TestSeparatorInvert: sep1 and sep2 trade places; fixslash2 turns a / left
// over into _ when sep1 is /.
func TestSeparatorInvert(t *testing.T) {
	for _, tc := range []struct {
		name, in, sep1, sep2 string
		fix                  bool
		want                 string
	}{
		{"dot to slash", "la/l.ala", ".", "/", false, "la.l/ala"},
		{"slash to dot with fixslash2", "l.al/ala", "/", ".", true, "l_al.ala"},
		{"same separators", "a/b.c", "/", "/", true, "a/b.c"},
		{"empty sep2", "a/b", "/", "", true, "a/b"},
		{"fixslash2 not for dot sep1", "a/b.c", ".", `\`, true, `a/b\c`},
		{"backslash", `a\b.c`, `\`, ".", true, `a.b\c`},
		{"NUL in name survives", "a\x00b/c.d", "/", ".", false, "a\x00b.c/d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SeparatorInvert(tc.in, tc.sep1, tc.sep2, tc.fix); got != tc.want {
				t.Errorf("SeparatorInvert(%q, %q, %q, %v) = %q, want %q", tc.in, tc.sep1, tc.sep2, tc.fix, got, tc.want)
			}
		})
	}
}

// TestInboxCaseFix: a rule only when one side says INBOX and the other Inbox.
func TestInboxCaseFix(t *testing.T) {
	for _, tc := range []struct {
		name       string
		h1, h2     []string
		want       InboxFix
		wantString string
	}{
		{"INBOX INBOX", []string{"INBOX"}, []string{"INBOX"}, InboxFix{}, ""},
		{"Inbox Inbox", []string{"Inbox"}, []string{"Inbox"}, InboxFix{}, ""},
		{"INBOX Inbox", []string{"INBOX"}, []string{"Inbox"}, InboxFix{"INBOX", "Inbox"}, "s/^INBOX$/Inbox/x"},
		{"Inbox INBOX", []string{"Inbox"}, []string{"INBOX"}, InboxFix{"Inbox", "INBOX"}, "s/^Inbox$/INBOX/x"},
		{"otherwise none", []string{"A"}, []string{"B"}, InboxFix{}, ""},
		{"otherwise none lowercase", []string{"inbox"}, []string{"Inbox"}, InboxFix{}, ""},
		{"otherwise none empty", nil, nil, InboxFix{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := InboxCaseFix(tc.h1, tc.h2)
			if got != tc.want || got.String() != tc.wantString {
				t.Errorf("InboxCaseFix = %+v (%q), want %+v (%q)", got, got.String(), tc.want, tc.wantString)
			}
		})
	}
}

// TestSanitizeSubfolder: edge blanks go, and only [-_a-zA-Z0-9./ ] stays.
func TestSanitizeSubfolder(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty is none", "", ""},
		{"blank is none", " ", ""},
		{"edge blanks", " ab cd ", "ab cd"},
		{"forbidden chars", `a&~b#\c[]=d;`, "abcd"},
		{"allowed unchanged", "aA.b-_ 8c/dD", "aA.b-_ 8c/dD"},
		{"nothing valid is none", "[]", ""},
		{"blank exposed by filtering", "# a#", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SanitizeSubfolder(tc.in); got != tc.want {
				t.Errorf("SanitizeSubfolder(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSubfolder2Rules(t *testing.T) {
	if r := Subfolder2Rules(" [] ", "INBOX.", "."); r != nil {
		t.Errorf("sanitized-empty subfolder2 gave %d rules, want none", len(r))
	}
	rules := Subfolder2Rules("INBOX.Old", "INBOX.", ".")
	if len(rules) != 3 {
		t.Fatalf("got %d rules, want 3", len(rules))
	}
	apply := func(s string) string {
		for _, f := range rules {
			s, _ = f(s)
		}
		return s
	}
	for _, tc := range []struct{ in, want string }{
		{"INBOX.Sent", "INBOX.Old.Sent"},
		{"INBOX", "INBOX.Old.INBOX"},
		{"Inbox", "Inbox"}, // rule 2 is case-sensitive, as in imapsync
		{"Other", "Other"}, // no prefix2: untouched
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := apply(tc.in); got != tc.want {
				t.Errorf("subfolder2 rules(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRemoveSubfolder1(t *testing.T) {
	for _, tc := range []struct{ name, in, sub, sep, want string }{
		{"no subfolder", "a.b", "", ".", "a.b"},
		{"not present", "x.y", "S", ".", "x.y"},
		{"first occurrence only", "S.a.S.b", "S", ".", "a.S.b"},
		{"sanitized", "S1.a", " S1[] ", ".", "a"},
		{"separator only", ".a", ".", ".", ".a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RemoveSubfolder1(tc.in, tc.sub, tc.sep); got != tc.want {
				t.Errorf("RemoveSubfolder1(%q, %q, %q) = %q, want %q", tc.in, tc.sub, tc.sep, got, tc.want)
			}
		})
	}
}
