package dates

import (
	"testing"
	"time"
)

// unparseable marks a GoodDate row that must give ok=false (imapsync returns
// such input unchanged and unquoted).
const unparseable = "!unparseable"

// goodDateVectors are the inputs imapsync's own good_date tests use, with
// its outputs (imapsync quotes them, IMAPLayout does not), followed by
// imapshift's own cases.
var goodDateVectors = []struct{ in, want string }{
	// imapsync's good_date cases
	{"24-Aug-2010 16:00:00 +0200", "24-Aug-2010 16:00:00 +0200"},
	{"24-Aug-2010 16:00:00", "24-Aug-2010 16:00:00 +0000"},
	{"1-Sep-2010 16:00:00 +0200", "01-Sep-2010 16:00:00 +0200"},
	{"Tue, 24 Aug 2010 16:00:00 +0200", "24-Aug-2010 16:00:00 +0200"},
	{"Wed, 1 Sep 2010 16:00:00", "01-Sep-2010 16:00:00 +0000"},
	{"Wed, 1 Sep 2010 16:00:00 +0200 (CEST)", "01-Sep-2010 16:00:00 +0200"},
	{"02/06/09 22:18:08", "06-Feb-2009 22:18:08 +0000"},
	{"Wed Jan  2 08:40:57 2008", "02-Jan-2008 08:40:57 +0000"},
	{"Wed Jan 24 11:58:38 MST 2007", "24-Jan-2007 11:58:38 +0000"},
	{"24 Aug 2010 16:00:00 +0200", "24-Aug-2010 16:00:00 +0200"},
	{"Tue, 24 Aug 67 16:00:00 +0200", "24-Aug-2067 16:00:00 +0200"},
	{"Tue, 24 Aug 77 16:00:00 +0200", "24-Aug-1977 16:00:00 +0200"},
	{"Tue, 24 Aug 87 16:00:00 +0200", "24-Aug-1987 16:00:00 +0200"},
	{"Tue, 24 Aug 97 16:00:00 +0200", "24-Aug-1997 16:00:00 +0200"},
	{"Tue, 24 Aug 04 16:00:00 +0200", "24-Aug-2004 16:00:00 +0200"},
	{"Tue, 24 Aug 1997 16.00.00 +0200", "24-Aug-1997 16:00:00 +0200"},
	{"Tue, 24 Aug 1997 5:6:2 +0200", "24-Aug-1997 05:06:02 +0200"},
	{"Tue, 24, Aug 1997 05:06:02 +0200", "24-Aug-1997 05:06:02 +0200"},
	{"Wednesday, 01 October 2003 12:45:24 CDT", "01-Oct-2003 12:45:24 +0000"},
	{"Tue,  11 Jan 2005 17:58:27 -0500", "11-Jan-2005 17:58:27 -0500"},
	{"Wednesday, December 18, 2002 03:07 PM", "18-Dec-2002 15:07:00 +0000"},
	{"Dec 16 2004 02:01:49 -0500", "16-Dec-2004 02:01:49 -0500"},
	{"21-Jun-2001", "21-Jun-2001 11:11:11 +0000"},
	{"Date: 2015/09/19 16:11:07 ", "19-Sep-2015 16:11:07 +0000"},
	{"", unparseable},
	{"blabla", unparseable},
	{"Tue, 24 Aug", unparseable},

	// day 00 is read as 01 (as imapsync's epoch does)
	{"00-Aug-2010 16:00:00 +0200", "01-Aug-2010 16:00:00 +0200"},
	{"Tue, 00 Aug 2010 16:00:00 +0200", "01-Aug-2010 16:00:00 +0200"},

	// INTERNALDATE as servers send it (quoted, space-padded day)
	{`"24-Aug-2010 16:00:00 +0200"`, "24-Aug-2010 16:00:00 +0200"},
	{" 1-Sep-2010 16:00:00 -0330", "01-Sep-2010 16:00:00 -0330"},

	// more two-digit years, three-digit years, the 69/70 pivot
	{"Tue, 24 Aug 00 16:00:00 +0200", "24-Aug-2000 16:00:00 +0200"},
	{"Tue, 24 Aug 69 16:00:00 +0200", "24-Aug-2069 16:00:00 +0200"},
	{"Tue, 24 Aug 70 16:00:00 +0200", "24-Aug-1970 16:00:00 +0200"},
	{"Tue, 24 Aug 99 16:00:00 +0200", "24-Aug-1999 16:00:00 +0200"},
	{"Tue, 24 Aug 104 16:00:00 +0200", "24-Aug-2004 16:00:00 +0200"},

	// RFC 5322 variations
	{"Tue, 24 Aug 2010 16:00 +0200", "24-Aug-2010 16:00:00 +0200"},
	{"Tue, 24 Aug 2010 16:00:00 GMT", "24-Aug-2010 16:00:00 +0000"},
	{"Tue, 24 Aug 2010 16:00:00 -0000", "24-Aug-2010 16:00:00 +0000"},
	{"Tue, 24 Aug 2010 16:00:00+0200", "24-Aug-2010 16:00:00 +0200"},
	{"tue, 24 AUG 2010 16:00:00 +0200", "24-Aug-2010 16:00:00 +0200"},
	{"Tue, 7 Sept 2010 16:00:00 +0200", "07-Sep-2010 16:00:00 +0200"},
	{"Tue, 24 Aug 2010\r\n 16:00:00 +0200", "24-Aug-2010 16:00:00 +0200"},
	{"Tue, 24 Aug 2010 16:00:60 +0200", "24-Aug-2010 16:00:59 +0200"},
	{"Tue, 24 Aug 2010 04:00:00 PM +0200", "24-Aug-2010 16:00:00 +0200"},
	{"Date: Tue, 24 Aug 2010 16:00:00 +0200 (CEST)", "24-Aug-2010 16:00:00 +0200"},

	// ctime with a numeric zone, month first with 12 AM/PM
	{"Wed Jan 24 11:58:38 -0700 2007", "24-Jan-2007 11:58:38 -0700"},
	{"Sun Aug 20 11:55:09 2006", "20-Aug-2006 11:55:09 +0000"},
	{"Saturday, December 14, 2002 12:00 AM", "14-Dec-2002 00:00:00 +0000"},
	{"Saturday, December 14, 2002 12:30 PM", "14-Dec-2002 12:30:00 +0000"},
	{"December 14, 2002 17:05", "14-Dec-2002 17:05:00 +0000"},

	// numeric forms
	{"2015-09-19T16:11:07+02:00", "19-Sep-2015 16:11:07 +0200"},
	{"2015/9/1 6:11:07 -0100", "01-Sep-2015 06:11:07 -0100"},
	{"02/06/2009 22:18:08", "06-Feb-2009 22:18:08 +0000"},
	{"25/06/09 22:18:08", "25-Jun-2009 22:18:08 +0000"}, // unambiguous dd/mm/yy

	// out-of-range fields are not dates
	{"31-Feb-2010 16:00:00 +0200", unparseable},
	{"29-Feb-2010 16:00:00 +0000", unparseable},
	{"29-Feb-2012 16:00:00 +0000", "29-Feb-2012 16:00:00 +0000"},
	{"24-Aug-2010 24:00:00 +0200", "24-Aug-2010 11:11:11 +0000"}, // falls back to the date alone
	{"Tue, 24 Aug 2010 16:61:00 +0200", unparseable},
	{"24-Foo-2010 16:00:00 +0200", unparseable},
	{"13/13/09 22:18:08", unparseable},
	{"24-Aug-2010 16:00:00 +0260", "24-Aug-2010 11:11:11 +0000"},

	// a later match is used when the first one is not a date
	{"31-Feb-2010 16:00:00, resent 24-Aug-2010 16:00:00 +0200", "24-Aug-2010 16:00:00 +0200"},
}

