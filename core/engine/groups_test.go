package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/state"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// groupsN is PlanGroup in these tests: the seeded folders (30 to 70
// messages) make groups of one or two folders.
const groupsN = 80

// seedGroups fills host1 with five folders (one with a host1 duplicate)
// and host2 with part of two of them (one message with other flags) and
// a host2-only message.
func seedGroups(t *testing.T, p *pair) {
	t.Helper()
	seen := []imap.Flag{imap.FlagSeen}
	for f, n := range []int{30, 70, 45, 60, 35} {
		box := fmt.Sprintf("Box%d", f)
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("m%d", i))
		}
		if f == 2 {
			names = append(names, "m7") // a duplicate, in the same folder
		}
		seedFlags(t, p.u1, box, seen, names...)
		if f == 1 || f == 3 {
			seedFlags(t, p.u2, box, seen, names[:n/2]...)
			seedFlags(t, p.u2, box, nil, names[n/2])
			seedFlags(t, p.u2, box, nil, "only2")
		}
	}
}

// TestGroupsExactDestination: an account planned and carried out in
// groups of folders gives host2 the same messages, flags and dates as one
// plan of the whole account, with the same report figures; a rerun
// copies nothing.
func TestGroupsExactDestination(t *testing.T) {
	var snaps [2]map[string][]string
	var results [2]*Result
	for i, group := range []int{0, groupsN} {
		p := newPair(t)
		seedGroups(t, p)
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.PlanGroup = group
		opts.State = openState(t, t.TempDir())
		res := run(t, opts)
		if res.Errors.Count() != 0 {
			t.Fatalf("PlanGroup %d: errors %v\n%s", group, res.Errors.Records(), out.String())
		}
		if grouped := strings.Contains(out.String(), "++++ Group 2 of "); grouped != (group > 0) {
			t.Fatalf("PlanGroup %d: grouped %v\n%s", group, grouped, out.String())
		}
		onceEach(t, p)
		snaps[i], results[i] = snapshot(t, p.u2), res
		out.Reset()
		res = run(t, opts)
		if res.Errors.Count() != 0 || res.Transferred != 0 {
			t.Fatalf("PlanGroup %d: rerun: errors %v, transferred %d\n%s", group, res.Errors.Records(), res.Transferred, out.String())
		}
	}
	for box, msgs := range snaps[0] {
		if !slices.Equal(msgs, snaps[1][box]) {
			t.Errorf("folder %s differs between one plan and groups:\n%v\n%v", box, msgs, snaps[1][box])
		}
	}
	if len(snaps[0]) != len(snaps[1]) {
		t.Errorf("host2 folders: %d with one plan, %d with groups", len(snaps[0]), len(snaps[1]))
	}
	a, b := results[0].Counters, results[1].Counters
	if a.Transferred != b.Transferred || a.Skipped != b.Skipped || a.DupHost1 != b.DupHost1 || a.IdentifiedHost1 != b.IdentifiedHost1 ||
		a.IdentifiedHost2 != b.IdentifiedHost2 || a.In1Not2 != b.In1Not2 || a.In2Not1 != b.In2Not1 || a.FoldersSynced != b.FoldersSynced {
		t.Errorf("report figures differ:\none plan %+v\ngroups   %+v", a, b)
	}
}

// onceEach checks that every host1 message (by Message-ID) of every
// folder is in the same host2 folder exactly once.
func onceEach(t *testing.T, p *pair) {
	t.Helper()
	boxes, err := p.u1.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	for _, box := range boxes {
		ids := func(msgs []imapmem.StoredMessage) map[string]int {
			n := map[string]int{}
			for _, m := range msgs {
				id, _, _ := strings.Cut(string(m.Raw), "\r\n")
				n[id]++
			}
			return n
		}
		m1, _ := p.u1.Messages(box)
		m2, _ := p.u2.Messages(box)
		on2 := ids(m2)
		for id := range ids(m1) {
			if on2[id] != 1 {
				t.Errorf("%s: %s is %d times on host2", box, id, on2[id])
			}
		}
	}
}

