package report

import (
	"fmt"
	"math"
)

const kibi = 1024.0

// BytesBin renders a byte count in binary units with three decimals, as
// imapsync's bytes_display_string_bin: KiB below 1000 KiB, then MiB, GiB,
// TiB and PiB, each used below 1000 of itself (thresholds 1000×1024^k,
// compared on the absolute value so that negative differences read well).
// Example: 973337 → "950.524 KiB", 0 → "0.000 KiB".
func BytesBin(n int64) string {
	f := float64(n)
	a := math.Abs(f)
	units := [...]string{"KiB", "MiB", "GiB", "TiB"}
	div := kibi
	for _, u := range units {
		if a < 1000*div {
			return fmt.Sprintf("%.3f %s", f/div, u)
		}
		div *= kibi
	}
	return fmt.Sprintf("%.3f PiB", f/div)
}
