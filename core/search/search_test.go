package search

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
)

func day(s string) time.Time {
	t, err := time.Parse("2-Jan-2006", s)
	if err != nil {
		panic(err)
	}
	return t
}

func hdr(k, v string) []imap.SearchCriteriaHeaderField {
	return []imap.SearchCriteriaHeaderField{{Key: k, Value: v}}
}

func flags(f ...imap.Flag) []imap.Flag { return f }

type C = imap.SearchCriteria

var okCases = []struct {
	in   string
	want C
}{
	{"ALL", C{}},
	{"all", C{}},
	{"ALL ALL", C{}},

	{"SEEN", C{Flag: flags(imap.FlagSeen)}},
	{"UNSEEN", C{NotFlag: flags(imap.FlagSeen)}},
	{"ANSWERED", C{Flag: flags(imap.FlagAnswered)}},
	{"UNANSWERED", C{NotFlag: flags(imap.FlagAnswered)}},
	{"FLAGGED", C{Flag: flags(imap.FlagFlagged)}},
	{"UNFLAGGED", C{NotFlag: flags(imap.FlagFlagged)}},
	{"DELETED", C{Flag: flags(imap.FlagDeleted)}},
	{"UNDELETED", C{NotFlag: flags(imap.FlagDeleted)}},
	{"DRAFT", C{Flag: flags(imap.FlagDraft)}},
	{"UNDRAFT", C{NotFlag: flags(imap.FlagDraft)}},
	{"unSeen Flagged", C{Flag: flags(imap.FlagFlagged), NotFlag: flags(imap.FlagSeen)}},
	{"KEYWORD $Forwarded", C{Flag: flags("$Forwarded")}},
	{"keyword NonJunk", C{Flag: flags("NonJunk")}},
	{"UNKEYWORD $Junk", C{NotFlag: flags("$Junk")}},
	{"SEEN KEYWORD $label1", C{Flag: flags(imap.FlagSeen, "$label1")}},

	{"SINCE 1-Jan-2020", C{Since: day("1-Jan-2020")}},
	{"since 01-jan-2020", C{Since: day("1-Jan-2020")}},
	{`SINCE "5-FEB-2021"`, C{Since: day("5-Feb-2021")}},
	{"BEFORE 29-Feb-2020", C{Before: day("29-Feb-2020")}},
	{"ON 15-Mar-2021", C{Since: day("15-Mar-2021"), Before: day("16-Mar-2021")}},
	{"ON 31-Dec-2020", C{Since: day("31-Dec-2020"), Before: day("1-Jan-2021")}},
	{"SENTSINCE 2-Apr-2019", C{SentSince: day("2-Apr-2019")}},
	{"SENTBEFORE 10-Oct-2010", C{SentBefore: day("10-Oct-2010")}},
	{"SENTON 7-Jul-2007", C{SentSince: day("7-Jul-2007"), SentBefore: day("8-Jul-2007")}},
	{"SINCE 1-Jan-2020 SINCE 1-Mar-2020 SINCE 1-Feb-2020", C{Since: day("1-Mar-2020")}},
	{"BEFORE 1-Jan-2020 BEFORE 1-Mar-2020", C{Before: day("1-Jan-2020")}},
	{"SINCE 1-Jan-2020 ON 5-Jan-2020", C{Since: day("5-Jan-2020"), Before: day("6-Jan-2020")}},
	{"SINCE 1-Jan-2020 BEFORE 1-Feb-2020 SENTSINCE 1-Jan-2019",
		C{Since: day("1-Jan-2020"), Before: day("1-Feb-2020"), SentSince: day("1-Jan-2019")}},

	{"FROM alice@example.org", C{Header: hdr("From", "alice@example.org")}},
	{`TO "Bob Smith"`, C{Header: hdr("To", "Bob Smith")}},
	{"cc carol", C{Header: hdr("Cc", "carol")}},
	{"BCC dave", C{Header: hdr("Bcc", "dave")}},
	{`SUBJECT "say \"hi\" \\o/"`, C{Header: hdr("Subject", `say "hi" \o/`)}},
	{"SUBJECT [list]", C{Header: hdr("Subject", "[list]")}},
	{`SUBJECT ""`, C{Header: hdr("Subject", "")}},
	{"SUBJECT café", C{Header: hdr("Subject", "café")}},
	{`SUBJECT "héllo wörld"`, C{Header: hdr("Subject", "héllo wörld")}},
	{"SUBJECT \"tab\there\"", C{Header: hdr("Subject", "tab\there")}},
	{"HEADER X-Spam-Flag YES", C{Header: hdr("X-Spam-Flag", "YES")}},
	{`HEADER Message-ID ""`, C{Header: hdr("Message-ID", "")}},
	{`header "List-Id" "<dev.example.org>"`, C{Header: hdr("List-Id", "<dev.example.org>")}},
	{"FROM a TO b", C{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "a"}, {Key: "To", Value: "b"}}}},
	{"BODY invoice", C{Body: []string{"invoice"}}},
	{`TEXT "quarterly report" TEXT q3`, C{Text: []string{"quarterly report", "q3"}}},

	{"LARGER 1000", C{Larger: 1000}},
	{"SMALLER 5000", C{Smaller: 5000}},
	{"LARGER 10 LARGER 20 LARGER 15", C{Larger: 20}},
	{"SMALLER 10 SMALLER 5 SMALLER 7", C{Smaller: 5}},
	{"LARGER 100 SMALLER 200", C{Larger: 100, Smaller: 200}},
	{"LARGER 0", C{}},
	{"SMALLER 0", C{Not: []C{{}}}},
	{"LARGER 9223372036854775807", C{Larger: 1<<63 - 1}},
	{"MODSEQ 620162338", C{ModSeq: &imap.SearchCriteriaModSeq{ModSeq: 620162338}}},
	{"MODSEQ 5 MODSEQ 9 MODSEQ 7", C{ModSeq: &imap.SearchCriteriaModSeq{ModSeq: 9}}},

	{"UID 1:100,200", C{UID: []imap.UIDSet{{{Start: 1, Stop: 100}, {Start: 200, Stop: 200}}}}},
	{"UID 42", C{UID: []imap.UIDSet{{{Start: 42, Stop: 42}}}}},
	{"UID *", C{UID: []imap.UIDSet{{{Start: 0, Stop: 0}}}}},
	{"UID 5:*", C{UID: []imap.UIDSet{{{Start: 5, Stop: 0}}}}},
	{"UID 100:1", C{UID: []imap.UIDSet{{{Start: 1, Stop: 100}}}}},
	{"uid 1:3,2:5 UID 9", C{UID: []imap.UIDSet{{{Start: 1, Stop: 5}}, {{Start: 9, Stop: 9}}}}},

	{"NOT SEEN", C{Not: []C{{Flag: flags(imap.FlagSeen)}}}},
	{"not not seen", C{Not: []C{{Not: []C{{Flag: flags(imap.FlagSeen)}}}}}},
	{"OR SEEN FLAGGED", C{Or: [][2]C{{{Flag: flags(imap.FlagSeen)}, {Flag: flags(imap.FlagFlagged)}}}}},
	{"NOT OR FROM a TO b", C{Not: []C{{Or: [][2]C{{{Header: hdr("From", "a")}, {Header: hdr("To", "b")}}}}}}},
	{"(SINCE 1-Jan-2020 SMALLER 5000) NOT DELETED",
		C{Since: day("1-Jan-2020"), Smaller: 5000, Not: []C{{Flag: flags(imap.FlagDeleted)}}}},
	{"OR (SEEN FLAGGED) NOT (DRAFT ANSWERED)", C{Or: [][2]C{{
		{Flag: flags(imap.FlagSeen, imap.FlagFlagged)},
		{Not: []C{{Flag: flags(imap.FlagDraft, imap.FlagAnswered)}}},
	}}}},
	{"OR OR SEEN DRAFT NOT (FROM x SUBJECT y) UNDELETED", C{
		NotFlag: flags(imap.FlagDeleted),
		Or: [][2]C{{
			{Or: [][2]C{{{Flag: flags(imap.FlagSeen)}, {Flag: flags(imap.FlagDraft)}}}},
			{Not: []C{{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "x"}, {Key: "Subject", Value: "y"}}}}},
		}},
	}},
	{"((SEEN) (FLAGGED))", C{Flag: flags(imap.FlagSeen, imap.FlagFlagged)}},
	{"(SEEN)(FLAGGED)", C{Flag: flags(imap.FlagSeen, imap.FlagFlagged)}},
	{"OR ALL SEEN", C{Or: [][2]C{{{}, {Flag: flags(imap.FlagSeen)}}}}},
	{"OR SMALLER 0 LARGER 0", C{Or: [][2]C{{{Not: []C{{}}}, {}}}}},
	{"NOT ON 1-Jan-2020 SMALLER 10", C{Smaller: 10, Not: []C{{Since: day("1-Jan-2020"), Before: day("2-Jan-2020")}}}},
	{"UID 1:* NOT OR SEEN KEYWORD $Done LARGER 1", C{
		UID:    []imap.UIDSet{{{Start: 1, Stop: 0}}},
		Larger: 1,
		Not:    []C{{Or: [][2]C{{{Flag: flags(imap.FlagSeen)}, {Flag: flags("$Done")}}}}},
	}},

	{"CHARSET UTF-8 SUBJECT é", C{Header: hdr("Subject", "é")}},
	{`charset "us-ascii" SEEN`, C{Flag: flags(imap.FlagSeen)}},
	{"  SEEN \t FLAGGED  ", C{Flag: flags(imap.FlagSeen, imap.FlagFlagged)}},
}

