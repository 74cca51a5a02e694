package dates

import (
	"math"
	"strconv"
)

// DefaultMaxSleep is imapsync's --maxsleep default, in seconds.
const DefaultMaxSleep = 2.0

// SleepMaxMessages returns how long to sleep, in seconds, so that n messages
// transferred over elapsed seconds average no more than rate messages per
// second: max(0, n/rate − elapsed). A rate ≤ 0 (or NaN) means no limit and
// gives 0. Examples: (4, 2, 2) → 0; (8, 2, 2) → 2.
func SleepMaxMessages(n int64, elapsed, rate float64) float64 {
	return sleepFor(float64(n), elapsed, rate)
}

// SleepMaxBytes is SleepMaxMessages for bytes: max(0, bytes/rate −
// elapsed), 0 when rate ≤ 0. A negative byte count (bytes not yet past
// --maxbytesafter) gives 0. Examples: (4000, 2, 2000) → 0;
// (8000, 2, 2000) → 2.
func SleepMaxBytes(bytes int64, elapsed, rate float64) float64 {
	return sleepFor(float64(bytes), elapsed, rate)
}

func sleepFor(amount, elapsed, rate float64) float64 {
	if !(rate > 0) {
		return 0
	}
	s := amount/rate - elapsed
	if !(s > 0) { // also maps NaN to 0
		return 0
	}
	return s
}

// ThrottleLimits are the throttling options of imapsync (spec 3.8).
type ThrottleLimits struct {
	// MaxMessagesPerSecond is --maxmessagespersecond; ≤ 0 means unlimited.
	MaxMessagesPerSecond float64
	// MaxBytesPerSecond is --maxbytespersecond; ≤ 0 means unlimited.
	MaxBytesPerSecond float64
	// MaxBytesAfter is --maxbytesafter: only the bytes beyond it count
	// toward MaxBytesPerSecond.
	MaxBytesAfter int64
	// MaxSleep is --maxsleep, the cap of one sleep in seconds. It is taken
	// as given, so 0 (the zero value) disables sleeping; set it to
	// DefaultMaxSleep for imapsync's default.
	MaxSleep float64
}

// SleepIfNeeded returns the sleep imapsync's sleep_if_needed makes after a
// copy, in seconds rounded to 0.01 (as printed in "sleeping 0.20 s"), or 0
// for no sleep. msgs and bytes are the totals transferred and elapsed the
// seconds since the transfer loop began (a long-run average, not a bucket):
//
//	min(MaxSleep, max(SleepMaxMessages(msgs, elapsed, MaxMessagesPerSecond),
//	                  SleepMaxBytes(bytes−MaxBytesAfter, elapsed, MaxBytesPerSecond)))
//
// It is 0 when neither rate is set. Example: 2200 bytes after 2 s at
// 1000 B/s → 0.20; with MaxSleep 0.1 → 0.10; with MaxBytesAfter 2200 → 0.
func SleepIfNeeded(lim ThrottleLimits, msgs, bytes int64, elapsed float64) float64 {
	if !(lim.MaxMessagesPerSecond > 0) && !(lim.MaxBytesPerSecond > 0) {
		return 0
	}
	// bytes − MaxBytesAfter in float64: it cannot wrap around.
	over := float64(bytes) - float64(lim.MaxBytesAfter)
	s := max(SleepMaxMessages(msgs, elapsed, lim.MaxMessagesPerSecond),
		sleepFor(over, elapsed, lim.MaxBytesPerSecond))
	s = min(lim.MaxSleep, s)
	s = round2(s)
	if !(s > 0) {
		return 0
	}
	return s
}

// round2 rounds to two decimals the way printf("%.2f") does (correctly
// rounded from the binary value), which is what imapsync sleeps and prints.
func round2(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	if err != nil {
		return x
	}
	return r
}
