package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/oauthfake"
)

// TestOAuthSyncOnDovecot: a sync between two real Dovecots that take
// only OAuth2 for these logins' tokens (their oauth2 passdb introspects
// each token at the fake): a service account's token per user, XOAUTH2 on
// host1 and OAUTHBEARER on host2; every message arrives once and no token
// shows in the --debugimap trace.
func TestOAuthSyncOnDovecot(t *testing.T) {
	fake := oauthfake.StartT(t)
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS, OAuth2IntrospectionURL: fake.URL + "/introspect"})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP, OAuth2IntrospectionURL: fake.URL + "/introspect"})
	want := map[string][]string{}
	for folder, n := range map[string]int{"INBOX": 40, "Work": 25} {
		seedBulk(t, d1, "user1", folder, n)
		for i := 0; i < n; i++ {
			want[folder] = append(want[folder], fmt.Sprintf("<%s-%d@example.org>", folder, i))
		}
	}
	dir := t.TempDir()
	key, err := fake.NewServiceAccount("migrate@proj.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.json")
	os.WriteFile(keyFile, key, 0o600)
	r := runArgs(t, nil, "--host1", d1.Host, "--port1", port(d1.Port), "--user1", "user1", "--oauthserviceaccount1", keyFile,
		"--host2", d2.Host, "--port2", port(d2.Port), "--user2", "user2", "--oauthserviceaccount2", keyFile, "--oauthbearer2",
		"--notls1", "--notls2", "--nosslcheck", "--debugimap", "--tmpdir", dir, "--logdir", filepath.Join(dir, "logs"))
	all := r.stdout + r.stderr
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, all)
	}
	if !strings.Contains(all, "with user [user1] auth [XOAUTH2]") || !strings.Contains(all, "with user [user2] auth [OAUTHBEARER]") {
		t.Fatalf("not the OAuth2 logins expected:\n%s", all)
	}
	checkExactlyOnce(t, d2, want, "after the sync")
	for _, s := range fake.Secrets() {
		if strings.Contains(all, s) {
			t.Fatal("a token shows in the output")
		}
	}
	if subs := fake.Subjects(); subs["user1"] != 1 || subs["user2"] != 1 {
		t.Fatalf("tokens per user: %v", subs)
	}
}