func TestParse(t *testing.T) {
	for _, tc := range okCases {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, *got, tc.want)
		}
	}
}

var errCases = []struct {
	in          string
	unsupported bool
	pos         int
	msg         string // substring of the message
}{
	// syntax
	{"", false, 1, "empty"},
	{"   ", false, 4, "empty"},
	{`SUBJECT "abc`, false, 9, "unterminated quoted string"},
	{`SEEN SUBJECT "a\x"`, false, 16, "may only escape"},
	{"SUBJECT \"a\nb\"", false, 11, "control character"},
	{"SINCE", false, 6, "SINCE needs a date like 1-Jan-2020, got end of input"},
	{"SINCE )", false, 7, `got ")"`},
	{"FROM", false, 5, "FROM needs a string"},
	{"(FROM)", false, 6, `FROM needs a string, got ")"`},
	{"HEADER X-Foo", false, 13, "HEADER needs a string"},
	{"SINCE 32-Jan-2020", false, 7, "no such day"},
	{"SINCE 29-Feb-2021", false, 7, "no such day"},
	{"SINCE 0-Feb-2021", false, 7, "no such day"},
	{"SINCE 1-Foo-2020", false, 7, `unknown month "Foo"`},
	{"SINCE 2020-01-01", false, 7, "want d-Mon-yyyy"},
	{"SINCE 1-Jan-20", false, 7, "want d-Mon-yyyy"},
	{"SINCE 001-Jan-2020", false, 7, "want d-Mon-yyyy"},
	{"BEFORE (1-Jan-2020)", false, 8, `got "("`},
	{"LARGER abc", false, 8, "LARGER needs a size in bytes (digits only)"},
	{"LARGER -1", false, 8, "digits only"},
	{"SMALLER 1e3", false, 9, "digits only"},
	{`LARGER "10"`, false, 8, "digits only"},
	{"LARGER 99999999999999999999", false, 8, "too large"},
	{"LARGER 9223372036854775808", false, 8, "too large"},
	{"SMALLER", false, 8, "SMALLER needs a size in bytes"},
	{"MODSEQ x", false, 8, "MODSEQ needs a mod-sequence"},
	{"UID", false, 4, "UID needs a UID set"},
	{"UID 0", false, 5, "bad UID set"},
	{"UID 01", false, 5, "bad UID set"},
	{"UID 1:x", false, 5, "bad UID set"},
	{"UID 1,,2", false, 5, "bad UID set"},
	{"UID 4294967296", false, 5, "bad UID set"},
	{`UID "1"`, false, 5, "UID needs a UID set"},
	{"SEEN FOO", false, 6, `unknown search key "FOO"`},
	{"NOT", false, 4, "NOT needs a search key, got end of input"},
	{"(NOT)", false, 5, `NOT needs a search key, got ")"`},
	{"OR SEEN", false, 8, "OR needs two search keys"},
	{"OR", false, 3, "OR needs two search keys"},
	{"(SEEN", false, 1, `missing ")"`},
	{"SEEN (FLAGGED (DRAFT)", false, 6, `missing ")"`},
	{"SEEN)", false, 5, `unexpected ")"`},
	{"()", false, 1, "empty parenthesised list"},
	{"{5}", false, 1, "literals ({n}) are not supported"},
	{"SUBJECT {3+}", false, 9, "literals"},
	{`KEYWORD \Seen`, false, 9, "not the system flag"},
	{`KEYWORD "x"`, false, 9, "an unquoted atom"},
	{"KEYWORD a*b", false, 10, `'*' is not allowed in a keyword`},
	{"KEYWORD a]", false, 10, `']' is not allowed in a keyword`},
	{"KEYWORD", false, 8, "KEYWORD needs a keyword"},
	{"SUBJECT a*b", false, 10, `'*' is not allowed in an unquoted string`},
	{`SUBJECT a\b`, false, 10, `'\\' is not allowed`},
	{"SEEN\r\nFLAGGED", false, 5, "control character"},
	{"SEEN \xff", false, 6, "not valid UTF-8"},
	{"SUBJECT é \xff", false, 11, "not valid UTF-8"},
	{"CHARSET", false, 8, "CHARSET needs a string"},
	{"CHARSET UTF-8", false, 14, "must be followed by a search key"},
	{"SEEN CHARSET UTF-8", false, 6, "only allowed at the start"},
	{`"SEEN"`, false, 1, `expected a search key, got quoted string "SEEN"`},
	{"SUBJECT é FOO", false, 11, `unknown search key "FOO"`},
	{strings.Repeat("NOT ", 65) + "SEEN", false, 257, "nesting deeper than 64"},
	{strings.Repeat("(", 65) + "SEEN" + strings.Repeat(")", 65), false, 65, "nesting deeper than 64"},

	// refusals
	{`X-GM-RAW "has:attachment"`, true, 1, "X-GM-RAW at position 1 is not supported: Gmail extension"},
	{"SEEN x-gm-labels foo", true, 6, "X-GM-LABELS at position 6"},
	{"OLDER 3600", true, 1, "WITHIN (RFC 5032)"},
	{"NOT YOUNGER 3600", true, 5, "YOUNGER at position 5"},
	{"NEW", true, 1, "use UNSEEN"},
	{"OLD", true, 1, `KEYWORD \Recent`},
	{"OR SEEN RECENT", true, 9, "RECENT at position 9"},
	{`MODSEQ "/flags/\\draft" all 620162338`, true, 1, "MODSEQ with an entry name"},
	{"1:10", true, 1, "1:10 at position 1 is not supported: message sequence numbers change"},
	{"SEEN *", true, 6, "use UID with UIDs instead"},
	{"NOT (5,7 SEEN)", true, 6, "sequence numbers"},
	{"CHARSET ISO-8859-1 SUBJECT x", true, 1, "CHARSET ISO-8859-1 at position 1"},
	{"UID $", true, 5, "SEARCHRES"},
	{"$", true, 1, "SEARCHRES"},
	{"X-FOO bar", true, 1, "X-FOO at position 1 is not supported: vendor extension"},
	{"SAVEDBEFORE 1-Jan-2020", true, 1, "SAVEDATE"},
	{"EMAILID M123", true, 1, "OBJECTID"},
	{"FUZZY SUBJECT x", true, 1, "FUZZY"},
	{"RETURN (MIN) ALL", true, 1, "ESEARCH"},
	{"x-é", true, 1, `"x-é"`},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errCases {
		got, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", tc.in, *got)
			continue
		}
		if got != nil {
			t.Errorf("Parse(%q): non-nil criteria with error", tc.in)
		}
		if c := exitcode.Of(err); c != exitcode.Usage {
			t.Errorf("Parse(%q): exit code %v, want 64", tc.in, c)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("Parse(%q): message not on one line: %q", tc.in, msg)
		}
		if !strings.Contains(msg, tc.msg) {
			t.Errorf("Parse(%q): message %q does not contain %q", tc.in, msg, tc.msg)
		}
		var se *SyntaxError
		var ue *UnsupportedError
		switch {
		case tc.unsupported && errors.As(err, &ue):
			if ue.Pos != tc.pos {
				t.Errorf("Parse(%q): position %d, want %d (%s)", tc.in, ue.Pos, tc.pos, msg)
			}
			if ue.Key == "" || ue.Reason == "" {
				t.Errorf("Parse(%q): incomplete %#v", tc.in, ue)
			}
		case !tc.unsupported && errors.As(err, &se):
			if se.Pos != tc.pos {
				t.Errorf("Parse(%q): position %d, want %d (%s)", tc.in, se.Pos, tc.pos, msg)
			}
		default:
			t.Errorf("Parse(%q): error %T %q, want unsupported=%v", tc.in, errors.Unwrap(err), msg, tc.unsupported)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for in, want := range map[string]string{
		"SINCE 31-Apr-2020":                 `search: at position 7: SINCE: bad date "31-Apr-2020" (no such day)`,
		"SEEN OLDER 86400":                  "search: OLDER at position 6 is not supported: WITHIN (RFC 5032) cannot be expressed with go-imap; use --minage",
		"OR SEEN 1:5":                       "search: 1:5 at position 9 is not supported: message sequence numbers change whenever messages are expunged, so imapshift selects messages by UID only; use UID with UIDs instead",
		`SUBJECT "unclosed`:                 "search: at position 9: unterminated quoted string",
		"SEEN (FLAGGED":                     `search: at position 6: missing ")" for this "("`,
		strings.Repeat("<", 1000):           `search: at position 1: unknown search key "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<..."`,
		"X-" + strings.Repeat("ü", 50):      `search: "X-üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü..." at position 1 is not supported: vendor extension that go-imap cannot send`,
		"LARGER " + strings.Repeat("9", 60): "search: at position 8: LARGER: 9999999999999999999999999999999999999999... is too large",
		"CHARSET \"a\x01b\"":                `search: "CHARSET a\x01b" at position 1 is not supported: go-imap sends strings as UTF-8 only, and adds CHARSET UTF-8 itself when needed`,
	} {
		_, err := Parse(in)
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q): error %v\nwant %s", in, err, want)
		}
	}
}
