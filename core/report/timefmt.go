package report

import "time"

// TimeLayout is the layout of imapsync's timestamps, as in
// "Thursday 26 November 2026-11-26 00:07:03 +0000 UTC".
const TimeLayout = "Monday 02 January 2006-01-02 15:04:05 -0700 MST"

// FormatTime renders t the way imapsync prints dates ("Transfer started
// on", "Transfer ended on"), in t's location.
func FormatTime(t time.Time) string { return t.Format(TimeLayout) }
