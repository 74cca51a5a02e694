package report

import (
	"fmt"
	"math"
	"strconv"
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

// BytesDec renders a byte count in decimal units: "999 bytes" below 1000,
// then KB, MB, GB, TB, PB with three decimals. A unit is used while the
// rounded figure stays below 1000, so 999999 is "999.999 KB" and 999999500
// is "1.000 GB" (spec 7.6 bytes_display_string_dec).
func BytesDec(n int64) string {
	a := n
	if a < 0 {
		a = -a
	}
	if a < 1000 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	units := [...]string{"KB", "MB", "GB", "TB"}
	div := int64(1000)
	for _, u := range units {
		// a/div rounds to 1000.000 from 999.9995×div on: switch unit there.
		if a < 1<<60 && 2*a < 2*div*1000-div/1000 {
			return fmt.Sprintf("%.3f %s", float64(n)/float64(div), u)
		}
		div *= 1000
	}
	return fmt.Sprintf("%.3f PB", float64(n)/float64(div))
}
