package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// seedBulk puts n distinct messages into folder of user.
func seedBulk(t *testing.T, d *dovecot.Server, user, folder string, n int) {
	t.Helper()
	var msgs []dovecot.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, dovecot.Message{Raw: msg(fmt.Sprintf("%s-%d", strings.ReplaceAll(folder, "/", "-"), i), fmt.Sprintf("%s %d", folder, i)),
			Flags: []string{`\Seen`}, Date: time.Date(2020, 1, 2, 3, 4, i%60, 0, time.UTC)})
	}
	if err := d.Seed(user, folder, msgs); err != nil {
		t.Fatal(err)
	}
}

// TestDovecotStateAcrossRuns: --usecache and --useuid, three runs with the
// state directory deleted before the third, and a host2 folder deleted
// and recreated (new UIDVALIDITY): never a duplicate, never a loss.
func TestDovecotStateAcrossRuns(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	seedBulk(t, d1, "user1", "INBOX", 15)
	seedBulk(t, d1, "user1", "Archive", 10)
	want, _ := contents(t, dovecotClient(t, d1, "user1", "secret1"))
	for i, mode := range []string{"--usecache", "--useuid"} {
		user := fmt.Sprintf("user%d", i+1)
		stateDir := t.TempDir()
		args := append(append([]string{"--nofoldersizes", mode, "--statedir", stateDir}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, user, "secret"+user[4:], "--notls2")...)
		check := func(step string) {
			t.Helper()
			got, _ := contents(t, dovecotClient(t, d2, user, "secret"+user[4:]))
			for box, msgs := range want {
				box2 := "INBOX." + box
				if box == "INBOX" {
					box2 = box
				}
				if fmt.Sprint(got[box2]) != fmt.Sprint(msgs) {
					t.Fatalf("%s %s: host2 %s has %d messages, want %d (exactly once each)", mode, step, box2, len(got[box2]), len(msgs))
				}
			}
		}
		for run, step := range []string{"first run", "second run", "third run without state"} {
			if run == 2 {
				os.RemoveAll(stateDir)
			}
			code, out := imapshift(t, args...)
			if code != 0 {
				t.Fatalf("%s %s: exit %d\n%s", mode, step, code, out)
			}
			if run == 1 && !strings.Contains(out, "unchanged since the last run") {
				t.Fatalf("%s second run did not skip unchanged folders:\n%s", mode, out)
			}
			check(step)
		}
		// UIDVALIDITY change on host2: delete and recreate the folder.
		c2 := dovecotClient(t, d2, user, "secret"+user[4:])
		if err := c2.Delete("INBOX.Archive").Wait(); err != nil {
			t.Fatal(err)
		}
		if err := c2.Create("INBOX.Archive", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		code, out := imapshift(t, args...)
		if code != 0 || !strings.Contains(out, "UIDVALIDITY changed") {
			t.Fatalf("%s after UIDVALIDITY change: exit %d\n%s", mode, code, out)
		}
		check("after the UIDVALIDITY change")
	}
}

// TestDovecotRateLimitsAndExitWhenOver measures --maxmessagespersecond as
// a ratio (within 30 %) and checks --exitwhenover's exit 118.
func TestDovecotRateLimitsAndExitWhenOver(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	seedBulk(t, d1, "user1", "INBOX", 30)
	base := append(dovecotSide(1, d1, "user1", "secret1", "--notls1"), "--nofoldersizes")

	code, out := imapshift(t, append(append([]string{"--maxmessagespersecond", "20"}, base...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The rate imapsync reports on each copy line, over the copy loop.
	m := regexp.MustCompile(`copied to .* ([0-9.]+) msgs/s`).FindAllStringSubmatch(out, -1)
	if len(m) != 30 {
		t.Fatalf("%d copy lines, want 30\n%s", len(m), out)
	}
	rate, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
	// Only the upper bound: a slow machine copies slower without a bug.
	if ratio := rate / 20; ratio > 1.3 {
		t.Fatalf("--maxmessagespersecond 20 gave %.1f msgs/s (ratio %.2f)", rate, ratio)
	}

	code, out = imapshift(t, append(append([]string{"--exitwhenover", "2000", "--parallel", "1"}, base...), dovecotSide(2, d2, "user2", "secret2", "--notls2")...)...)
	if code != 118 || !strings.Contains(out, "Maximum bytes transferred reached") {
		t.Fatalf("--exitwhenover: exit %d\n%s", code, out)
	}
	got, _ := contents(t, dovecotClient(t, d2, "user2", "secret2"))
	if n := len(got["INBOX"]); n == 0 || n >= 30 {
		t.Fatalf("--exitwhenover copied %d of 30 messages", n)
	}
}

func TestDovecotEmailReport(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	seedBulk(t, d1, "user1", "INBOX", 3)
	code, out := imapshift(t, append(append([]string{"--nofoldersizes", "--nolog", "--emailreport2"}, dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)...)
	if code != 0 || !strings.Contains(out, "Host2: email report appended into INBOX") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	c := dovecotClient(t, d2, "user1", "secret1")
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "[imapshift]"}}}
	found, err := c.UIDSearch(crit, nil).Wait()
	if err != nil || len(found.AllUIDs()) != 1 {
		t.Fatalf("report messages on host2: %v, %v", found, err)
	}
	msgs, err := c.Fetch(found.All, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 1 || !strings.Contains(string(msgs[0].BodySection[0].Bytes), "Messages transferred                    : 3") {
		t.Fatalf("report body: %v", err)
	}
}
