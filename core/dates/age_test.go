package dates

import (
	"testing"
	"time"
)

func TestAgeWindowKeep(t *testing.T) {
	now := time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)
	ago := func(days float64) time.Time {
		return now.Add(-time.Duration(days * float64(24*time.Hour)))
	}
	maxOnly := AgeWindow{MaxAge: 10, HasMax: true}
	minOnly := AgeWindow{MinAge: 10, HasMin: true}
	window := AgeWindow{MaxAge: 200, MinAge: 100, HasMax: true, HasMin: true}
	outside := AgeWindow{MaxAge: 100, MinAge: 200, HasMax: true, HasMin: true}
	half := AgeWindow{MaxAge: 0.5, HasMax: true}
	cases := []struct {
		name string
		w    AgeWindow
		age  float64 // days before now
		want bool
	}{
		{"no window", AgeWindow{}, 5000, true},
		{"no window, future", AgeWindow{}, -1, true},
		{"maxage: newer", maxOnly, 9, true},
		{"maxage: exactly maxage", maxOnly, 10, true},
		{"maxage: older", maxOnly, 10.001, false},
		{"minage: older", minOnly, 11, true},
		{"minage: exactly minage", minOnly, 10, false},
		{"minage: newer", minOnly, 9, false},
		{"window: inside", window, 150, true},
		{"window: too new", window, 50, false},
		{"window: too old", window, 250, false},
		{"union: inside the gap", outside, 150, false},
		{"union: new", outside, 50, true},
		{"union: old", outside, 250, true},
		{"maxage 0.5: 11 h", half, 11.0 / 24, true},
		{"maxage 0.5: 13 h", half, 13.0 / 24, false},
		{"maxage 0: now", AgeWindow{HasMax: true}, 0, true},
		{"maxage 0: 1 s ago", AgeWindow{HasMax: true}, 1.0 / 86400, false},
	}
	for _, c := range cases {
		if got := c.w.Keep(ago(c.age), now); got != c.want {
			t.Errorf("%s: Keep(%v days ago) = %v, want %v", c.name, c.age, got, c.want)
		}
	}
}

func TestSearchDates(t *testing.T) {
	now := time.Date(2024, 3, 10, 1, 30, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		name          string
		w             AgeWindow
		since, before time.Time
		union         bool
	}{
		{"neither", AgeWindow{}, time.Time{}, time.Time{}, false},
		{"maxage 10", AgeWindow{MaxAge: 10, HasMax: true}, day(2024, 2, 29), time.Time{}, false},
		{"minage 1.1", AgeWindow{MinAge: 1.1, HasMin: true}, time.Time{}, day(2024, 3, 8), false},
		{"window", AgeWindow{MaxAge: 365, MinAge: 0, HasMax: true, HasMin: true}, day(2023, 3, 11), day(2024, 3, 10), false},
		{"union", AgeWindow{MaxAge: 1, MinAge: 30, HasMax: true, HasMin: true}, day(2024, 3, 9), day(2024, 2, 9), true},
	}
	for _, c := range cases {
		since, before, union := c.w.SearchDates(now)
		if !since.Equal(c.since) || !before.Equal(c.before) || union != c.union {
			t.Errorf("%s: SearchDates = %v, %v, %v; want %v, %v, %v", c.name, since, before, union, c.since, c.before, c.union)
		}
	}
	// the day is taken in now's location
	ny := time.FixedZone("EST", -5*3600)
	since, _, _ := AgeWindow{MaxAge: 1, HasMax: true}.SearchDates(now.In(ny))
	if want := time.Date(2024, 3, 8, 0, 0, 0, 0, ny); !since.Equal(want) || since.Format("02-Jan-2006") != "08-Mar-2024" {
		t.Errorf("SearchDates in EST: since %v (%s), want %v", since, since.Format("02-Jan-2006"), want)
	}
}

// TestAgeExtremes checks that absurd ages neither panic nor wrap around.
func TestAgeExtremes(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []float64{1e6, 1e300, -1e300} {
		w := AgeWindow{MaxAge: d, HasMax: true}
		since, _ := w.Bounds(now)
		if d > 0 && !since.Before(now) || d < 0 && !since.After(now) {
			t.Errorf("maxage %g: since %v not on the right side of now", d, since)
		}
	}
	if !(AgeWindow{MaxAge: 1e300, HasMax: true}).Keep(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), now) {
		t.Error("maxage 1e300 should keep a 1970 message")
	}
}
