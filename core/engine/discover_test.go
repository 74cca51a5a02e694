package engine

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// subscribing lists the folders a run's output says it subscribes on
// host2, sorted.
func subscribing(out string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^Host2: Subscribing to folder (.*)$`).FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// TestListGivesSubscriptionsAndStatus: with LIST-EXTENDED and LIST-STATUS
// a rerun with the state learns the folders, their subscriptions and
// their STATUS from one LIST a side (NAMESPACE beside it): no other LIST,
// no STATUS. What it subscribes is what every subscription says, those
// of names with no folder included: a host2 subscription that outlived
// its folder is not sent again, and --subscribed still warns about a
// host1 subscription with no folder.
func TestListGivesSubscriptionsAndStatus(t *testing.T) {
	p := newPair(t)
	for _, f := range []string{"INBOX", "Archive", "Old", "New"} {
		seedN(t, p.u1, f, 3, 200)
	}
	p.u1.Subscribe("INBOX", "Archive", "Gone", "New")
	p.u2.Subscribe("Archive") // a subscription whose folder host2 lacks
	st := openState(t, t.TempDir())
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.State = st
	opts.ResyncFlags = false // imapmem has no CONDSTORE: unchanged folders are skipped only so
	if res := run(t, opts); res.Transferred != 12 || res.Errors.Count() != 0 {
		t.Fatalf("first run: %d copied, %d errors\n%s", res.Transferred, res.Errors.Count(), out.String())
	}
	if got, want := subscribing(out.String()), []string{"INBOX", "New"}; !slices.Equal(got, want) {
		t.Errorf("first run subscribes %q, want %q\n%s", got, want, out.String())
	}
	if subs, _ := p.u2.Subscribed(); !slices.Equal(subs, []string{"INBOX", "Archive", "New"}) {
		t.Errorf("host2 subscriptions %q", subs)
	}

	for _, s := range []*imapmem.Server{p.s1, p.s2} {
		s.Faults().ResetCounts()
	}
	out.Reset()
	if res := run(t, opts); res.Transferred != 0 || res.Errors.Count() != 0 {
		t.Fatalf("rerun: %d copied, %d errors\n%s", res.Transferred, res.Errors.Count(), out.String())
	}
	if n := strings.Count(out.String(), "unchanged since the last run"); n != 4 {
		t.Errorf("rerun: %d folders unchanged, want 4\n%s", n, out.String())
	}
	for i, s := range []*imapmem.Server{p.s1, p.s2} {
		lists, status := s.Faults().CommandsMatching("LIST"), s.Faults().CommandsMatching("STATUS")
		if len(lists) != 1 || !strings.Contains(lists[0], "RETURN (SUBSCRIBED STATUS (") || len(status) != 0 {
			t.Errorf("host%d: rerun sent LIST %q and STATUS %q, want one LIST with the subscriptions and STATUS", i+1, lists, status)
		}
	}
	if got := subscribing(out.String()); len(got) != 0 {
		t.Errorf("rerun subscribes %q", got)
	}

	// --subscribed needs every host1 subscription: "Gone" has no folder.
	out.Reset()
	opts.Selection.Subscribed = true
	run(t, opts)
	if !strings.Contains(out.String(), "Host1: warning! ignoring folder Gone because it is not in host1 whole folders list.") {
		t.Errorf("--subscribed: no warning about the subscription without folder\n%s", out.String())
	}
}
