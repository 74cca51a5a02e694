package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/state"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

func openState(t *testing.T, dir string) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestStateAcrossRuns runs --usecache and --useuid three times, deleting
// the state before the third: never a duplicate, never a loss, and the
// second run skips every unchanged folder without fetching anything.
func TestStateAcrossRuns(t *testing.T) {
	for _, useUID := range []bool{false, true} {
		name := "usecache"
		if useUID {
			name = "useuid"
		}
		t.Run(name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 20, 300)
			seedN(t, p.u1, "Archive", 10, 300)
			dir := t.TempDir()
			runWith := func(st *state.Store) *Result {
				var out bytes.Buffer
				opts := p.options(t, &out)
				opts.State, opts.UseUID = st, useUID
				res := run(t, opts)
				if res.Errors.Count() != 0 {
					t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
				}
				st.Close()
				return res
			}
			if res := runWith(openState(t, dir)); res.Transferred != 30 {
				t.Fatalf("first run transferred %d", res.Transferred)
			}
			p.s1.Faults().ResetCounts()
			p.s2.Faults().ResetCounts()
			if res := runWith(openState(t, dir)); res.Transferred != 0 {
				t.Fatalf("second run transferred %d", res.Transferred)
			}
			// imapmem has no CONDSTORE: flags are read (FLAGS only), but
			// no header, on either side.
			for _, s := range []*imapmem.Server{p.s1, p.s2} {
				for _, c := range s.Faults().Commands() {
					if strings.Contains(c, "FETCH") && (strings.Contains(c, "BODY") || strings.Contains(c, "RFC822")) {
						t.Fatalf("second run read headers, unchanged folders must be skipped: %v", s.Faults().Commands())
					}
				}
			}
			// New mail on host1 is copied.
			p.u1.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <new@x>\r\nSubject: new\r\n\r\nnew\r\n")})
			if res := runWith(openState(t, dir)); res.Transferred != 1 {
				t.Fatalf("third run transferred %d, want the new message", res.Transferred)
			}
			// State lost: headers are compared, nothing is duplicated.
			os.RemoveAll(dir)
			os.MkdirAll(dir, 0o700)
			if res := runWith(openState(t, dir)); res.Transferred != 0 {
				t.Fatalf("run without state transferred %d (duplicates)", res.Transferred)
			}
			assertExactlyOnce(t, p, &bytes.Buffer{})
		})
	}
}

// TestUIDValidityChangeFallsBack deletes and recreates a host2 folder
// between runs: the state of that folder is dropped and headers decide,
// so the missing messages are copied back once.
func TestUIDValidityChangeFallsBack(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "Archive", 5, 300)
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.State, opts.UseUID = openState(t, dir), true
		res := run(t, opts)
		opts.State.Close()
		if res.Errors.Count() != 0 || res.Transferred != 5 {
			t.Fatalf("run %d: transferred %d, errors %v\n%s", i, res.Transferred, res.Errors.Records(), out.String())
		}
		if i == 0 {
			c, err := conn.Dial(t.Context(), opts.Host2)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Delete("Archive").Wait(); err != nil {
				t.Fatal(err)
			}
			if err := c.Create("Archive", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	}
	assertExactlyOnce(t, p, &bytes.Buffer{})
}

// TestUseUIDVerifiesLostAppends: under --useuid, APPENDs whose answer was
// lost with the connection are looked up on host2 by their headers, so
// none is copied twice.
func TestUseUIDVerifiesLostAppends(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 10, 300)
	dir := t.TempDir()
	runWith := func() *Result {
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.State, opts.UseUID, opts.Parallel = openState(t, dir), true, 1
		res := run(t, opts)
		opts.State.Close()
		if res.Errors.Count() != 0 {
			t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
		}
		return res
	}
	runWith()
	for i := 0; i < 30; i++ {
		p.u1.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <late" + string(rune('a'+i)) + "@x>\r\nSubject: late\r\n\r\nx\r\n")})
	}
	p.s2.Faults().DropAfterCommands("APPEND", 12)
	if res := runWith(); res.ReconnectHost2 == 0 || res.Transferred != 30 {
		t.Fatalf("reconnections %d, transferred %d", res.ReconnectHost2, res.Transferred)
	}
	assertExactlyOnce(t, p, &bytes.Buffer{})
}

// TestStateForgetsExpungedMessages expunges a host1 message between two
// --usecache runs: the second run drops its entry from the state.
func TestStateForgetsExpungedMessages(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 5, 300)
	dir := t.TempDir()
	var opts Options
	runOnce := func() {
		var out bytes.Buffer
		opts = p.options(t, &out)
		opts.State = openState(t, dir)
		if res := run(t, opts); res.Errors.Count() != 0 {
			t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
		}
		opts.State.Close()
	}
	entries := func() map[uint32]bool {
		st := openState(t, dir)
		defer st.Close()
		s1, err1 := p.u1.Status("INBOX")
		s2, err2 := p.u2.Status("INBOX")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		fs, err := st.Folder(state.FolderPair{
			Host1: opts.Host1.Host, User1: opts.Host1.User, Folder1: "INBOX", Validity1: s1.UIDValidity,
			Host2: opts.Host2.Host, User2: opts.Host2.User, Folder2: "INBOX", Validity2: s2.UIDValidity,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint32]bool{}
		fs.Range(func(uid1, _ uint32, _ string) bool { got[uid1] = true; return true })
		return got
	}
	runOnce()
	if got := entries(); len(got) != 5 || !got[2] {
		t.Fatalf("after the first run the state holds host1 UIDs %v, want 1..5", got)
	}
	c, err := conn.Dial(t.Context(), opts.Host1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	runOnce()
	if got := entries(); len(got) != 4 || got[2] {
		t.Fatalf("after host1 expunged UID 2 the state holds host1 UIDs %v, want 1, 3, 4, 5", got)
	}
}
