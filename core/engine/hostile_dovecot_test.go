package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/faultproxy"
)

// seedDovecotCorpus seeds n messages of 2–60 KB over folders of user1 and
// returns each folder's Message-Ids.
func seedDovecotCorpus(t *testing.T, d *dovecot.Server, n int, folders ...string) map[string][]string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	want := map[string][]string{}
	var seed []dovecot.Folder
	for fi, name := range folders {
		var msgs []dovecot.Message
		for i := fi; i < n; i += len(folders) {
			id := fmt.Sprintf("hostile-%05d@imapshift.test", i)
			var b strings.Builder
			fmt.Fprintf(&b, "From: a@example.org\r\nSubject: message %d\r\nMessage-Id: <%s>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n", i, id)
			for size := 2048 + rng.IntN(58*1024); b.Len() < size; {
				b.WriteString(strings.Repeat("y", 70) + "\r\n")
			}
			msgs = append(msgs, dovecot.Message{Raw: []byte(b.String()), Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)})
			want[name] = append(want[name], id)
		}
		seed = append(seed, dovecot.Folder{Name: name, Msgs: msgs})
	}
	if err := d.SeedMany("user1", seed); err != nil {
		t.Fatal(err)
	}
	return want
}

// dovecotIDs returns the Message-Ids of every message in folder of user2,
// each as often as it is there.
func dovecotIDs(t *testing.T, d *dovecot.Server, folder string) map[string]int {
	t.Helper()
	c, err := imapclient.DialInsecure(d.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("user2", dovecot.Users["user2"]).Wait(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	sel, err := c.Select(d.MailboxName(folder), &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil || sel.NumMessages == 0 {
		return got
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		got[m.Envelope.MessageID]++
	}
	return got
}

// checkDovecotOnce fails unless every id of want is in user2's folder
// exactly once, and nothing else.
func checkDovecotOnce(t *testing.T, d *dovecot.Server, want map[string][]string, out string) {
	t.Helper()
	var dups, lost, extra int
	for folder, ids := range want {
		got := dovecotIDs(t, d, folder)
		for _, id := range ids {
			switch n := got[id]; {
			case n == 0:
				lost++
			case n > 1:
				dups += n - 1
				t.Logf("%s: %s %d times", folder, id, n)
			}
			delete(got, id)
		}
		extra += len(got)
	}
	if dups+lost+extra > 0 {
		if p := os.Getenv("IMAPSHIFT_DEBUG_OUT"); p != "" {
			os.WriteFile(p, []byte(out), 0o644)
		}
		t.Fatalf("host2: %d duplicates, %d lost, %d extra\n%s", dups, lost, extra, tailLines(out, 30))
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestCutConnectionsOnDovecot runs a sync through a proxy that closes
// every connection after a random 20 KB to 2 MB, toward host2 or toward
// host1, between two real Dovecots. One run gets through by itself, with
// every message exactly once: reconnections are counted per operation
// that makes no progress, and APPENDs whose outcome the cut hid are looked
// up on host2 once its folder is quiet.
func TestCutConnectionsOnDovecot(t *testing.T) {
	for _, side := range []string{"host2", "host1"} {
		t.Run(side, func(t *testing.T) {
			testFaultyLink(t, side, []faultproxy.Fault{{Kind: faultproxy.Cut, After: 20 << 10, AfterMax: 2 << 20}}, 1000)
		})
	}
}

// TestStallsOnDovecot: each connection stalls for 2 to 5 s in the middle
// of the data (a literal, most of the time), toward either host; the run
// waits it out and ends with every message exactly once.
func TestStallsOnDovecot(t *testing.T) {
	for i, side := range []string{"host2", "host1"} {
		t.Run(side, func(t *testing.T) {
			stall := time.Duration(2+3*i) * time.Second
			testFaultyLink(t, side, []faultproxy.Fault{{Kind: faultproxy.Stall, After: 100 << 10, AfterMax: 1 << 20, Stall: stall}}, 300)
		})
	}
}

// testFaultyLink syncs n messages between two Dovecots with every
// connection toward side going through a proxy applying faults.
func testFaultyLink(t *testing.T, side string, faults []faultproxy.Fault, n int) {
	t.Helper()
	{
		{
			d1 := dovecot.StartT(t, dovecot.Options{})
			d2 := dovecot.StartT(t, dovecot.Options{})
			want := seedDovecotCorpus(t, d1, n, "INBOX", "Archive", "Sent")
			target := d2
			if side == "host1" {
				target = d1
			}
			px, err := faultproxy.Start(target.Addr(), faultproxy.Options{Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			if side == "host2" {
				px.SetDefault(faultproxy.Faults{ToTarget: faults})
			} else {
				px.SetDefault(faultproxy.Faults{ToClient: faults})
			}
			cfg := func(n int, host string, port int, user string) *conn.Config {
				return &conn.Config{Side: n, Host: host, Port: port, Mode: conn.TLSNone, User: user, Password: dovecot.Users[user], Timeout: 20 * time.Second}
			}
			h1, h2 := cfg(1, d1.Host, d1.Port, "user1"), cfg(2, d2.Host, d2.Port, "user2")
			if side == "host2" {
				h2 = cfg(2, px.Host(), px.Port(), "user2")
			} else {
				h1 = cfg(1, px.Host(), px.Port(), "user1")
			}
			var out bytes.Buffer
			opts := Options{Host1: h1, Host2: h2, Selection: selAll(), MixFolders: true, CheckSelectable: true,
				FixSlash2: true, FixInboxINBOX: true, SyncInternalDates: true, MultiAppend: true,
				Parallel: 4, BodyBudget: 64 << 20, TmpDir: t.TempDir(), ErrorsMax: 50,
				ReconnectRetry1: 3, ReconnectRetry2: 3, Out: &out}
			res := run(t, opts)
			st := px.Stats()
			t.Logf("%s: %d connections, %d cuts, %d stalls, %d reconnections, %d extra copies removed", side, st.Conns, st.Cuts, st.Stalls,
				res.Counters.ReconnectHost1+res.Counters.ReconnectHost2, res.Counters.DeletedHost2)
			if n := res.Errors.Count(); n != 0 {
				recs := res.Errors.Records()
				t.Fatalf("%d errors, the first: %v\n%s", n, recs[:min(3, len(recs))], tailLines(out.String(), 20))
			}
			if st.Cuts+st.Stalls < 3 {
				t.Fatalf("only %d faults acted: the test did not test", st.Cuts+st.Stalls)
			}
			// Late APPENDs have had time to land.
			time.Sleep(time.Second)
			checkDovecotOnce(t, d2, want, out.String())
		}
	}
}
