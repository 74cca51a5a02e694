package main

import (
	"context"
	"fmt"
	"math/rand"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

var folders = []string{"INBOX", "Sent", "Drafts", "Trash", "Archive", "Archive/2019", "Archive/2020", "Archive/2021",
	"Données", "Données/Été 2021", "Projects/Q1 reports", "Clients/Müller & Söhne", "Spaces in name", "日本語", "Lists/go-nuts"}

// corpus generates n messages: mostly 2–20 KB, 10 % with a 20–200 KB
// attachment, 1.5 % with a 1–5 MB one. It returns them with their total size.
func corpus(n int, seed int64) ([]dovecot.Folder, int64) {
	r := rand.New(rand.NewSource(seed))
	out := make([]dovecot.Folder, len(folders))
	for i := range out {
		out[i].Name = folders[i]
	}
	flagsPool := []string{`\Seen`, `\Seen`, `\Seen`, `\Answered`, `\Flagged`, "$Label1"}
	var total int64
	for i := 0; i < n; i++ {
		size := 2000 + r.Intn(18000)
		switch p := r.Float64(); {
		case p < 0.015:
			size = 1<<20 + r.Intn(4<<20)
		case p < 0.115:
			size = 20000 + r.Intn(180000)
		}
		date := time.Date(2015+r.Intn(7), time.Month(1+r.Intn(12)), 1+r.Intn(28), r.Intn(24), r.Intn(60), 0, 0, time.UTC)
		hdr := fmt.Sprintf("Received: from mx%d.example.org by mail.example.org; %s\r\nMessage-ID: <bench-%d-%d@example.org>\r\nDate: %s\r\nFrom: sender%d@example.org\r\nTo: user1@example.com\r\nSubject: message %d\r\n\r\n",
			i%7, date.Format(time.RFC1123Z), seed, i, date.Format(time.RFC1123Z), i%50, i)
		line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
		body := strings.Repeat(line, size/len(line)+1)
		var fl []string
		if k := r.Intn(len(flagsPool) + 2); k < len(flagsPool) {
			fl = []string{flagsPool[k]}
		}
		f := &out[r.Intn(len(out))]
		raw := []byte(hdr + body[:size])
		total += int64(len(raw))
		f.Msgs = append(f.Msgs, dovecot.Message{Raw: raw, Flags: fl, Date: date})
	}
	return out, total
}

// seed fills user's account on d with a generated corpus and returns its
// size in bytes.
func seed(d *dovecot.Server, user string, n int, seed int64) (int64, error) {
	t0 := time.Now()
	c, total := corpus(n, seed)
	if err := d.SeedMany(user, c); err != nil {
		return 0, err
	}
	fmt.Printf("corpus %s: %d messages, %.0f MB in %d folders, seeded in %.1f s\n",
		user, n, float64(total)/1e6, len(folders), time.Since(t0).Seconds())
	// A child's peak RSS starts from this process's at fork: let the
	// corpus go first.
	c = nil
	debug.FreeOSMemory()
	return total, nil
}

// countCheck compares the number of messages of two accounts: "ok" or
// what differs.
func countCheck(d1 *dovecot.Server, user1 string, d2 *dovecot.Server, user2 string) string {
	n1, err := count(d1, user1)
	if err != nil {
		return "FAIL: " + err.Error()
	}
	n2, err := count(d2, user2)
	if err != nil {
		return "FAIL: " + err.Error()
	}
	if n1 != n2 {
		return fmt.Sprintf("FAIL: host2 has %d messages, host1 %d", n2, n1)
	}
	return "ok"
}

// count is the number of messages in all folders of user.
func count(d *dovecot.Server, user string) (int, error) {
	out, err := d.Doveadm("-f", "flow", "mailbox", "status", "-u", user, "-t", "messages", "*")
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(out))
	n, err := strconv.Atoi(strings.TrimPrefix(s, "messages="))
	if err != nil {
		return 0, fmt.Errorf("doveadm mailbox status: unexpected %q", s)
	}
	return n, nil
}

// wipe empties user's account on d: every message is expunged and every
// folder but INBOX deleted.
func wipe(d *dovecot.Server, user string) error {
	if _, err := d.Doveadm("expunge", "-u", user, "mailbox", "*", "all"); err != nil {
		return err
	}
	out, err := d.Doveadm("mailbox", "list", "-u", user)
	if err != nil {
		return err
	}
	var names []string
	for _, name := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name = strings.TrimSpace(name); name != "" && name != "INBOX" && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		if _, err := d.Doveadm(append([]string{"mailbox", "delete", "-r", "-s", "-u", user}, names...)...); err != nil {
			return err
		}
	}
	if n, err := count(d, user); err != nil || n != 0 {
		return fmt.Errorf("wipe %s: %d messages left (%v)", user, n, err)
	}
	return nil
}

// mutate appends add new messages to INBOX and changes \Flagged on flag
// existing messages of host1, over IMAP: round 1 sets it, round 2 clears
// it; each round's new messages have their own Message-IDs.
func mutate(d *dovecot.Server, add, flag, round int) (int64, error) {
	c, err := conn.Dial(context.Background(), &conn.Config{Side: 1, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1"})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var bytes int64
	for i := 0; i < add; i++ {
		raw := []byte(fmt.Sprintf("Message-ID: <new-%d-%d@example.org>\r\nSubject: new %d\r\n\r\n%s\r\n", round, i, i, strings.Repeat("new message body ", 400)))
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			return 0, err
		}
		bytes += int64(len(raw))
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		return 0, err
	}
	var set imap.SeqSet
	set.AddRange(1, uint32(flag))
	op := imap.StoreFlagsAdd
	if round == 2 {
		op = imap.StoreFlagsDel
	}
	if err := c.Store(set, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		return 0, err
	}
	return bytes, nil
}
