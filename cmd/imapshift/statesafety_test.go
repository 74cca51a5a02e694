package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// account is one side of a state safety case: where to log in, and the
// command line options that do it.
type account struct {
	addr, user, pass string
	args             []string
}

func (a account) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(a.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(a.user, a.pass).Wait(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// safetyMsg is message i of a case's folder.
func safetyMsg(folder string, i int) []byte {
	return msg(fmt.Sprintf("%s-%d", folder, i), fmt.Sprintf("%s message %d", folder, i))
}

func appendMsgs(t *testing.T, c *imapclient.Client, folder string, from, to int) {
	t.Helper()
	date := time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := from; i < to; i++ {
		raw := safetyMsg(folder, i)
		var flags []imap.Flag
		if i%3 == 0 {
			flags = []imap.Flag{imap.FlagSeen}
		}
		cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: date.Add(time.Duration(i) * time.Minute)})
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
	}
}

// uidOf selects folder and returns the UID of its n-th message (1-based).
func uidOf(t *testing.T, c *imapclient.Client, folder string, n uint32) imap.UID {
	t.Helper()
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(n), &imap.FetchOptions{UID: true}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("message %d of %s: %v", n, folder, err)
	}
	return msgs[0].UID
}

func storeFlag(t *testing.T, c *imapclient.Client, folder string, n uint32, op imap.StoreFlagsOp, f imap.Flag) {
	t.Helper()
	uid := uidOf(t, c, folder, n)
	if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{f}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

func expungeNth(t *testing.T, c *imapclient.Client, folder string, n uint32) {
	t.Helper()
	storeFlag(t, c, folder, n, imap.StoreFlagsAdd, imap.FlagDeleted)
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
}

func recreate(t *testing.T, c *imapclient.Client, folder string) {
	t.Helper()
	if err := c.Unselect().Wait(); err != nil {
		// nothing selected
		_ = err
	}
	if err := c.Delete(folder).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
}

// folderLines returns the sorted "sha256 flags date" lines of folder.
func folderLines(t *testing.T, c *imapclient.Client, folder string) []string {
	t.Helper()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	if sel.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var fl []string
		for _, f := range m.Flags {
			if f != `\Recent` {
				fl = append(fl, string(f))
			}
		}
		slices.Sort(fl)
		out = append(out, fmt.Sprintf("%x %s %d", sha256.Sum256(m.BodySection[0].Bytes), strings.Join(fl, ","), m.InternalDate.Unix()))
	}
	slices.Sort(out)
	return out
}