func TestGoodDate(t *testing.T) {
	for _, v := range goodDateVectors {
		got, ok := GoodDate(v.in)
		if v.want == unparseable {
			if ok {
				t.Errorf("GoodDate(%q) = %q, want ok=false", v.in, got.Format(IMAPLayout))
			}
			continue
		}
		if !ok {
			t.Errorf("GoodDate(%q): ok=false, want %q", v.in, v.want)
			continue
		}
		if s := got.Format(IMAPLayout); s != v.want {
			t.Errorf("GoodDate(%q) = %q, want %q", v.in, s, v.want)
		}
	}
}

// TestGoodDateInstant checks that the zone is honoured, not just printed.
func TestGoodDateInstant(t *testing.T) {
	got, ok := GoodDate("Tue, 24 Aug 2010 16:00:00 +0200")
	if !ok || got.Unix() != 1282658400 {
		t.Fatalf("GoodDate: %v %v, want Unix 1282658400", got, ok)
	}
	if _, off := got.Zone(); off != 7200 {
		t.Errorf("zone offset %d, want 7200", off)
	}
	utc, _ := GoodDate("24-Aug-2010 16:00:00")
	if utc.Location() != time.UTC {
		t.Errorf("missing zone: location %v, want UTC", utc.Location())
	}
}

func TestIMAPLayout(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2010, 8, 24, 16, 0, 0, 0, time.FixedZone("CEST", 7200)), "24-Aug-2010 16:00:00 +0200"},
		{time.Date(2010, 9, 1, 6, 5, 4, 999, time.UTC), "01-Sep-2010 06:05:04 +0000"},
		{time.Date(2005, 1, 11, 17, 58, 27, 0, time.FixedZone("", -(5*3600+30*60))), "11-Jan-2005 17:58:27 -0530"},
		{time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC), "31-Dec-0999 23:59:59 +0000"},
	}
	for _, c := range cases {
		if got := c.t.Format(IMAPLayout); got != c.want {
			t.Errorf("%v in IMAPLayout = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestMonthFromName(t *testing.T) {
	for in, want := range map[string]time.Month{
		"Jan": time.January, "june": time.June, "Sept": time.September,
		"SEPTEMBER": time.September, "may": time.May, "Mar": time.March,
	} {
		if got, ok := monthFromName(in); !ok || got != want {
			t.Errorf("monthFromName(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "Ja", "Foo", "Augx", "Mayo"} {
		if got, ok := monthFromName(in); ok {
			t.Errorf("monthFromName(%q) = %v, want not ok", in, got)
		}
	}
}
