package plugins

import (
	"strconv"
	"strings"
	"testing"
)

func TestSizeSkips(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		size   int64
		skip   bool
		reason string
	}{
		{"maxsize", []string{"100"}, 99, false, ""},
		{"maxsize", []string{"100"}, 100, true, "100 exceeds or equals maxsize limit 100 bytes"},
		{"maxsize", []string{"100"}, 101, true, "101 exceeds or equals maxsize limit 100 bytes"},
		{"maxsize", []string{"10", "100"}, 50, false, ""}, // the last value wins
		{"maxsize", []string{"45_000_000"}, 45_000_000, true, ""},
		{"minsize", []string{"100"}, 100, true, "100 smaller than minsize 100 bytes"},
		{"minsize", []string{"100"}, 101, false, ""},
		{"minsize", []string{"0"}, 0, true, ""},
		{"minsize", []string{"0"}, 1, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+strings.Join(tt.values, ",")+"/"+strconv.FormatInt(tt.size, 10), func(t *testing.T) {
			loads := 0
			m := lazyMsg("Subject: x\r\n\r\n", "Subject: x\r\n\r\nbody\r\n", &loads)
			m.Size = tt.size
			reason, err := skipper(t, tt.name, tt.values...).Skip(m)
			if err != nil {
				t.Fatal(err)
			}
			if (reason != "") != tt.skip {
				t.Fatalf("skip = %q, want skip %v", reason, tt.skip)
			}
			if tt.reason != "" && reason != tt.reason {
				t.Errorf("reason = %q, want %q", reason, tt.reason)
			}
			if loads != 0 {
				t.Errorf("a header-only hook fetched the body")
			}
		})
	}
}

func TestNumericValueErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
	}{
		{"maxsize", nil}, {"maxsize", []string{"abc"}}, {"maxsize", []string{"0"}},
		{"maxsize", []string{"-1"}}, {"maxsize", []string{"1__0"}}, {"maxsize", []string{"_10"}},
		{"minsize", []string{"-1"}}, {"minsize", []string{"1.5"}},
		{"truncmess", []string{"0"}}, {"truncmess", nil},
		{"maxlinelength", []string{"0"}}, {"maxlinelength", []string{""}},
	} {
		if _, err := Build(tt.name, tt.values); err == nil {
			t.Errorf("Build(%q, %q) accepted", tt.name, tt.values)
		}
	}
}