// TestStateSafety: the sync state, on by default, never causes a missed
// or a duplicated message, whatever happened between two runs behind its
// back. Every case has a small folder of its own; a first run syncs them
// all and a rerun uses the state in each. Then each case changes
// something, adds a message and a flag on host1, and syncs its folder
// twice: after each run host2's folder holds exactly host1's messages,
// each once, with host1's flags and dates. Against imapmem (no CONDSTORE: flags are read with FLAGS
// FETCHes) and Dovecot (CONDSTORE: unchanged folders are skipped after a
// STATUS, flag changes read with CHANGEDSINCE); one Dovecot pair serves
// every case, each in its own folder.
func TestStateSafety(t *testing.T) {
	type env struct {
		h1, h2  account
		c1, c2  *imapclient.Client
		folder  string
		statDir string // where the case's state file is
	}
	cases := []struct {
		name   string
		args   []string                  // extra options of the third and fourth runs
		change func(t *testing.T, e env) // between the second and third runs
		want   string                    // a regexp the first run after the change prints
	}{
		{name: "new messages and flags on host1 only", change: func(t *testing.T, e env) {}, want: "read since the last run"},
		{name: "message deleted on host2", change: func(t *testing.T, e env) { expungeNth(t, e.c2, e.folder, 2) }},
		{name: "flag changed on host2", change: func(t *testing.T, e env) {
			storeFlag(t, e.c2, e.folder, 4, imap.StoreFlagsAdd, imap.FlagFlagged)
			storeFlag(t, e.c2, e.folder, 3, imap.StoreFlagsDel, imap.FlagSeen)
		}},
		{name: "host2 folder recreated (new UIDVALIDITY)", change: func(t *testing.T, e env) {
			recreate(t, e.c2, e.folder)
			appendMsgs(t, e.c2, e.folder, 0, 4) // some of host1's messages, again
		}, want: "UIDVALIDITY changed"},
		{name: "host1 folder recreated (new UIDVALIDITY)", change: func(t *testing.T, e env) {
			recreate(t, e.c1, e.folder)
			appendMsgs(t, e.c1, e.folder, 0, 10) // the same messages, new UIDs
		}, want: "UIDVALIDITY changed"},
		{name: "message expunged on host1, --delete2", args: []string{"--delete2"}, change: func(t *testing.T, e env) {
			expungeNth(t, e.c1, e.folder, 5)
		}, want: `1 to copy\), \d+ flags compared, 1 expunged`},
		{name: "state file deleted", change: func(t *testing.T, e env) {
			if err := os.RemoveAll(e.statDir); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "state file truncated in the middle", change: func(t *testing.T, e env) {
			files, _ := filepath.Glob(filepath.Join(e.statDir, "*.db"))
			if len(files) != 1 {
				t.Fatalf("state files %v", files)
			}
			// bbolt grows its file ahead of use: cut in the middle of
			// the bytes written, not of the file.
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			used := len(bytes.TrimRight(b, "\x00"))
			if err := os.Truncate(files[0], int64(used/2)); err != nil {
				t.Fatal(err)
			}
		}, want: "Warning: state: "},
	}
	backends := []struct {
		name  string
		start func(t *testing.T) (h1, h2 account)
	}{
		{"imapmem", func(t *testing.T) (account, account) {
			s1, s2 := imapmem.StartT(t, imapmem.Options{}), imapmem.StartT(t, imapmem.Options{})
			s1.AddUser("ana", "pw1")
			s2.AddUser("bea", "pw2")
			return account{s1.Addr(), "ana", "pw1", hostArgs(1, strconv.Itoa(s1.Port()), "ana", "pw1")},
				account{s2.Addr(), "bea", "pw2", hostArgs(2, strconv.Itoa(s2.Port()), "bea", "pw2")}
		}},
		{"dovecot", func(t *testing.T) (account, account) {
			d1 := dovecot.StartT(t, dovecot.Options{})
			d2 := dovecot.StartT(t, dovecot.Options{})
			return account{d1.Addr(), "user1", "secret1", dovecotSide(1, d1, "user1", "secret1", "--notls1")},
				account{d2.Addr(), "user2", "secret2", dovecotSide(2, d2, "user2", "secret2", "--notls2")}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			h1, h2 := b.start(t)
			c1, c2 := h1.client(t), h2.client(t)
			t.Cleanup(func() { c1.Close(); c2.Close() })
			cache := t.TempDir()
			t.Setenv("XDG_CACHE_HOME", cache)
			sync := func(t *testing.T, what string, extra ...string) string {
				t.Helper()
				args := append([]string{"--nofoldersizes"}, extra...)
				args = append(append(args, h1.args...), h2.args...)
				start := time.Now()
				code, out := imapshift(t, args...)
				t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
				if os.Getenv("STATE_SAFETY_OUT") != "" {
					t.Logf("%s", out)
				}
				if code != 0 {
					t.Fatalf("%s: exit %d\n%s", what, code, out)
				}
				return out
			}
			exact := func(t *testing.T, what, folder string) {
				t.Helper()
				want, got := folderLines(t, c1, folder), folderLines(t, c2, folder)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: host2 %s has %d messages, host1 %d:\nhost2 %q\nhost1 %q", what, folder, len(got), len(want), got, want)
				}
			}
			// One folder a case, all synced by a first run, then again:
			// the rerun uses the state in every folder.
			folder := func(i int) string { return fmt.Sprintf("case%d", i) }
			for i := range cases {
				if err := c1.Create(folder(i), nil).Wait(); err != nil {
					t.Fatal(err)
				}
				appendMsgs(t, c1, folder(i), 0, 10)
			}
			sync(t, "first run")
			out := sync(t, "rerun")
			for i := range cases {
				exact(t, "rerun", folder(i))
				if !strings.Contains(out, "["+folder(i)+"]: read since the last run") &&
					!regexp.MustCompile(`\[`+folder(i)+`\] +-> \[`+folder(i)+`\] +unchanged since the last run`).MatchString(out) {
					t.Fatalf("the rerun did not use the state in %s:\n%s", folder(i), out)
				}
			}
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					e := env{h1: h1, h2: h2, c1: c1, c2: c2, folder: folder(i),
						statDir: filepath.Join(cache, "imapshift", "state")}
					tc.change(t, e)
					// And what a day brings on host1: a new message, a flag.
					appendMsgs(t, c1, e.folder, 100, 101)
					storeFlag(t, c1, e.folder, 1, imap.StoreFlagsAdd, imap.FlagAnswered)
					args := append([]string{"--folder", e.folder}, tc.args...)
					out := sync(t, "run after the change", args...)
					if tc.want != "" && !regexp.MustCompile(tc.want).MatchString(out) {
						t.Errorf("run after the change: output lacks %q:\n%s", tc.want, out)
					}
					if strings.Contains(out, "Warning: state: ") && strings.Count(out, "Warning: state: ") != 1 {
						t.Errorf("the warning about the state is not one line:\n%s", out)
					}
					exact(t, "run after the change", e.folder)
					sync(t, "last run", args...)
					exact(t, "last run", e.folder)
				})
			}
		})
	}
}
