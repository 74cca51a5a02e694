package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestOAuthBatchServiceAccount: a batch of 5 accounts whose host1 side
// logs in with one Google service account given once, as a common option
// (the lines have no host1 password): each account gets its own token,
// minted once with its own sub, every account is copied exactly, and no
// token shows in any output or account log.
func TestOAuthBatchServiceAccount(t *testing.T) {
	o := newOAuthSetup(t, imapmem.GmailBye, imapmem.GmailBye)
	const accounts = 5
	var lines []string
	for i := 0; i < accounts; i++ {
		u1 := o.s1.AddUser(fmt.Sprintf("u%d@example.com", i), "unused")
		var msgs []imapmem.Message
		for m := 0; m < 8; m++ {
			msgs = append(msgs, imapmem.Message{Raw: []byte(fmt.Sprintf("Message-ID: <%d-%d@x>\r\nSubject: account %d message %d\r\n\r\nbody\r\n", i, m, i, m))})
		}
		if err := u1.Seed("INBOX", msgs...); err != nil {
			t.Fatal(err)
		}
		o.s2.AddUser(fmt.Sprintf("u%d@new.example", i), fmt.Sprintf("pw-%d", i))
		lines = append(lines, fmt.Sprintf("127.0.0.1;u%d@example.com;;127.0.0.1;u%d@new.example;pw-%d", i, i, i))
	}
	file := filepath.Join(o.dir, "accounts.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(o.dir, "out")
	r := runArgs(t, nil, "batch", file, "--jobs", "3", "--outdir", out,
		"--port1", strconv.Itoa(o.s1.Port()), "--port2", strconv.Itoa(o.s2.Port()), "--oauthserviceaccount1", o.key,
		"--notls1", "--notls2", "--nosslcheck", "--nofoldersizes", "--nofoldersizesatend")
	all := r.stdout + r.stderr
	if r.code != 0 {
		t.Fatalf("batch: exit %d\n%s", r.code, all)
	}
	subs := o.fake.Subjects()
	if len(subs) != accounts {
		t.Fatalf("tokens for %d subjects, want %d: %v", len(subs), accounts, subs)
	}
	for i := 0; i < accounts; i++ {
		user := fmt.Sprintf("u%d@example.com", i)
		if subs[user] != 1 {
			t.Errorf("%s: %d tokens minted, want 1", user, subs[user])
		}
		msgs, err := o.s2.User(fmt.Sprintf("u%d@new.example", i)).Messages("INBOX")
		if err != nil || len(msgs) != 8 {
			t.Errorf("account %d: %d messages on host2 (%v)", i, len(msgs), err)
		}
		for _, m := range msgs {
			if !strings.Contains(string(m.Raw), fmt.Sprintf("account %d ", i)) {
				t.Errorf("account %d got another account's message", i)
			}
		}
	}
	if st := o.s1.OAuthStats(); st.XOAuth2 == 0 || st.Refused != 0 {
		t.Fatalf("host1 %+v", st)
	}
	o.noSecrets(t, "the batch", all)
	var logs strings.Builder
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			logs.Write(b)
		}
		return nil
	})
	if logs.Len() == 0 {
		t.Fatal("the batch wrote nothing in its output directory")
	}
	o.noSecrets(t, "the batch's files", logs.String())
}
