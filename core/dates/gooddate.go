package dates

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IMAPLayout is the time layout of an IMAP date-time (RFC 3501 date-time,
// without the surrounding double quotes), as sent in APPEND.
const IMAPLayout = "02-Jan-2006 15:04:05 -0700"

// dateOnlyHour, dateOnlyMin and dateOnlySec are the time of day imapsync
// gives a date that has none ("21-Jun-2001" → 11:11:11 +0000).
const (
	dateOnlyHour = 11
	dateOnlyMin  = 11
	dateOnlySec  = 11
)

// monthNames lists the English month names; a month token is accepted when
// it is a case-insensitive prefix of one of them that is at least three
// letters long ("Sep", "Sept", "September").
var monthNames = [12]string{
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
}

// monthPattern matches any accepted month token: the three-letter
// abbreviation optionally followed by more letters of the full name.
var monthPattern = func() string {
	alts := make([]string, len(monthNames))
	for i, name := range monthNames {
		alt := name[:3]
		// Each further letter is optional, but only in order: "sept",
		// "septe", ..., "september".
		rest := name[3:]
		suffix := ""
		for j := len(rest) - 1; j >= 0; j-- {
			suffix = "(?:" + rest[j:j+1] + suffix + ")?"
		}
		alts[i] = alt + suffix
	}
	return "(?P<mon>" + strings.Join(alts, "|") + ")"
}()

// monthFromName maps an accepted month token to its month.
func monthFromName(s string) (time.Month, bool) {
	s = strings.ToLower(s)
	if len(s) < 3 {
		return 0, false
	}
	for i, name := range monthNames {
		if strings.HasPrefix(name, s) {
			return time.Month(i + 1), true
		}
	}
	return 0, false
}

// dateRule is one recognised shape of date. Its regular expression is
// searched for anywhere in the input (leading "Date:" labels, weekdays,
// trailing comments and named zones are thereby ignored) and reports its
// fields through named groups:
//
//	day, mon (name) or mnum (number), year, hour, min, sec, ampm, zone
//
// A missing sec is 00, a missing zone is +0000, and a rule without hour
// (dateOnly) gets 11:11:11.
type dateRule struct {
	name     string
	re       *regexp.Regexp
	dateOnly bool
	// numericMD: month and day are numbers (mm/dd); when the month is out of
	// range but the day would be a valid month the two are swapped (dd/mm).
	numericMD bool
}

// Building blocks of the rules, all used case-insensitively.
const (
	reDay   = `(?P<day>\d{1,2})`
	reTime  = `(?P<hour>\d{1,2})[:.](?P<min>\d{1,2})(?:[:.](?P<sec>\d{1,2}))?\b`
	reTimeC = `(?P<hour>\d{1,2}):(?P<min>\d{2})(?::(?P<sec>\d{2}))?\b`
	reAMPM  = `(?:\s*(?P<ampm>[ap])\.?m\b\.?)?`
	reZone  = `(?:\s*(?P<zone>[+-](?:\d{4}|\d{2}:\d{2}))\b)?`
)

// dateRules are tried in order; the first one that matches a valid date wins.
// The order matters: the strict IMAP form comes first and the date-only form
// last, and yyyy/mm/dd is tried before mm/dd/yy (which would otherwise match
// its tail). They are compiled at the first use, not at each start of the
// program (a few milliseconds a run that parses no date does not need).
var dateRules = sync.OnceValue(func() []dateRule {
	return []dateRule{
		{
			// IMAP INTERNALDATE: 24-Aug-2010 16:00:00 +0200, 1-Sep-2010 16:00:00
			name: "imap",
			re:   rx(`\b` + reDay + `-` + monthPattern + `-(?P<year>\d{4})\s+` + reTime + reZone),
		},
		{
			// RFC 5322 and its common breakages:
			//   Tue, 24 Aug 2010 16:00:00 +0200    24 Aug 2010 16:00:00 +0200
			//   Tue, 24 Aug 97 16:00:00 +0200      Tue, 24 Aug 1997 16.00.00 +0200
			//   Tue, 24 Aug 1997 5:6:2 +0200       Tue, 24, Aug 1997 05:06:02 +0200
			//   Wednesday, 01 October 2003 12:45:24 CDT
			name: "rfc5322",
			re: rx(`\b` + reDay + `,?\s+` + monthPattern + `\b\.?,?\s+(?P<year>\d{2,4})\s+` +
				reTime + reAMPM + reZone),
		},
		{
			// ctime / asctime, optionally with a zone before the year:
			//   Wed Jan  2 08:40:57 2008    Wed Jan 24 11:58:38 MST 2007
			name: "ctime",
			re: rx(`\b` + monthPattern + `\b\.?\s+` + reDay + `\s+` + reTimeC +
				`\s+(?:(?P<zone>[+-]\d{4})\s+|[a-z]{1,5}\s+)?(?P<year>\d{4})\b`),
		},
		{
			// Month first, with a year before the time:
			//   Wednesday, December 18, 2002 03:07 PM
			//   Dec 16 2004 02:01:49 -0500
			name: "monthfirst",
			re: rx(`\b` + monthPattern + `\b\.?\s+` + reDay + `,?\s+(?P<year>\d{4})\s+` +
				reTimeC + reAMPM + reZone),
		},
		{
			// Numeric, year first: 2015/09/19 16:11:07, 2015-09-19T16:11:07+02:00
			name: "ymd",
			re: rx(`\b(?P<year>\d{4})[/-](?P<mnum>\d{1,2})[/-]` + reDay + `(?:\s+|t)` +
				reTimeC + reZone),
		},
		{
			// Numeric, US order: 02/06/09 22:18:08 (mm/dd/yy)
			name:      "mdy",
			re:        rx(`\b(?P<mnum>\d{1,2})/` + reDay + `/(?P<year>\d{4}|\d{2})\s+` + reTimeC + reAMPM + reZone),
			numericMD: true,
		},
		{
			// A bare IMAP date: 21-Jun-2001 (→ 11:11:11 +0000)
			name:     "dateonly",
			re:       rx(`\b` + reDay + `-` + monthPattern + `-(?P<year>\d{4})\b`),
			dateOnly: true,
		},
	}
})

func rx(s string) *regexp.Regexp { return regexp.MustCompile(`(?i)` + s) }

// maxMatchesPerRule bounds how many non-overlapping matches of one rule are
// tried when the first ones do not hold a valid date.
const maxMatchesPerRule = 4

// GoodDate parses a Date: header value or an INTERNALDATE string with the
// tolerance of imapsync's good_date, and returns the time in the zone the
// input states. ok is false when no recognised date is found; imapsync then
// passes the input through unchanged, a caller of GoodDate should rather
// omit the date (and let the server pick one).
//
// Recognised shapes (anywhere in s; see the table tests for the full list):
//
//	24-Aug-2010 16:00:00 +0200            IMAP date-time, day may be 1 digit
//	Tue, 24 Aug 2010 16:00:00 +0200       RFC 5322, weekday optional,
//	                                       "24," accepted, full month names,
//	                                       16.00.00 and 5:6:2 accepted
//	Wed Jan 24 11:58:38 MST 2007          ctime, optional zone before the year
//	Wednesday, December 18, 2002 03:07 PM month first, 12-hour clock
//	Dec 16 2004 02:01:49 -0500            month first, year before the time
//	2015/09/19 16:11:07                   year first (also 2015-09-19T...)
//	02/06/09 22:18:08                     mm/dd/yy (dd/mm/yy when mm > 12)
//	21-Jun-2001                           date only: the time is 11:11:11
//
// Normalisations, all as imapsync does them unless noted:
//   - a missing numeric zone is +0000; named zones (CEST, CDT, MST, GMT, ...)
//     and comments are ignored, so "... 12:45:24 CDT" is read as +0000;
//   - two-digit years 70..99 are 19xx and 00..69 are 20xx; three-digit years
//     get 1900 added (RFC 5322 obs-year);
//   - a missing seconds field is 00;
//   - day 00 is read as 01 (imapsync's epoch does the same);
//   - a leap second :60 is read as :59 (Go times cannot hold it);
//   - 12 AM is 00h and 12 PM is 12h.
//
// A match whose fields are out of range (month 13, 31-Feb, 25:00, zone
// minutes > 59) is not a date; later matches and rules are still tried.
func GoodDate(s string) (t time.Time, ok bool) {
	rules := dateRules()
	for i := range rules {
		r := &rules[i]
		for _, m := range r.re.FindAllStringSubmatch(s, maxMatchesPerRule) {
			if t, ok := r.build(m); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// build turns one match of the rule into a time.
func (r *dateRule) build(m []string) (time.Time, bool) {
	group := func(name string) string {
		if i := r.re.SubexpIndex(name); i >= 0 {
			return m[i]
		}
		return ""
	}
	var f fields
	var ok bool
	if f.day, ok = atoi(group("day")); !ok {
		return time.Time{}, false
	}
	if name := group("mon"); name != "" {
		if f.month, ok = monthFromName(name); !ok {
			return time.Time{}, false
		}
	} else {
		n, ok := atoi(group("mnum"))
		if !ok {
			return time.Time{}, false
		}
		if r.numericMD && n > 12 && f.day >= 1 && f.day <= 12 {
			n, f.day = f.day, n
		}
		f.month = time.Month(n)
	}
	if f.year, ok = parseYear(group("year")); !ok {
		return time.Time{}, false
	}
	if r.dateOnly {
		f.hour, f.min, f.sec = dateOnlyHour, dateOnlyMin, dateOnlySec
		return f.time()
	}
	if f.hour, ok = atoi(group("hour")); !ok {
		return time.Time{}, false
	}
	if f.min, ok = atoi(group("min")); !ok {
		return time.Time{}, false
	}
	if sec := group("sec"); sec != "" {
		if f.sec, ok = atoi(sec); !ok {
			return time.Time{}, false
		}
	}
	switch strings.ToLower(group("ampm")) {
	case "a":
		if f.hour == 12 {
			f.hour = 0
		}
	case "p":
		if f.hour < 12 {
			f.hour += 12
		}
	}
	if z := group("zone"); z != "" {
		if f.offset, ok = parseZone(z); !ok {
			return time.Time{}, false
		}
	}
	return f.time()
}

// fields are the parts of a date before validation.
type fields struct {
	year           int
	month          time.Month
	day            int
	hour, min, sec int
	offset         int // seconds east of UTC
}

// time validates the fields and builds the time. Day 0 becomes 1 and second
// 60 becomes 59; anything else out of range is rejected rather than
// normalised by time.Date into another day.
func (f fields) time() (time.Time, bool) {
	if f.month < time.January || f.month > time.December {
		return time.Time{}, false
	}
	if f.day == 0 {
		f.day = 1
	}
	if f.day > daysIn(f.month, f.year) {
		return time.Time{}, false
	}
	if f.hour > 23 || f.min > 59 || f.sec > 60 {
		return time.Time{}, false
	}
	if f.sec == 60 {
		f.sec = 59
	}
	loc := time.UTC
	if f.offset != 0 {
		loc = time.FixedZone("", f.offset)
	}
	return time.Date(f.year, f.month, f.day, f.hour, f.min, f.sec, 0, loc), true
}

// daysIn is the number of days of month m in year y (proleptic Gregorian).
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseYear reads a 2-, 3- or 4-digit year with imapsync's two-digit pivot
// (7x, 8x, 9x → 19xx, others → 20xx) and RFC 5322's three-digit rule.
func parseYear(s string) (int, bool) {
	y, ok := atoi(s)
	if !ok {
		return 0, false
	}
	switch len(s) {
	case 2:
		if y >= 70 {
			return 1900 + y, true
		}
		return 2000 + y, true
	case 3:
		return 1900 + y, true
	case 4:
		return y, true
	}
	return 0, false
}

// parseZone reads "+hhmm" or "+hh:mm" into seconds east of UTC.
func parseZone(z string) (int, bool) {
	if len(z) < 5 {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) != 4 {
		return 0, false
	}
	hh, ok1 := atoi(digits[:2])
	mm, ok2 := atoi(digits[2:])
	if !ok1 || !ok2 || mm > 59 {
		return 0, false
	}
	return sign * (hh*3600 + mm*60), true
}

// atoi reads a short run of ASCII digits.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
