package mailbox

import (
	"slices"
	"testing"
)

func TestIsInbox(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"INBOX", true}, {"Inbox", true}, {"inbox", true}, {"iNbOx", true},
		{"INBOX.", false}, {"INBOXes", false}, {"", false}, {"INB0X", false},
		{"ınbox", false}, // Turkish dotless i is not ASCII
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := IsInbox(tc.in); got != tc.want {
				t.Errorf("IsInbox(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParents(t *testing.T) {
	for _, tc := range []struct {
		name, in, sep string
		want          []string
	}{
		{"top level", "a", "/", nil},
		{"two levels", "a/b/c", "/", []string{"a", "a/b"}},
		{"dot", "INBOX.Sent.2024", ".", []string{"INBOX", "INBOX.Sent"}},
		{"blanks trimmed", "x / y /z", "/", []string{"x", "x / y"}},
		{"leading separator", "/a", "/", nil},
		{"blank parent", " /a", "/", nil},
		{"empty level", "a//b", "/", []string{"a", "a/"}},
		{"no separator", "a/b", "", nil},
		{"multi-char separator", `a\\b\\c`, `\\`, []string{"a", `a\\b`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parents(tc.in, tc.sep); !slices.Equal(got, tc.want) {
				t.Errorf("Parents(%q, %q) = %q, want %q", tc.in, tc.sep, got, tc.want)
			}
		})
	}
}

func TestSort(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, want []string
	}{
		{"ascii byte order", []string{"b", "INBOX", "a", "B"}, []string{"B", "INBOX", "a", "b"}},
		{"utf7 order, not utf8", []string{"Donna", "Données", "Doz"}, []string{"Données", "Donna", "Doz"}},
		{"ampersand", []string{"A", "&", "A&B"}, []string{"&", "A", "A&B"}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Clone(tc.in)
			Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Sort(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if Compare("Données", "Donna") >= 0 || Compare("a", "a") != 0 {
		t.Errorf("Compare disagrees with Sort")
	}
}
