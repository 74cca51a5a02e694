package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/state"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/faultproxy"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestSmallRerunOnMainConnections: a rerun with the state whose changes
// are small (a few new messages and flag changes in every folder) reads
// every folder's changes on the main connections and copies with them,
// with Parallel 4: one connection to host1 and, to host2, main and the
// APPEND connection of main, counted by proxies in front of real
// Dovecots. Each folder is opened once on each side (STATUS apart): on
// host1 the new bodies come with their headers (earlyBodies), on host2
// the flags are set in the read of the flags (earlyStores); one APPEND a
// folder. Host2 ends with exactly host1's messages: bytes, flags and
// internal dates, each once. Every APPEND batch the journal recorded was
// settled.
func TestSmallRerunOnMainConnections(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{})
	d2 := dovecot.StartT(t, dovecot.Options{})
	folders := []string{"INBOX", "Archive", "Lists/go"}
	msg := func(folder string, i, size int) []byte {
		return []byte(fmt.Sprintf("Message-ID: <sr%d@%s>\r\nSubject: %d\r\n\r\n%s\r\n", i, strings.ReplaceAll(folder, "/", "."), i, strings.Repeat("x", size)))
	}
	var seed []dovecot.Folder
	for _, f := range folders {
		var msgs []dovecot.Message
		for i := 0; i < 20; i++ {
			msgs = append(msgs, dovecot.Message{Raw: msg(f, i, 100+i*50), Flags: []string{`\Seen`, "$Label1"}[:1+i%2],
				Date: time.Date(2020, 3, 1, i, 0, 0, 0, time.UTC)})
		}
		seed = append(seed, dovecot.Folder{Name: f, Msgs: msgs})
	}
	if err := d1.SeedMany("user1", seed); err != nil {
		t.Fatal(err)
	}
	proxy := func(d *dovecot.Server) *faultproxy.Proxy {
		p, err := faultproxy.Start(d.Addr(), faultproxy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	p1, p2 := proxy(d1), proxy(d2)
	dir := t.TempDir()
	sync := func(trace1, trace2 *lockedWriter) string {
		t.Helper()
		var out bytes.Buffer
		opts := dovecotOptions(t, d1, d2, "user1", "secret1", &out)
		opts.Host1.Host, opts.Host1.Port = p1.Host(), p1.Port()
		opts.Host2.Host, opts.Host2.Port = p2.Host(), p2.Port()
		opts.Parallel = 4
		if trace1 != nil {
			opts.Host1.Trace, opts.Host2.Trace = trace1, trace2
		}
		opts.State = openState(t, dir)
		opts.Journal = filepath.Join(dir, "journal")
		res := run(t, opts)
		opts.State.Close()
		if res.Errors.Count() != 0 {
			t.Fatalf("errors %v\n%s", res.Errors.Records(), out.String())
		}
		// Every APPEND batch recorded (ahead of the copies, with one
		// sync) was settled: the journal is gone.
		if _, err := os.Stat(opts.Journal); !os.IsNotExist(err) {
			t.Fatalf("the journal is left after the run: %v\n%s", err, out.String())
		}
		return out.String()
	}
	sync(nil, nil)
	// A day on host1: in each folder 4 new messages (one of 10 KB, above
	// go-imap's 4 KiB literal), 3 flags changed.
	c, err := conn.Dial(t.Context(), &conn.Config{Side: 1, Host: d1.Host, Port: d1.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		for i := 20; i < 24; i++ {
			raw := msg(f, i, 200+(i%2)*10_000)
			cmd := c.Append(f, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagFlagged, "$Label2"}[:i%3], Time: time.Date(2021, 7, 1, i, 0, 0, 0, time.UTC)})
			cmd.Write(raw)
			cmd.Close()
			if _, err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Select(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		for _, ch := range []struct {
			seq  uint32
			op   imap.StoreFlagsOp
			flag imap.Flag
		}{{2, imap.StoreFlagsAdd, imap.FlagAnswered}, {5, imap.StoreFlagsDel, imap.FlagSeen}, {9, imap.StoreFlagsAdd, "$Label3"}} {
			var s imap.SeqSet
			s.AddNum(ch.seq)
			if err := c.Store(s, &imap.StoreFlags{Op: ch.op, Silent: true, Flags: []imap.Flag{ch.flag}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.Close()
	before1, before2 := p1.Stats().Conns, p2.Stats().Conns
	var trace1, trace2 lockedWriter
	out := sync(&trace1, &trace2)
	conns1, conns2 := p1.Stats().Conns-before1, p2.Stats().Conns-before2
	// The 3 flags of each folder set (in host2's read: earlyStores).
	if n := strings.Count(out, " flags set to ("); n != 3*len(folders) {
		t.Errorf("%d flags set, want %d", n, 3*len(folders))
	}
	for _, f := range folders {
		if want := "[" + f + "]: read since the last run: 4 new messages (0 copied by the last run, 4 to copy), 3 flags compared, 0 expunged"; !strings.Contains(out, want) {
			t.Errorf("no line %q", want)
		}
		if got, want := dovecotContents(t, d2, "user1", "secret1", f), dovecotContents(t, d1, "user1", "secret1", f); got != want {
			t.Errorf("folder %s differs:\nhost2\n%s\nhost1\n%s", f, got, want)
		}
	}
	// Host2: main, and main's APPEND connection.
	if conns1 != 1 || conns2 != 2 {
		t.Errorf("the rerun opened %d connections to host1 and %d to host2, want 1 and 2", conns1, conns2)
	}
	// Each folder opened (SELECT or EXAMINE) once on host1, whose new
	// bodies came with their headers (BODY.PEEK[]<0.n>), at most twice on
	// host2; one APPEND (MULTIAPPEND) a folder.
	for side, tr := range map[string]string{"host1": trace1.String(), "host2": trace2.String()} {
		most := 1
		for _, f := range folders {
			opens := len(regexp.MustCompile(`(?m) C: \S+ (SELECT|EXAMINE) "?`+regexp.QuoteMeta(f)+`"?\s*$`).FindAllString(tr, -1))
			if opens == 0 || opens > most {
				t.Errorf("%s: folder %s opened %d times, want 1 to %d", side, f, opens, most)
			}
			appends := len(regexp.MustCompile(`(?m) C: \S+ APPEND "?`+regexp.QuoteMeta(f)+`"? `).FindAllString(tr, -1))
			if side == "host2" && appends != 1 {
				t.Errorf("host2: %d APPEND commands to folder %s, want 1", appends, f)
			}
		}
	}
	if n := strings.Count(trace1.String(), "BODY.PEEK[]<0."); n != len(folders) {
		t.Errorf("host1: %d FETCH with the new bodies, want %d", n, len(folders))
	}
	if t.Failed() {
		t.Logf("%s", out)
	}
	if out := sync(nil, nil); strings.Count(out, "unchanged since the last run") != len(folders) {
		t.Fatalf("the next run did not find every folder unchanged:\n%s", out)
	}
}

// TestPrefetchRefusedFallsBack: a small plan's bodies are fetched ahead
// (execbatch.go); when host1 refuses that FETCH, each copy job fetches
// its bodies again as usual, and every message is copied exactly once.
func TestPrefetchRefusedFallsBack(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 10, 500)
	seedN(t, p.u1, "Archive", 5, 500)
	p.s1.Faults().RefuseCommand("UID FETCH", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Try later"})
	var out bytes.Buffer
	opts := p.options(t, &out)
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.Transferred != 15 {
		t.Fatalf("transferred %d, errors %v\n%s", res.Transferred, res.Errors.Records(), out.String())
	}
	if n := p.s1.Faults().Count("UID FETCH"); n < 2 {
		t.Fatalf("%d UID FETCH on host1: the refused one was not tried again", n)
	}
	assertExactlyOnce(t, p, &out)
}

// TestEarlyBodiesFallBack: a rerun with the state fetches its new
// messages' bodies with their headers (BODY.PEEK[]<0.n>, incrbatch.go),
// and opens host1's folders once. When that FETCH is refused, or cut in
// the middle of a body, or a body is longer than n, the bodies missing
// are fetched again as usual: every message is on host2 exactly once
// (bytes, flags, dates), no error, the journal settled. So too when
// host2's connection is cut in the reads streamed while host1 is read.
func TestEarlyBodiesFallBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(p *pair)
		big  bool // one new message of 400 KB, above earlyCap
		// counts are the {opens, whole} accepted: opens are host1's
		// SELECT/EXAMINE of the rerun, whole its FETCHes of whole bodies
		// (BODY.PEEK[] without <0.n>); none: not counted.
		counts [][2]int
	}{
		{"whole", func(*pair) {}, false, [][2]int{{2, 0}}},
		// Archive opened again for the longer body alone.
		{"one longer", func(*pair) {}, true, [][2]int{{3, 1}}},
		// Archive read again by the per-folder analysis, then its bodies.
		{"refused", func(p *pair) {
			p.s1.Faults().RefuseCommand("UID FETCH", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Try later"})
		}, false, [][2]int{{4, 1}}},
		// The batch read again on a new connection, bodies with it.
		{"cut in a body", func(p *pair) { p.s1.Faults().DropResponseAfterBytes("UID FETCH", 1500) }, false, [][2]int{{3, 0}}},
		// Host2's read of the second folder, streamed while host1 is
		// read, cut. When the cut is seen while host1's flight still
		// runs, both are read again after host1 (stream2): 2 opens;
		// once it has ended, the folder goes to the per-folder path,
		// which reads host1 again: 4 opens, its bodies in one FETCH.
		{"host2 cut", func(p *pair) { p.s2.Faults().DropAfterCommands("SELECT", 2) }, false, [][2]int{{2, 0}, {4, 1}}},
		// The APPEND of the second folder cut: its messages, their
		// keys recorded ahead in the journal (journalAhead), in doubt,
		// checked and sent again; Archive's bodies fetched again.
		{"host2 cut in APPENDs", func(p *pair) { p.s2.Faults().DropAfterCommands("APPEND", 2) }, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", 10, 500)
			seedN(t, p.u1, "Archive", 6, 500)
			dir := t.TempDir()
			sync := func(journalLeft bool) (*Result, string) {
				t.Helper()
				var out bytes.Buffer
				opts := p.options(t, &out)
				opts.State = openState(t, dir)
				opts.Journal = filepath.Join(dir, "journal")
				res := run(t, opts)
				opts.State.Close()
				if res.Errors.Count() != 0 {
					t.Fatalf("errors %v\n%s", res.Errors.Records(), tail(out.String()))
				}
				if _, err := os.Stat(opts.Journal); os.IsNotExist(err) == journalLeft {
					t.Fatalf("the journal is left after the run: %v (want %v)\n%s", err == nil, journalLeft, tail(out.String()))
				}
				return res, out.String()
			}
			sync(false)
			// New messages in both folders (with flags and dates), and a
			// flag changed on an old one.
			for _, box := range []string{"INBOX", "Archive"} {
				for i := 0; i < 3; i++ {
					size := 2000
					if tc.big && box == "Archive" && i == 1 {
						size = 400 << 10
					}
					raw := fmt.Sprintf("Message-ID: <new%d@%s>\r\nSubject: new %d\r\n\r\n%s\r\n", i, box, i, strings.Repeat("n", size))
					if err := p.u1.Seed(box, imapmem.Message{Raw: []byte(raw), Flags: []imap.Flag{imap.FlagFlagged, "$Label1"}[:i%3],
						Date: time.Date(2022, 5, 1, i, 0, 0, 0, time.UTC)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			c, err := conn.Dial(t.Context(), &conn.Config{Side: 1, Host: p.s1.Host(), Port: p.s1.Port(), Mode: conn.TLSNone, User: "alice", Password: "secret1", Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			if err := c.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagAnswered}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			c.Close()
			p.s1.Faults().ResetCounts()
			p.s2.Faults().ResetCounts()
			tc.arm(p)
			// An APPEND cut leaves its record made ahead in the journal
			// (its outcome was in doubt, checked by this run), for the
			// next run's recovery (which runs in another process).
			res, out := sync(tc.name == "host2 cut in APPENDs")
			if res.Transferred != 6 {
				t.Errorf("transferred %d, want 6", res.Transferred)
			}
			assertExactlyOnce(t, p, nil)
			if !strings.Contains(out, "[INBOX]: read since the last run: 3 new messages") && tc.name != "refused" {
				t.Errorf("INBOX was not read since the last run only\n%s", tail(out))
			}
			opens := len(p.s1.Faults().CommandsMatching("SELECT")) + len(p.s1.Faults().CommandsMatching("EXAMINE"))
			whole := 0
			for _, cmd := range p.s1.Faults().CommandsMatching("UID FETCH") {
				if strings.Contains(cmd, "BODY.PEEK[]") && !strings.Contains(cmd, "BODY.PEEK[]<0.") {
					whole++
				}
			}
			if tc.counts != nil && !slices.Contains(tc.counts, [2]int{opens, whole}) {
				t.Errorf("host1: %d SELECT/EXAMINE and %d FETCH of whole bodies, want one of %v:\n%s", opens, whole, tc.counts, strings.Join(p.s1.Faults().Commands(), "\n"))
			}
			if sel2 := len(p.s2.Faults().CommandsMatching("SELECT")); tc.name == "host2 cut" && (res.ReconnectHost2 == 0 || sel2 < 4) {
				t.Errorf("host2: %d reconnections, %d SELECT: the cut stream was not read again", res.ReconnectHost2, sel2)
			}
		})
	}
}

// TestEarlyStoresPermanentFlags: the flags host2's read sets before its
// SELECT is answered (earlyStores) are worked out without PERMANENTFLAGS.
// When PERMANENTFLAGS then drops one of them, the pair is planned again
// with the flags it lets through (even where host2 had them already,
// since the early STORE changed them), and the folder's stores are not
// taken as done; when it drops none, or has \*, they are done, and only
// the pairs whose host2 flags differed are said to be set.
func TestEarlyStoresPermanentFlags(t *testing.T) {
	st := openState(t, t.TempDir())
	pair := state.FolderPair{Host1: "h1", User1: "u", Folder1: "INBOX", Validity1: 1, Host2: "h2", User2: "u", Folder2: "INBOX", Validity2: 2}
	b := st.Batch(pair)
	for u := uint32(1); u <= 3; u++ {
		b.Put(u, u+10, fmt.Sprintf("key%d", u))
	}
	b.SetStatus(state.Status{UIDNext: 4, Messages: 3}, state.Status{UIDNext: 14, Messages: 3})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		perm     []imap.Flag
		storeErr error
		early    bool
		stores   string // uid2:flags of the stores planned
	}{
		{"every flag kept", []imap.Flag{imap.FlagSeen, imap.FlagWildcard}, nil, true, "11:$Junk \\Seen 13:$Junk"},
		{"a keyword dropped", []imap.Flag{imap.FlagSeen, imap.FlagFlagged}, nil, false, "11:\\Seen 13:"},
		{"STORE refused", nil, errors.New("NO"), false, "11:$Junk \\Seen 13:$Junk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := st.Folder(pair)
			if err != nil {
				t.Fatal(err)
			}
			e := &engine{opts: Options{ResyncFlags: true}, out: io.Discard, noted: map[string]bool{}}
			fp := &folderPlan{h1: "INBOX", h2: "INBOX", pair: pair, state: fs, status1: state.Status{UIDNext: 4, Messages: 3}}
			in := &incr{
				count1: 3,
				pairs:  map[imap.UID]imap.UID{1: 11, 2: 12, 3: 13},
				flags1: map[imap.UID][]imap.Flag{1: {imap.FlagSeen, "$Junk"}, 2: {imap.FlagSeen}, 3: {"$Junk"}},
				// Host2 before the STOREs: 11 without $Junk, 12 as host1,
				// 13 without flags.
				flags2: map[imap.UID][]imap.Flag{11: {imap.FlagSeen}, 12: {imap.FlagSeen}, 13: nil},
				keys:   map[string]struct{}{"key1": {}, "key2": {}, "key3": {}},
			}
			in.sentTo, _, _ = e.earlyStoreSets(fp, in)
			in.storeErr = tc.storeErr
			in.validity2, in.uidNext2, in.perm = 2, 14, tc.perm
			e.planIncr(fp, in)
			var got []string
			for _, s := range fp.stores {
				got = append(got, fmt.Sprintf("%d:%s", s.uid2, joinFlags(s.to)))
			}
			if fp.storedEarly != tc.early || strings.Join(got, " ") != tc.stores {
				t.Errorf("storedEarly %v, stores %q; want %v, %q", fp.storedEarly, strings.Join(got, " "), tc.early, tc.stores)
			}
		})
	}
}
