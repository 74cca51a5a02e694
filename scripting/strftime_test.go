package scripting

import (
	"testing"
	"time"
)

func TestStrftime(t *testing.T) {
	tm := time.Date(2024, 3, 5, 14, 7, 9, 0, time.FixedZone("", 3600))
	for f, want := range map[string]string{
		"%a %A %b %B":    "Tue Tuesday Mar March",
		"%d|%e|%j":       "05| 5|065",
		"%H %I %p %M %S": "14 02 PM 07 09",
		"%y %Y %m":       "24 2024 03",
		"%z %Z":          "+0100 +0100",
		"%F %T":          "2024-03-05 14:07:09",
		"%s":             "1709644029",
		"100%% at %F":    "100% at 2024-03-05",
	} {
		if got, err := strftime(tm, f); err != nil || got != want {
			t.Errorf("strftime(%q) = %q, %v; want %q", f, got, err, want)
		}
	}
	for _, bad := range []string{"%q", "ends with %"} {
		if _, err := strftime(tm, bad); err == nil {
			t.Errorf("strftime(%q) accepted", bad)
		}
	}
}