// TestGroupsDryPrintsSamePlan: a dry run in groups prints the same
// message lines (copies, flag changes, deletions), folder by folder in
// the same order, as the plan of the whole account, and counts the same.
func TestGroupsDryPrintsSamePlan(t *testing.T) {
	p := newPair(t)
	seedGroups(t, p)
	var lines [2][]string
	var results [2]*Result
	for i, group := range []int{0, groupsN} {
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.Dry, opts.PlanGroup = true, group
		opts.Delete2, opts.Force = true, true
		res := run(t, opts)
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasSuffix(l, dry) && strings.HasPrefix(l, "msg ") || strings.Contains(l, "would get flags") || strings.Contains(l, `marked \Deleted`) {
				lines[i] = append(lines[i], l)
			}
		}
		results[i] = res
		if grouped := strings.Contains(out.String(), "++++ Group 2 of "); grouped != (group > 0) {
			t.Fatalf("PlanGroup %d: grouped %v\n%s", group, grouped, out.String())
		}
	}
	if len(lines[0]) < 150 || !slices.Equal(lines[0], lines[1]) {
		t.Fatalf("the plans differ (%d and %d lines):\n%s\n---\n%s", len(lines[0]), len(lines[1]), strings.Join(lines[0], "\n"), strings.Join(lines[1], "\n"))
	}
	a, b := results[0].Counters, results[1].Counters
	if a.WouldTransfer != b.WouldTransfer || a.DeletedHost2 != b.DeletedHost2 || a.WouldTransfer != int64(strings.Count(strings.Join(lines[1], "\n"), " copying to ")) {
		t.Fatalf("would transfer %d / %d, delete %d / %d", a.WouldTransfer, b.WouldTransfer, a.DeletedHost2, b.DeletedHost2)
	}
	if boxes, _ := p.u2.Mailboxes(); len(boxes) != 3 { // INBOX, Box1, Box3
		t.Fatalf("the dry runs changed host2: %v", boxes)
	}
}

// TestGroupsOnDovecot: between two Dovecots, with the state, an account
// carried out in groups lands on host2 once, and a rerun copies nothing.
func TestGroupsOnDovecot(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	total := 0
	for f, n := range []int{60, 50, 70} {
		var msgs []dovecot.Message
		for i := range n {
			msgs = append(msgs, dovecot.Message{Raw: fmt.Appendf(nil, "Message-ID: <g%d-%d@x>\r\nSubject: %d\r\n\r\nbody %d\r\n", f, i, i, i)})
		}
		if err := d1.Seed("user1", fmt.Sprintf("Box%d", f), msgs); err != nil {
			t.Fatal(err)
		}
		if f == 1 {
			if err := d2.Seed("user2", "Box1", msgs[:20]); err != nil {
				t.Fatal(err)
			}
		}
		total += n
	}
	var out bytes.Buffer
	opts := dovecotOptions(t, d1, d2, "user2", "secret2", &out)
	opts.PlanGroup = 100
	opts.State = openState(t, t.TempDir())
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != int64(total-20) || !strings.Contains(out.String(), "++++ Group 3 of 3") {
		t.Fatalf("errors %v, transferred %d (want %d)\n%s", res.Errors.Records(), res.Transferred, total-20, out.String())
	}
	if res.IdentifiedHost2 != int64(total) || res.DupHost2End != 0 || res.In1Not2 != 0 {
		t.Fatalf("host2 at the end: %d identities (want %d), %d duplicates, %d host1 messages missing\n%s", res.IdentifiedHost2, total, res.DupHost2End, res.In1Not2, out.String())
	}
	out.Reset()
	res = run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 0 {
		t.Fatalf("rerun: errors %v, transferred %d\n%s", res.Errors.Records(), res.Transferred, out.String())
	}
	out.Reset()
	opts.State = nil
	res = run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 0 || res.IdentifiedHost2 != int64(total) || !strings.Contains(out.String(), "++++ Group 3 of 3") {
		t.Fatalf("rerun without the state: errors %v, transferred %d, %d identities on host2\n%s", res.Errors.Records(), res.Transferred, res.IdentifiedHost2, out.String())
	}
}

