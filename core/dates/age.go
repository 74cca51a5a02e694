package dates

import (
	"math"
	"time"
)

// AgeWindow is the --maxage/--minage message selection. Ages are
// in days and may be fractional; HasMax and HasMin say whether the option
// was given at all, so "--maxage 0" (HasMax with MaxAge 0) is distinct from
// no --maxage. The reference time ("now") is the program start.
//
//   - maxage only: keep messages newer than MaxAge days;
//   - minage only: keep messages older than MinAge days;
//   - both, MinAge ≤ MaxAge: keep the intersection (the window between);
//   - both, MinAge > MaxAge: keep the union (everything but that window).
//
// The zero AgeWindow selects everything.
type AgeWindow struct {
	MaxAge, MinAge float64 // days; meaningful only when HasMax / HasMin
	HasMax, HasMin bool
}

// Active reports whether the window filters anything at all.
func (w AgeWindow) Active() bool { return w.HasMax || w.HasMin }

// Union reports whether both bounds are set and MinAge > MaxAge, in which
// case the two selections are joined rather than intersected.
func (w AgeWindow) Union() bool { return w.HasMax && w.HasMin && w.MinAge > w.MaxAge }

// maxAgeDays bounds the ages used in arithmetic (about 27 000 years, beyond
// any mail) so that huge, infinite or NaN values cannot overflow.
const maxAgeDays = 1e7

// daysBefore returns now minus d days, with d clamped to ±maxAgeDays (NaN is
// 0). Whole days are subtracted as 24-hour periods, as imapsync does
// (time − 86400·d), not as calendar days.
func daysBefore(now time.Time, d float64) time.Time {
	switch {
	case math.IsNaN(d):
		d = 0
	case d > maxAgeDays:
		d = maxAgeDays
	case d < -maxAgeDays:
		d = -maxAgeDays
	}
	whole, frac := math.Modf(d)
	// The fraction fits a Duration; whole days may not (±292 years), so
	// they are subtracted in Unix seconds.
	t := now.Add(-time.Duration(frac * float64(24*time.Hour)))
	return time.Unix(t.Unix()-int64(whole)*86400, int64(t.Nanosecond())).In(now.Location())
}

// Bounds returns the instants behind the window: a message is "newer than
// MaxAge" when its date is at or after since, and "older than MinAge" when
// it is strictly before before. An unset bound is the zero time.
func (w AgeWindow) Bounds(now time.Time) (since, before time.Time) {
	if w.HasMax {
		since = daysBefore(now, w.MaxAge)
	}
	if w.HasMin {
		before = daysBefore(now, w.MinAge)
	}
	return since, before
}

// Keep reports whether a message dated date is selected at reference time
// now, at second granularity. This is the comparison imapsync makes on
// INTERNALDATE when SEARCH is unusable (--noabletosearch); with SEARCH the
// server compares Date: headers by day, see SearchDates. The zero window
// keeps everything.
func (w AgeWindow) Keep(date, now time.Time) bool {
	if !w.Active() {
		return true
	}
	since, before := w.Bounds(now)
	newer := w.HasMax && !date.Before(since)
	older := w.HasMin && date.Before(before)
	switch {
	case w.HasMax && w.HasMin:
		if w.Union() {
			return newer || older
		}
		return newer && older
	case w.HasMax:
		return newer
	default:
		return older
	}
}

// SearchDates returns the day dates imapsync puts in its searches, "UID
// SEARCH SENTSINCE <since>" for --maxage and "UID SEARCH SENTBEFORE
// <before>" for --minage (render them with FormatSearchDate), and whether
// the two results are to be joined (union) rather than intersected; combine
// them with Combine or FromMaxMin. Each date is the calendar day, in now's
// location, of now minus the age; it is returned as midnight of that day in
// that location, and is the zero time when its bound is unset. imapsync
// takes the day in UTC (gmtime), so pass now in UTC for identical searches.
//
// SENTSINCE is inclusive and SENTBEFORE exclusive of the given day, and the
// server compares the Date: header's own calendar day, so the window is
// wider than Keep's by up to a day at each end.
func (w AgeWindow) SearchDates(now time.Time) (since, before time.Time, union bool) {
	s, b := w.Bounds(now)
	if w.HasMax {
		since = midnight(s)
	}
	if w.HasMin {
		before = midnight(b)
	}
	return since, before, w.Union()
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
