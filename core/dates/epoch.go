package dates

import "regexp"

// imapDateTime matches an IMAP date-time with its mandatory numeric zone,
// anywhere in the input (surrounding quotes are thus accepted).
var imapDateTime = regexp.MustCompile(`(?i)\b(\d{1,2})-([a-z]{3})-(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s+([+-]\d{4})\b`)

// Epoch returns the Unix time (seconds) of an IMAP date-time string such as
// "24-Aug-2010 16:00:00 +0200" or " 1-Aug-2010 16:00:00 +0200", as
// imapsync's epoch does; the zone is required and honoured, so
// "24-Aug-2010 14:00:00 +0000" and "24-Aug-2010 12:00:00 -0200" give the
// same value. The month is a three-letter English abbreviation (any case).
// Day 00, which some servers send, is read as 01. ok is false when s holds
// no such string or its fields are out of range (31-Feb, 24:00:00, zone
// minutes > 59).
func Epoch(s string) (int64, bool) {
	m := imapDateTime.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	var f fields
	var ok [7]bool
	f.day, ok[0] = atoi(m[1])
	f.month, ok[1] = monthFromName(m[2])
	f.year, ok[2] = atoi(m[3])
	f.hour, ok[3] = atoi(m[4])
	f.min, ok[4] = atoi(m[5])
	f.sec, ok[5] = atoi(m[6])
	f.offset, ok[6] = parseZone(m[7])
	for _, b := range ok {
		if !b {
			return 0, false
		}
	}
	t, valid := f.time()
	if !valid {
		return 0, false
	}
	return t.Unix(), true
}