// TestKeyOf: a key of the default form (identity.Key's digest) is its
// digest, both ways; any other string gets another ikey, also when it
// is 22 characters that are not a canonical base64 digest.
func TestKeyOf(t *testing.T) {
	k, ok := identity.Options{}.Key([]byte("Message-Id: <a@b>\r\n\r\n"), 10)
	if !ok {
		t.Fatal("no key")
	}
	d, plain := keyOf(k)
	if !plain || d.digestString() != k {
		t.Fatalf("key %q: plain %v, back %q", k, plain, d.digestString())
	}
	for _, other := range []string{k + ":10", k + "#1", "uid:42", k[:21] + "B", k[:21], ""} {
		o, plain := keyOf(other)
		if other == k[:21]+"B" && plain && o.digestString() == other {
			continue // another digest, given back as itself
		}
		if plain || o == d {
			t.Errorf("%q: plain %v, same ikey as %q: %v", other, plain, k, o == d)
		}
	}
	// The last character of a 16-byte digest carries 4 spare bits: a
	// string with them set is not the digest's key.
	last := k[:21] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", k[21])|1])
	if last != k {
		if o, plain := keyOf(last); plain || o == d {
			t.Errorf("%q (spare bits set): plain %v, same ikey %v", last, plain, o == d)
		}
	}
	if keyHash(k) != d.hash() || keyHash("uid:42") == keyHash("uid:43") {
		t.Error("keyHash does not follow ikey.hash")
	}
	// The strings of keys not of the default form are kept by UID.
	var fp folderPlan
	c := copyItem{uid: 7}
	fp.setKey(&c, k+":10")
	c2 := copyItem{uid: 8}
	fp.setKey(&c2, k)
	if fp.copyKey(c) != k+":10" || fp.copyKey(c2) != k || !c.oddKey || c2.oddKey || len(fp.oddKeys) != 1 {
		t.Errorf("copy keys %q, %q; odd %v %v; kept %v", fp.copyKey(c), fp.copyKey(c2), c.oddKey, c2.oddKey, fp.oddKeys)
	}
}

// TestOddKeysExactlyOnce: with keys not of the default form (every key
// with --noskipsize, ranked duplicates with --syncduplicates), a run in
// groups with the state copies each message once (each of three
// identical host1 messages once), and reruns with and without the state
// copy nothing.
func TestOddKeysExactlyOnce(t *testing.T) {
	p := newPair(t)
	for f, n := range []int{30, 50, 40} {
		box := fmt.Sprintf("Box%d", f)
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("m%d", i))
		}
		names = append(names, "m1", "m1") // three identical messages
		seedFlags(t, p.u1, box, nil, names...)
	}
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.PlanGroup = 60
	opts.Identity.NoSkipSize, opts.SyncDuplicates = true, true
	dir := t.TempDir()
	opts.State = openState(t, dir)
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 126 || !strings.Contains(out.String(), "++++ Group 3 of 3") {
		t.Fatalf("errors %v, transferred %d (want 126)\n%s", res.Errors.Records(), res.Transferred, out.String())
	}
	for f := range 3 {
		msgs, _ := p.u2.Messages(fmt.Sprintf("Box%d", f))
		n := map[string]int{}
		for _, m := range msgs {
			id, _, _ := strings.Cut(string(m.Raw), "\r\n")
			n[id]++
		}
		for id, c := range n {
			if want := map[bool]int{true: 3, false: 1}[strings.HasPrefix(id, "Message-ID: <m1@")]; c != want {
				t.Errorf("Box%d: %s is %d times on host2, want %d", f, id, c, want)
			}
		}
	}
	for _, state := range []bool{true, false} {
		out.Reset()
		if !state {
			opts.State = nil
		}
		res = run(t, opts)
		if res.Errors.Count() != 0 || res.Transferred != 0 {
			t.Fatalf("rerun (state %v): errors %v, transferred %d\n%s", state, res.Errors.Records(), res.Transferred, out.String())
		}
	}
}

