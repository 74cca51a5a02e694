package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// gmailEnv isolates a CLI run: its own cache, config and temp dirs.
func gmailEnv(t *testing.T) (map[string]string, []string) {
	dir := t.TempDir()
	env := map[string]string{"HOME": dir, "XDG_CACHE_HOME": dir + "/cache", "XDG_CONFIG_HOME": dir + "/config"}
	return env, []string{"--tmpdir", dir, "--pidfile", dir + "/imapshift.pid"}
}

func gmailMessage(i int) imapmem.Message {
	raw := fmt.Sprintf("From: a%d@example.org\r\nTo: b@example.org\r\nSubject: gmail %d\r\nMessage-Id: <g%d@example.org>\r\nDate: Mon, 1 Jun 2020 10:00:00 +0000\r\n\r\nbody %d\r\n", i, i, i, i)
	return imapmem.Message{Raw: []byte(raw), Date: time.Date(2020, 6, 1, 10, 0, 0, 0, time.UTC)}
}

var gmailIDRe = regexp.MustCompile(`Message-Id: <([^>]+)>`)

// gmailLabels returns each message's labels by Message-Id, and fails on
// a message that is twice in the account.
func gmailLabels(t *testing.T, u *imapmem.User) map[string]string {
	t.Helper()
	msgs, err := u.GmailMessages()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range msgs {
		id := gmailIDRe.FindStringSubmatch(string(m.Raw))[1]
		if _, dup := out[id]; dup {
			t.Errorf("%s is twice in the account", id)
		}
		out[id] = strings.Join(m.Labels, " ")
	}
	return out
}

func memSide(n int, srv *imapmem.Server, user, pass string) []string {
	d := strconv.Itoa(n)
	return []string{"--host" + d, "127.0.0.1", "--port" + d, strconv.Itoa(srv.Port()), "--user" + d, user, "--password" + d, pass, "--nossl" + d, "--notls" + d}
}

// TestGmailToGmailCLI: --gmail1 --gmail2 turns labels on; the Lua labels
// hook renames a label tree and drops \Important; a rerun copies and
// stores nothing.
func TestGmailToGmailCLI(t *testing.T) {
	s1 := imapmem.StartT(t, imapmem.Options{Gmail: true})
	s2 := imapmem.StartT(t, imapmem.Options{Gmail: true})
	u1, u2 := s1.AddUser("alice", "pw1"), s2.AddUser("bob", "pw2")
	u1.SeedLabels(gmailMessage(1), `\Inbox`, "Projects/Alpha", `\Important`)
	u1.SeedLabels(gmailMessage(2), "Work")
	u1.SeedLabels(gmailMessage(3))
	u1.SeedLabels(gmailMessage(4), `\Sent`, `\Inbox`)
	env, iso := gmailEnv(t)
	args := append(append(append([]string{"--gmail1", "--gmail2", "--script", "../../scripts/gmail_labels.lua", "--debuglabels"}, iso...), memSide(1, s1, "alice", "pw1")...), memSide(2, s2, "bob", "pw2")...)
	r := runArgs(t, env, args...)
	want := map[string]string{
		"g1@example.org": `Archive/Projects/Alpha \Inbox`, "g2@example.org": "Work",
		"g3@example.org": "", "g4@example.org": `\Inbox \Sent`,
	}
	got := gmailLabels(t, u2)
	if r.code != 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("exit %d, labels\n got %v\nwant %v\n%s%s", r.code, got, want, r.stdout, r.stderr)
	}
	for _, line := range []string{
		"Labels set on host2                     : 3 messages (",
		`Labels: host2 [[Gmail]/All Mail]/1 has () host1 has (Archive/Projects/Alpha \Inbox) +(Archive/Projects/Alpha \Inbox)`,
		"Messages transferred                    : 4",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("output lacks %q:\n%s", line, r.stdout)
		}
	}

	s2.Faults().ResetCounts()
	r = runArgs(t, env, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "Labels set on host2                     : 0 messages (0 UID STORE)") ||
		!strings.Contains(r.stdout, "Messages transferred                    : 0") || s2.Faults().Count("APPEND")+s2.Faults().Count("STORE") != 0 {
		t.Errorf("rerun: exit %d, %d APPEND, %d STORE\n%s", r.code, s2.Faults().Count("APPEND"), s2.Faults().Count("STORE"), r.stdout)
	}
}

