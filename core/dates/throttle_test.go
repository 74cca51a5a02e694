package dates

import (
	"math"
	"testing"
)

// Spec 7.6: sleep_max_messages, sleep_max_bytes, sleep_if_needed.

func TestSleepMaxMessages(t *testing.T) {
	cases := []struct {
		n             int64
		elapsed, rate float64
		want          float64
	}{
		{4, 2, 2, 0},
		{8, 2, 2, 2},
		{8, 2, 0, 0},  // rate 0: no limit
		{8, 2, -1, 0}, // negative rate: no limit
		{8, 2, math.NaN(), 0},
		{0, 0, 2, 0},
		{5, 2, 2, 0.5},
	}
	for _, c := range cases {
		if got := SleepMaxMessages(c.n, c.elapsed, c.rate); got != c.want {
			t.Errorf("SleepMaxMessages(%d, %v, %v) = %v, want %v", c.n, c.elapsed, c.rate, got, c.want)
		}
	}
}

func TestSleepMaxBytes(t *testing.T) {
	cases := []struct {
		bytes         int64
		elapsed, rate float64
		want          float64
	}{
		{4000, 2, 2000, 0},
		{8000, 2, 2000, 2},
		{-1000, 2, 2000, 0}, // negative bytes
		{1000, 4, 1000, 0},  // negative sleep
		{8000, 2, 0, 0},
		{8000, 2, -2000, 0},
	}
	for _, c := range cases {
		if got := SleepMaxBytes(c.bytes, c.elapsed, c.rate); got != c.want {
			t.Errorf("SleepMaxBytes(%d, %v, %v) = %v, want %v", c.bytes, c.elapsed, c.rate, got, c.want)
		}
	}
}

func TestSleepIfNeeded(t *testing.T) {
	bps := ThrottleLimits{MaxBytesPerSecond: 1000, MaxSleep: DefaultMaxSleep}
	cases := []struct {
		name    string
		lim     ThrottleLimits
		msgs    int64
		bytes   int64
		elapsed float64
		want    float64
	}{
		{"no limits", ThrottleLimits{MaxSleep: DefaultMaxSleep}, 1000, 1e9, 1, 0},
		{"2200 B in 2 s at 1000 B/s", bps, 1, 2200, 2, 0.20},
		{"maxsleep 0.1 caps it", ThrottleLimits{MaxBytesPerSecond: 1000, MaxSleep: 0.1}, 1, 2200, 2, 0.10},
		{"maxbytesafter equal to bytes", ThrottleLimits{MaxBytesPerSecond: 1000, MaxBytesAfter: 2200, MaxSleep: DefaultMaxSleep}, 1, 2200, 2, 0},
		{"maxbytesafter 1000", ThrottleLimits{MaxBytesPerSecond: 1000, MaxBytesAfter: 1000, MaxSleep: DefaultMaxSleep}, 1, 2200, 1, 0.20},
		{"under the rate", bps, 1, 1500, 2, 0},
		{"default maxsleep caps at 2", bps, 1, 100000, 2, 2},
		{"maxsleep 0 never sleeps", ThrottleLimits{MaxBytesPerSecond: 1000}, 1, 100000, 2, 0},
		{"messages", ThrottleLimits{MaxMessagesPerSecond: 2, MaxSleep: DefaultMaxSleep}, 5, 0, 2, 0.5},
		{"max of both", ThrottleLimits{MaxMessagesPerSecond: 2, MaxBytesPerSecond: 1000, MaxSleep: DefaultMaxSleep}, 5, 3200, 2, 1.2},
		{"rounded to 0.01", bps, 1, 2001, 1.9, 0.1},
		{"rounded up", bps, 1, 2006, 1.9, 0.11},
		{"below 0.005 is no sleep", bps, 1, 2004, 2, 0},
		{"huge maxbytesafter does not wrap", ThrottleLimits{MaxBytesPerSecond: 1000, MaxBytesAfter: math.MaxInt64, MaxSleep: DefaultMaxSleep}, 1, math.MinInt64 + 5, 0, 0},
	}
	for _, c := range cases {
		if got := SleepIfNeeded(c.lim, c.msgs, c.bytes, c.elapsed); got != c.want {
			t.Errorf("%s: SleepIfNeeded = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRound2(t *testing.T) {
	for in, want := range map[float64]float64{
		0.2: 0.2, 0.199999: 0.2, 0.004: 0, 0.125: 0.12, 0.135: 0.14, 1.005: 1, 2: 2,
	} {
		if got := round2(in); got != want {
			t.Errorf("round2(%v) = %v, want %v", in, got, want)
		}
	}
}