// TestGroupsStateChunksCrash: with the state written in transactions of
// a few writes (stateChunk), a run in groups that dies right after any
// one of those commits (the state file as that commit left it, the
// groups after it not begun) is finished by a rerun that copies every
// missing message once and nothing twice: host2 ends as after one
// uninterrupted run, and a second rerun copies nothing. Some of those
// commits end in the middle of a folder's mappings, before its status:
// the rerun must not take that folder as unchanged.
func TestGroupsStateChunksCrash(t *testing.T) {
	defer func(n int) { stateChunk, stateCommitted = n, nil }(stateChunk)
	stateChunk = 7
	ref := newPair(t)
	seedGroups(t, ref)
	var out bytes.Buffer
	opts := ref.options(t, &out)
	opts.PlanGroup = groupsN
	opts.State = openState(t, t.TempDir())
	commits := 0
	stateCommitted = func(error) { commits++ }
	first := run(t, opts)
	if first.Errors.Count() != 0 {
		t.Fatalf("errors %v\n%s", first.Errors.Records(), out.String())
	}
	stateCommitted = nil
	want := snapshot(t, ref.u2)
	if commits < 30 {
		t.Fatalf("%d state commits: the state was not written in chunks", commits)
	}
	// Every folder's mappings and status were written: a rerun reads
	// only what is new since the state (imapmem has no CONDSTORE: the
	// flags are compared) in the folders where host1 and host2 hold
	// exactly the state's messages (Box0, Box4, INBOX: the others have a
	// duplicate or a host2-only message), and counts the identities as
	// the first run did from the headers.
	out.Reset()
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 0 || strings.Count(out.String(), "read since the last run: 0 new messages") != 3 ||
		res.IdentifiedHost1 != first.IdentifiedHost1 || res.IdentifiedHost2 != first.IdentifiedHost2 {
		t.Fatalf("rerun: errors %v, transferred %d, identities %d/%d (want %d/%d)\n%s", res.Errors.Records(), res.Transferred,
			res.IdentifiedHost1, res.IdentifiedHost2, first.IdentifiedHost1, first.IdentifiedHost2, out.String())
	}
	for _, at := range []int{1, 3, commits / 3, commits / 2, commits - 2} {
		t.Run(fmt.Sprintf("commit%d", at), func(t *testing.T) {
			p := newPair(t)
			seedGroups(t, p)
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			st, err := state.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.PlanGroup = groupsN
			opts.State = st
			opts.Journal = filepath.Join(dir, "journal")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var saved []byte
			n := 0
			stateCommitted = func(err error) {
				if n++; n == at {
					if saved, err = os.ReadFile(path); err != nil {
						t.Error(err)
					}
					cancel() // the next group does not begin
				}
			}
			if _, err := Run(ctx, opts); err != nil {
				t.Fatal(err)
			}
			stateCommitted = nil
			st.Close()
			if saved == nil {
				t.Fatalf("commit %d never came\n%s", at, out.String())
			}
			if err := os.WriteFile(path, saved, 0o600); err != nil {
				t.Fatal(err)
			}
			// The rerun, with the state as the dead run left it.
			opts.State = openState(t, dir)
			out.Reset()
			res := run(t, opts)
			if res.Errors.Count() != 0 {
				t.Fatalf("rerun: errors %v\n%s", res.Errors.Records(), out.String())
			}
			onceEach(t, p)
			got := snapshot(t, p.u2)
			for box, msgs := range want {
				if !slices.Equal(msgs, got[box]) {
					t.Errorf("folder %s differs from one uninterrupted run:\n%v\n%v", box, got[box], msgs)
				}
			}
			if len(got) != len(want) {
				t.Errorf("host2 folders: %d, want %d", len(got), len(want))
			}
			out.Reset()
			if res = run(t, opts); res.Errors.Count() != 0 || res.Transferred != 0 {
				t.Fatalf("second rerun: errors %v, transferred %d\n%s", res.Errors.Records(), res.Transferred, out.String())
			}
		})
	}
}

// TestCompareUnions: the account's identities counted by merging the
// folders' settled sets are those of one set of the whole account:
// overlapping folders, empty ones, repeated hashes across folders.
func TestCompareUnions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var sets [2][]hashSet
		var all [2]hashSet
		for s := range 2 {
			for range r.IntN(6) {
				var h hashSet
				for range r.IntN(40) {
					h = append(h, r.Uint64N(60))
				}
				h = h.settle()
				sets[s] = append(sets[s], h)
				all[s] = append(all[s], h...)
			}
			all[s] = all[s].settle()
		}
		n1, n2, a, b := compareUnions(sets[0], sets[1])
		if n1 != int64(len(all[0])) || n2 != int64(len(all[1])) || a != all[0].notIn(all[1]) || b != all[1].notIn(all[0]) {
			t.Fatalf("round %d: %d %d %d %d, want %d %d %d %d", round, n1, n2, a, b, len(all[0]), len(all[1]), all[0].notIn(all[1]), all[1].notIn(all[0]))
		}
	}
}