// TestSyncLabelsNeedsGmail: --synclabels toward a server without
// X-GM-EXT-1 is a usage error (exit 64) with one clear line.
func TestSyncLabelsNeedsGmail(t *testing.T) {
	s1 := imapmem.StartT(t, imapmem.Options{Gmail: true})
	s2 := imapmem.StartT(t, imapmem.Options{})
	s1.AddUser("alice", "pw1")
	s2.AddUser("bob", "pw2")
	env, iso := gmailEnv(t)
	r := runArgs(t, env, append(append(append([]string{"--synclabels"}, iso...), memSide(1, s1, "alice", "pw1")...), memSide(2, s2, "bob", "pw2")...)...)
	if r.code != 64 || !strings.Contains(r.stderr, "--synclabels: host2 [127.0.0.1] does not announce X-GM-EXT-1") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, r)
}

// TestMsgLabelsInHooks: msg.labels carries host1's Gmail labels to every
// hook (here a skip hook), and is nil when host1 has no labels.
func TestMsgLabelsInHooks(t *testing.T) {
	script := t.TempDir() + "/skip_work.lua"
	src := `function skip(msg)
  if msg.labels == nil then return "no labels on host1" end
  for _, l in ipairs(msg.labels) do
    if l == "Work/2024" then return "work mail" end
  end
end
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s1 := imapmem.StartT(t, imapmem.Options{Gmail: true})
	seedGmailSource(t, s1.AddUser("alice", "pw1"))
	s2 := imapmem.StartT(t, imapmem.Options{})
	u2 := s2.AddUser("bob", "pw2")
	env, iso := gmailEnv(t)
	r := runArgs(t, env, append(append(append([]string{"--gmail1", "--script", script}, iso...), memSide(1, s1, "alice", "pw1")...), memSide(2, s2, "bob", "pw2")...)...)
	var ids []string
	boxes, _ := u2.Mailboxes()
	for _, b := range boxes {
		msgs, _ := u2.Messages(b)
		for _, m := range msgs {
			ids = append(ids, gmailIDRe.FindStringSubmatch(string(m.Raw))[1])
		}
	}
	slices.Sort(ids)
	if want := "g0@example.org g3@example.org g4@example.org"; r.code != 0 || strings.Join(ids, " ") != want {
		t.Errorf("exit %d, host2 has %v, want %s\n%s", r.code, ids, want, r.stdout)
	}

	// From a server without labels, msg.labels is nil.
	s3 := imapmem.StartT(t, imapmem.Options{})
	s3.AddUser("carol", "pw3").Seed("INBOX", gmailMessage(7))
	r = runArgs(t, env, append(append(append([]string{"--script", script}, iso...), memSide(1, s3, "carol", "pw3")...), memSide(2, s2, "bob", "pw2")...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "no labels on host1") {
		t.Errorf("exit %d: no skip for a message without labels\n%s", r.code, r.stdout)
	}
}

// TestSearchGmailRawCLI: --search 'X-GM-RAW "..."' selects on the Gmail
// side only; --search2 with X-GM-RAW toward a server without X-GM-EXT-1
// exits 64.
func TestSearchGmailRawCLI(t *testing.T) {
	s1 := imapmem.StartT(t, imapmem.Options{Gmail: true})
	seedGmailSource(t, s1.AddUser("alice", "pw1"))
	s2 := imapmem.StartT(t, imapmem.Options{})
	u2 := s2.AddUser("bob", "pw2")
	env, iso := gmailEnv(t)
	sides := append(memSide(1, s1, "alice", "pw1"), memSide(2, s2, "bob", "pw2")...)
	r := runArgs(t, env, append(append([]string{"--gmail1", "--search", `X-GM-RAW "label:work-2024"`}, iso...), sides...)...)
	msgs, _ := u2.Messages("Work/2024")
	if r.code != 0 || len(msgs) != 2 || !strings.Contains(r.stdout, "Host2 has no X-GM-EXT-1: --search X-GM-RAW selects on the Gmail side only") ||
		!strings.Contains(r.stdout, "Messages transferred                    : 2") {
		t.Errorf("exit %d, %d messages in Work/2024\n%s%s", r.code, len(msgs), r.stdout, r.stderr)
	}
	r = runArgs(t, env, append(append([]string{"--search2", `X-GM-RAW "older_than:2y"`}, iso...), sides...)...)
	if r.code != 64 || !strings.Contains(r.stderr, "Host2 does not announce X-GM-EXT-1, so it cannot search with Gmail's syntax") {
		t.Errorf("--search2 X-GM-RAW toward a server without it: exit %d\n%s", r.code, r.stderr)
	}
}
