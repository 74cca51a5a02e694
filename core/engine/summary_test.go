package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/state"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestUnchangedFolderFromTheStateSummary: a rerun settles an unchanged
// folder from the state without loading its mappings (state.Store.Scan),
// with the report a full load gives; where the summary cannot decide, the
// full load does, as before: two mappings sharing a host2 UID (fixed by
// the load), and --delete2 when host2 holds a message the state does not
// (deleted).
func TestUnchangedFolderFromTheStateSummary(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 5, 200)
	seedN(t, p.u1, "Archive", 4, 200)
	// A message only host2 has, before the first run.
	if err := p.u2.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <only2@x>\r\nSubject: only on host2\r\n\r\nx\r\n")}); err != nil {
		t.Fatal(err)
	}
	st := openState(t, t.TempDir())
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.State, opts.ResyncFlags = st, false
	rerun := func(wantUnchanged int) *Result {
		t.Helper()
		out.Reset()
		res := run(t, opts)
		if n := strings.Count(out.String(), "unchanged since the last run"); n != wantUnchanged || res.Errors.Count() != 0 {
			t.Fatalf("%d folders unchanged (want %d), %d errors\n%s", n, wantUnchanged, res.Errors.Count(), out.String())
		}
		return res
	}
	if res := rerun(0); res.Transferred != 9 {
		t.Fatalf("first run copied %d", res.Transferred)
	}
	res := rerun(2)
	c := res.Counters
	// Unchanged folders count the state's messages on both sides: the
	// message only host2 has is not among them (as with a full load).
	if res.Transferred != 0 || c.Skipped != 9 || c.IdentifiedHost1 != 9 || c.IdentifiedHost2 != 9 || c.In1Not2 != 0 {
		t.Errorf("rerun: transferred %d, skipped %d, identified %d/%d, in 1 not 2 %d\n%s",
			res.Transferred, c.Skipped, c.IdentifiedHost1, c.IdentifiedHost2, c.In1Not2, out.String())
	}

	// Two mappings sharing a host2 UID, the status kept: the full load
	// fixes the folder's state and still finds it unchanged.
	pair := func(folder string) state.FolderPair {
		t.Helper()
		s1, err1 := p.u1.Status(folder)
		s2, err2 := p.u2.Status(folder)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return state.FolderPair{Host1: opts.Host1.Host, User1: opts.Host1.User, Folder1: folder, Validity1: s1.UIDValidity,
			Host2: opts.Host2.Host, User2: opts.Host2.User, Folder2: folder, Validity2: s2.UIDValidity, Tag: (&engine{opts: opts}).stateTag()}
	}
	pa := pair("Archive")
	fs, err := st.Folder(pa)
	if err != nil || !fs.HasStatus || fs.Len() != 4 {
		t.Fatalf("Archive's state: %+v %v", fs, err)
	}
	var lastUID2 uint32
	fs.Range(func(_, uid2 uint32, _ string) bool { lastUID2 = uid2; return true })
	b := st.Batch(pa)
	b.Put(1000, lastUID2, "a key no message has")
	b.SetStatus(fs.Status1, fs.Status2)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Scan(pa, func(state.Summary) bool { return true }, func(uint32, uint32, []byte) {}); ok {
		t.Fatalf("the summary of a state with a shared host2 UID is ok")
	}
	rerun(2)
	if fs, _ := st.Folder(pa); len(fs.Conflicts) != 0 || fs.Len() != 4 {
		t.Errorf("Archive's state after the rerun: %d mappings, conflicts %v", fs.Len(), fs.Conflicts)
	}

	// --delete2: host2's INBOX holds one message more than the state, so
	// the folder is read and that message deleted.
	opts.Delete2, opts.UIDExpunge2, opts.Force = true, true, true
	rerun(1)
	msgs, err := p.u2.Messages("INBOX")
	if err != nil || len(msgs) != 5 || strings.Contains(string(msgs[0].Raw), "only2") {
		t.Errorf("--delete2 left %d messages in host2's INBOX (%v)", len(msgs), err)
	}
}
