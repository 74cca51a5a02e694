package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// messagesOf returns the raw messages of a host2 folder, sorted.
func scriptTestMessages(t *testing.T, c *imapclient.Client, folder string) []string {
	t.Helper()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.BodySection[0].Bytes))
	}
	slices.Sort(out)
	return out
}

// TestDovecotScriptsTogether runs a folder-mapping script and a rewrite
// script in one sync: folders are renamed, every message gets the header,
// a rerun copies nothing, and the untouched bytes are the host1 ones.
func TestDovecotScriptsTogether(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	date := time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: []dovecot.Message{{Raw: msg("i1", "inbox"), Flags: []string{`\Seen`}, Date: date}}},
		{Name: "Sent Items", Msgs: []dovecot.Message{{Raw: msg("s1", "sent one"), Flags: []string{`\Seen`}, Date: date}, {Raw: msg("s2", "sent two"), Date: date}}},
		{Name: "Sent Items/2019", Msgs: []dovecot.Message{{Raw: msg("s3", "old sent"), Date: date}}},
		{Name: "Conversation History", Msgs: []dovecot.Message{{Raw: msg("c1", "skype"), Date: date}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stamp := writeScriptFile(t, dir, "stamp.lua", `
function rewrite(msg)
  log.info("stamping")
  msg:add_header("X-Migrated-From", "dovecot1 " .. msg.folder .. " uid " .. msg.uid)
end`)
	args := append(append([]string{"--nofoldersizes",
		"--script", "../../scripts/rename_folders.lua", "--script", stamp},
		dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	code, out := imapshift(t, args...)
	if code != 0 || !strings.Contains(out, "Script "+stamp+" [INBOX uid 1]: stamping\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	c2 := dovecotClient(t, d2, "user1", "secret1")
	got, _ := contents(t, c2)
	if _, ok := got["INBOX.Conversation History"]; ok {
		t.Errorf("the skipped folder was created: %v", keys(got))
	}
	want := map[string][]string{"INBOX": {"i1"}, "INBOX.Sent": {"s1", "s2"}, "INBOX.Sent.2019": {"s3"}}
	for folder, ids := range want {
		msgs := scriptTestMessages(t, c2, folder)
		if len(msgs) != len(ids) {
			t.Fatalf("%s: %d messages, want %d (folders %v)\n%s", folder, len(msgs), len(ids), keys(got), out)
		}
		for i, m := range msgs {
			host1Folder := map[string]string{"INBOX": "INBOX", "INBOX.Sent": "Sent Items", "INBOX.Sent.2019": "Sent Items/2019"}[folder]
			prefix := "X-Migrated-From: dovecot1 " + host1Folder + " uid "
			orig := string(msg(ids[i], map[string]string{"i1": "inbox", "s1": "sent one", "s2": "sent two", "s3": "old sent"}[ids[i]]))
			if !strings.HasPrefix(m, prefix) || !strings.HasSuffix(m, orig) || strings.Count(m, "\r\n")-strings.Count(orig, "\r\n") != 1 {
				t.Errorf("%s: message\n%q\nis not the host1 message with one header added", folder, m)
			}
		}
	}
	if !strings.Contains(out, "\nFolder [Conversation History] skipped (") {
		t.Errorf("the folder skip is not reported:\n%s", out)
	}
	// A rerun recognises the rewritten messages: nothing is copied again.
	code, out = imapshift(t, args...)
	if code != 0 || !strings.Contains(out, "Messages transferred                    : 0") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}

// TestDovecotOffice2Preset runs --office2 against a Dovecot destination:
// the user's --host2 and --nossl2 win, the preset's f1f2, regexmess (line
// wrap), read-receipt disarming and rate apply, and its expansion (maxsize
// included) is printed.
func TestDovecotOffice2Preset(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)
	longLine := strings.Repeat("0123456789", 1500) // 15 000 characters on one line
	receipt := []byte("Message-ID: <r1@example.org>\r\nFrom: a@example.org\r\nDisposition-Notification-To: a@example.org\r\nSubject: please confirm\r\n\r\nread me\r\n")
	long := []byte("Message-ID: <l1@example.org>\r\nFrom: a@example.org\r\nSubject: long line\r\n\r\n" + longLine + "\r\n")
	err := d1.SeedMany("user1", []dovecot.Folder{
		{Name: "INBOX", Msgs: []dovecot.Message{{Raw: receipt, Date: date}, {Raw: long, Date: date}}},
		{Name: "Files", Msgs: []dovecot.Message{{Raw: msg("f1", "a file"), Date: date}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"--nofoldersizes", "--office2"},
		dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user2", "secret2", "--nossl2", "--notls2")...)
	start := time.Now()
	code, out := imapshift(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, line := range []string{
		"Option --office2 is like: --f1f2 Files=Files_renamed_by_imapsync --maxsize 45000000 --regexmess 's,(.{10239}),$1\\r\\n,g' --disarmreadreceipts --maxmessagespersecond 4",
		"Option --office2: kept your --host2 --ssl2",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	// 3 messages at 4 per second.
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("3 messages in %v: --maxmessagespersecond 4 not applied", d)
	}
	c2 := dovecotClient(t, d2, "user2", "secret2")
	got, _ := contents(t, c2)
	if _, ok := got["Files_renamed_by_imapsync"]; !ok || len(got["Files_renamed_by_imapsync"]) != 1 {
		t.Errorf("Files not renamed: %v", keys(got))
	}
	inbox := scriptTestMessages(t, c2, "INBOX")
	if len(inbox) != 2 {
		t.Fatalf("INBOX has %d messages\n%s", len(inbox), out)
	}
	for _, m := range inbox {
		switch {
		case strings.Contains(m, "please confirm"):
			if !strings.Contains(m, "\r\nX-Disposition-Notification-To: a@example.org\r\n") {
				t.Errorf("read receipt not disarmed:\n%s", m)
			}
		case strings.Contains(m, "long line"):
			for _, l := range strings.Split(m, "\r\n") {
				if len(l) > 10239 {
					t.Errorf("a line of %d characters was not wrapped", len(l))
				}
			}
			if strings.ReplaceAll(m, "\r\n", "") != strings.ReplaceAll(string(long), "\r\n", "") {
				t.Errorf("wrapping changed more than line ends")
			}
		}
	}
}

// TestDovecotScriptError: a script that fails on one message fails that
// message only; it is reported with the Lua traceback, the others are
// copied, and the run exits with imapsync's "errors" code.
func TestDovecotScriptError(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)
	var msgs []dovecot.Message
	for i := 0; i < 5; i++ {
		subject := fmt.Sprintf("message %d", i)
		if i == 3 {
			subject = "boom"
		}
		msgs = append(msgs, dovecot.Message{Raw: msg(fmt.Sprintf("e%d", i), subject), Date: date})
	}
	if err := d1.Seed("user1", "INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := writeScriptFile(t, dir, "fragile.lua", `
local function check(msg)
  if msg:subject() == "boom" then
    error("cannot handle " .. msg:subject())
  end
end
function rewrite(msg)
  check(msg)
  msg:add_header("X-Checked", "yes")
end`)
	args := append(append([]string{"--nofoldersizes", "--script", script},
		dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	code, out := imapshift(t, args...)
	if code != 111 {
		t.Errorf("exit %d, want 111\n%s", code, out)
	}
	for _, want := range []string{"fragile.lua", "cannot handle boom", "stack traceback", "in function 'check'"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	got := scriptTestMessages(t, dovecotClient(t, d2, "user1", "secret1"), "INBOX")
	if len(got) != 4 {
		t.Fatalf("%d messages copied, want 4\n%s", len(got), out)
	}
	for _, m := range got {
		if !strings.HasPrefix(m, "X-Checked: yes\r\n") || strings.Contains(m, "boom") {
			t.Errorf("copied: %q", m)
		}
	}
	// Once the script is fixed, a rerun copies the message left behind.
	writeScriptFile(t, dir, "fragile.lua", `function rewrite(msg) msg:add_header("X-Checked", "yes") end`)
	if code, out := imapshift(t, args...); code != 0 || !strings.Contains(out, "Messages transferred                    : 1") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}
