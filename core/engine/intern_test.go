package engine

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/dates"
)

// TestPackDate: a packed date comes back as the same instant, printed
// the same way in an APPEND, for offsets east and west, dates before
// 1970 and the zero time.
func TestPackDate(t *testing.T) {
	for _, s := range []string{
		"04-Mar-2021 05:06:07 +0000",
		"04-Mar-2021 05:06:07 -0700",
		"31-Dec-1969 23:59:59 +0530",
		"01-Jan-1901 00:00:00 -1200",
		"29-Feb-2096 12:00:00 +1400",
	} {
		d, err := time.Parse(dates.IMAPLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		got := unpackDate(packDate(d))
		if !got.Equal(d) || got.Format(dates.IMAPLayout) != s {
			t.Errorf("%s came back as %s", s, got.Format(dates.IMAPLayout))
		}
	}
	if got := unpackDate(packDate(time.Time{})); !got.IsZero() {
		t.Errorf("the zero time came back as %v", got)
	}
	var c copyItem
	c.setFlags([]imap.Flag{imap.FlagSeen, "$Label1"})
	if f := c.flags(); len(f) != 2 || f[0] != imap.FlagSeen || f[1] != "$Label1" {
		t.Errorf("flags came back as %v", f)
	}
	if c.setFlags(nil); c.flags() != nil {
		t.Errorf("no flags came back as %v", c.flags())
	}
}

// TestHashSet: the account's key counts (identified, in one side and not
// the other) come out of sorted hashes as out of sets.
func TestHashSet(t *testing.T) {
	a := hashSet{5, 1, 3, 3, 9, 1}.settle()
	b := hashSet{3, 4, 9, 9, 10}.settle()
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("settled %v and %v", a, b)
	}
	if n := a.notIn(b); n != 2 { // 1, 5
		t.Errorf("a not in b: %d, want 2", n)
	}
	if n := b.notIn(a); n != 2 { // 4, 10
		t.Errorf("b not in a: %d, want 2", n)
	}
	if n := a.notIn(nil); n != 4 {
		t.Errorf("a not in nothing: %d, want 4", n)
	}
}
