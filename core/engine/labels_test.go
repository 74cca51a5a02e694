package engine

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// gmailPair is two servers, host1 and host2, Gmail or not.
func gmailPair(t *testing.T, gmail1, gmail2 bool, localised2 bool) *pair {
	t.Helper()
	p := &pair{
		s1: imapmem.StartT(t, imapmem.Options{Gmail: gmail1}),
		s2: imapmem.StartT(t, imapmem.Options{Gmail: gmail2, GmailLocalised: localised2}),
	}
	p.u1 = p.s1.AddUser("alice", "secret1")
	p.u2 = p.s2.AddUser("bob", "secret2")
	return p
}

func labelMsg(i int) imapmem.Message {
	raw := fmt.Sprintf("From: sender%d@example.org\r\nTo: alice@example.org\r\nSubject: message %d\r\nMessage-Id: <m%d@example.org>\r\nDate: Mon, 1 Jun 2020 10:00:00 +0000\r\n\r\nbody %d\r\n", i, i, i, i)
	return imapmem.Message{Raw: []byte(raw), Date: time.Date(2020, 6, 1, 10, 0, 0, 0, time.UTC), Flags: []imap.Flag{imap.FlagSeen}}
}

var msgIDRe = regexp.MustCompile(`Message-Id: <([^>]+)>`)

// labelsByMsgID returns each message's labels by Message-Id, and fails on
// a Message-Id seen twice.
func labelsByMsgID(t *testing.T, u *imapmem.User) map[string]string {
	t.Helper()
	msgs, err := u.GmailMessages()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ids := map[uint64]bool{}
	for _, m := range msgs {
		id := msgIDRe.FindStringSubmatch(string(m.Raw))[1]
		if _, dup := out[id]; dup || ids[m.MsgID] {
			t.Errorf("message %s is twice in the account", id)
		}
		ids[m.MsgID] = true
		out[id] = strings.Join(m.Labels, " ")
	}
	return out
}

// labelCase seeds host1 with messages whose labels cycle through sets.
var labelSets = [][]string{
	{`\Inbox`},
	{`\Inbox`, "Work/2024", `\Important`},
	{"Work/2024"},
	{},
	{`\Sent`, "Été"},
}

func seedLabels(t *testing.T, u *imapmem.User, n int) map[string]string {
	t.Helper()
	want := map[string]string{}
	for i := 0; i < n; i++ {
		set := labelSets[i%len(labelSets)]
		if _, err := u.SeedLabels(labelMsg(i), set...); err != nil {
			t.Fatal(err)
		}
		s := slices.Clone(set)
		slices.Sort(s)
		want[fmt.Sprintf("m%d@example.org", i)] = strings.Join(s, " ")
	}
	return want
}

func labelOptions(t *testing.T, p *pair, out *bytes.Buffer) Options {
	o := p.options(t, out)
	o.SyncLabels, o.ResyncLabels, o.Gmail1 = true, true, true
	o.SkipCrossDuplicates = true
	o.Automap = true
	return o
}

func TestLabelsGmailToGmail(t *testing.T) {
	p := gmailPair(t, true, true, false)
	want := seedLabels(t, p.u1, 25)
	var out bytes.Buffer
	res, err := Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transferred != 25 || res.Errors.Count() != 0 {
		t.Fatalf("transferred %d, errors %d:\n%s", res.Transferred, res.Errors.Count(), out.String())
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("host2 labels:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(out.String(), "Labels: 20 messages of host2 got host1's labels, with 4 UID STORE") {
		t.Errorf("no labels line:\n%s", out.String())
	}

	// A rerun copies nothing and stores nothing.
	p.s2.Faults().ResetCounts()
	out.Reset()
	res, err = Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transferred != 0 || p.s2.Faults().Count("STORE")+p.s2.Faults().Count("APPEND") != 0 || res.LabelsSet != 0 {
		t.Errorf("rerun: transferred %d, %d STORE, %d APPEND, labels set %d", res.Transferred, p.s2.Faults().Count("STORE"), p.s2.Faults().Count("APPEND"), res.LabelsSet)
	}

	// A label changed on host1 is corrected by --resynclabels.
	msgs, _ := p.u1.GmailMessages()
	if err := p.u1.SetLabels(msgs[1].MsgID, "Personal", `\Inbox`); err != nil {
		t.Fatal(err)
	}
	want["m1@example.org"] = `Personal \Inbox`
	out.Reset()
	if res, err = Run(context.Background(), labelOptions(t, p, &out)); err != nil {
		t.Fatal(err)
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("after resync:\n got %v\nwant %v\n%s", got, want, out.String())
	}
	if res.LabelsSet != 1 {
		t.Errorf("resync set the labels of %d messages, want 1", res.LabelsSet)
	}
}

func TestLabelsBatching(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 messages")
	}
	p := gmailPair(t, true, true, false)
	want := seedLabels(t, p.u1, 1000)
	var out bytes.Buffer
	res, err := Run(context.Background(), labelOptions(t, p, &out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transferred != 1000 {
		t.Fatalf("transferred %d", res.Transferred)
	}
	if got := labelsByMsgID(t, p.u2); !mapsEqual(got, want) {
		t.Errorf("host2 labels differ from host1's")
	}
	f1, f2 := p.s1.Faults(), p.s2.Faults()
	stores := f2.Count("STORE") // STORE and UID STORE
	fetches := f1.Count("FETCH") + f2.Count("FETCH")
	t.Logf("1,000 messages, 5 label sets: %d STORE on host2, %d FETCH on both hosts, %d APPEND", stores, fetches, f2.Count("APPEND"))
	if stores >= 50 || fetches >= 50 {
		t.Errorf("%d STORE and %d FETCH: labels are not batched", stores, fetches)
	}
	var gm int
	for _, c := range append(f1.CommandsMatching("UID FETCH"), f2.CommandsMatching("UID FETCH")...) {
		if strings.Contains(c, "X-GM-LABELS") {
			gm++
		}
	}
	if gm != 2 {
		t.Errorf("%d FETCH of X-GM-LABELS, want 2 (one per side)", gm)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
