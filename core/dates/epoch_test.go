package dates

import "testing"

func TestEpoch(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		// spec 7.5 epoch vectors
		{"24-Aug-2010 16:00:00 +0200", 1282658400, true},
		{"24-Aug-2010 14:00:00 +0000", 1282658400, true},
		{"24-Aug-2010 12:00:00 -0200", 1282658400, true},
		{"24-Aug-2010 16:01:00 +0201", 1282658400, true},
		{"1-Aug-2010 16:00:00 +0200", 1280671200, true},
		// day 00 is fixed to 01
		{"00-Aug-2010 16:00:00 +0200", 1280671200, true},
		{"0-Aug-2010 16:00:00 +0200", 1280671200, true},
		// quoted and space-padded INTERNALDATE, any month case
		{`"24-Aug-2010 16:00:00 +0200"`, 1282658400, true},
		{" 1-AUG-2010 16:00:00 +0200", 1280671200, true},
		{"01-Jan-1970 00:00:00 +0000", 0, true},
		// not IMAP date-times
		{"", 0, false},
		{"24-Aug-2010 16:00:00", 0, false},
		{"Tue, 24 Aug 2010 16:00:00 +0200", 0, false},
		{"24-Foo-2010 16:00:00 +0200", 0, false},
		{"31-Feb-2010 16:00:00 +0200", 0, false},
		{"24-Aug-2010 24:00:00 +0200", 0, false},
		{"24-Aug-2010 16:00:00 +0260", 0, false},
	}
	for _, c := range cases {
		got, ok := Epoch(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("Epoch(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestEpochOfFormatIMAP checks Epoch against GoodDate for every parseable
// good_date vector.
func TestEpochOfFormatIMAP(t *testing.T) {
	for _, v := range goodDateVectors {
		d, ok := GoodDate(v.in)
		if !ok {
			continue
		}
		e, ok := Epoch(FormatIMAP(d))
		if !ok || e != d.Unix() {
			t.Errorf("Epoch(FormatIMAP(GoodDate(%q))) = %d, %v; want %d", v.in, e, ok, d.Unix())
		}
	}
}
