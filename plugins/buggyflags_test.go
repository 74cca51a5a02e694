package plugins

import (
	"slices"
	"testing"
)

// TestFilterBuggyFlags drops the flags some servers invent (\RECEIPTCHECKED,
// \JUNK, \Indexed, ...) in any case. imapsync's expected string
// `\Deleted \Answered  \Draft  \Flagged  ` keeps the spaces of the removed
// flags; split into flags it is the list below.
func TestFilterBuggyFlags(t *testing.T) {
	h := flagger(t, "filterbuggyflags")
	for _, tt := range []struct{ in, want []string }{
		{
			[]string{`\Deleted`, `\Answered`, `\RECEIPTCHECKED`, `\Draft`, `\Indexed`, `\Flagged`, `\JUNK`, `\Junk`},
			[]string{`\Deleted`, `\Answered`, `\Draft`, `\Flagged`},
		},
		{BuggyFlags, []string{}},
		{[]string{`\x-has-attach`, `\$forwarded`, `\Seen`}, []string{`\Seen`}},
		{[]string{`\Seen`, `Junk`, `$Forwarded`, `\JunkMail`}, []string{`\Seen`, `Junk`, `$Forwarded`, `\JunkMail`}},
		{nil, nil},
	} {
		in := slices.Clone(tt.in)
		got, err := h.Flags(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Flags(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !slices.Equal(in, tt.in) {
			t.Errorf("Flags modified its input: %q", in)
		}
	}
}
