package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/faultproxy"
)

// TestSmallRerunOnMainConnections: a rerun with the state whose changes
// are small (a few new messages and flag changes in every folder) reads
// every folder's changes on the main connections and copies with them,
// with Parallel 4: one connection to host1 and, to host2, main and the
// APPEND connection of main, counted by proxies in
// front of real Dovecots. Each folder is opened at most twice on each side (STATUS
// apart), and host2 ends with exactly host1's messages: bytes, flags and
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
	// Each folder opened (SELECT or EXAMINE) at most twice on each side.
	for side, tr := range map[string]string{"host1": trace1.String(), "host2": trace2.String()} {
		for _, f := range folders {
			opens := len(regexp.MustCompile(`(?m) C: \S+ (SELECT|EXAMINE) "?`+regexp.QuoteMeta(f)+`"?\s*$`).FindAllString(tr, -1))
			if opens == 0 || opens > 2 {
				t.Errorf("%s: folder %s opened %d times", side, f, opens)
			}
		}
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
