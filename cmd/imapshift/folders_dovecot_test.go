package main

// End-to-end tests of the folder options (issue 4) against real Dovecot
// servers. The helpers at the top are shared with messages_dovecot_test.go.

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// dvAcct is one account of a Dovecot instance.
type dvAcct struct {
	s          *dovecot.Server
	user, pass string
}

// side returns the --hostN ... --passwordN --notlsN arguments.
func (a dvAcct) side(n int) []string {
	return dovecotSide(n, a.s, a.user, a.pass, "--notls"+strconv.Itoa(n))
}

func (a dvAcct) client(t *testing.T) *imapclient.Client {
	t.Helper()
	return dovecotClient(t, a.s, a.user, a.pass)
}

func (a dvAcct) seed(t *testing.T, folders ...dovecot.Folder) {
	t.Helper()
	if err := a.s.SeedMany(a.user, folders); err != nil {
		t.Fatal(err)
	}
}

// dvPool hands out empty accounts (user1..user4 of instances started on
// demand), so that each subtest writes into an account of its own.
type dvPool struct {
	t      *testing.T
	layout dovecot.Layout
	s      *dovecot.Server
	n      int
}

func newDvPool(t *testing.T, layout dovecot.Layout) *dvPool { return &dvPool{t: t, layout: layout} }

var dvPoolUsers = []string{"user1", "user2", "user3", "user4"}

func (p *dvPool) acct() dvAcct {
	if p.s == nil || p.n == len(dvPoolUsers) {
		p.s = dovecot.StartT(p.t, dovecot.Options{Layout: p.layout})
		p.n = 0
	}
	u := dvPoolUsers[p.n]
	p.n++
	return dvAcct{p.s, u, dovecot.Users[u]}
}

// dvRun runs imapshift from host1 account from to host2 account to. extra
// comes first (a subcommand, if any, must be its first element); --nolog
// keeps log files out of the source tree.
func dvRun(t *testing.T, from, to dvAcct, extra ...string) (int, string) {
	t.Helper()
	args := append(append([]string{}, extra...), "--nolog")
	args = append(append(args, from.side(1)...), to.side(2)...)
	return imapshift(t, args...)
}

// The messages seeded by these tests are known by their id: dvMsg
// records the SHA-256 of each raw message so that host2's content can be
// read back as ids.
var dvIDs sync.Map // hex sha256 -> id

var dvDate = time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)

func dvRaw(id string, raw []byte) []byte {
	dvIDs.Store(fmt.Sprintf("%x", sha256.Sum256(raw)), id)
	return raw
}

func dvMsg(id string, flags ...string) dovecot.Message {
	return dovecot.Message{Raw: dvRaw(id, msg(id, "subject "+id)), Flags: flags, Date: dvDate}
}

// dvFolderIDs returns each selectable folder of a with the sorted ids of
// its messages joined by commas ("?" for an unknown message).
func dvFolderIDs(t *testing.T, a dvAcct) map[string]string {
	t.Helper()
	got, _ := contents(t, a.client(t))
	out := map[string]string{}
	for box, lines := range got {
		var ids []string
		for _, l := range lines {
			id := "?"
			if v, ok := dvIDs.Load(strings.Fields(l)[0]); ok {
				id = v.(string)
			}
			ids = append(ids, id)
		}
		sort.Strings(ids)
		out[box] = strings.Join(ids, ",")
	}
	return out
}

// dvListNames returns every name LIST gives for a, \Noselect ones included.
func dvListNames(t *testing.T, a dvAcct) []string {
	t.Helper()
	list, err := a.client(t).List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range list {
		out = append(out, l.Mailbox)
	}
	sort.Strings(out)
	return out
}

// dvIsAncestor reports whether name is a parent level of some other key of
// got, with '/' or '.' as separator.
func dvIsAncestor(name string, got map[string]string) bool {
	for k := range got {
		if strings.HasPrefix(k, name+"/") || strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// dvCheckFolders compares host2's folders with want (folder -> ids). Folders
// not in want are accepted only when empty and parents of other folders
// (created so that their children can exist).
func dvCheckFolders(t *testing.T, got, want map[string]string) {
	t.Helper()
	for box, ids := range want {
		g, ok := got[box]
		switch {
		case !ok:
			t.Errorf("folder %q missing (folders: %v)", box, dvSortedKeys(got))
		case g != ids:
			t.Errorf("folder %q holds [%s], want [%s]", box, g, ids)
		}
	}
	for box, ids := range got {
		if _, ok := want[box]; ok {
			continue
		}
		if ids != "" || !dvIsAncestor(box, got) {
			t.Errorf("unexpected folder %q holding [%s]", box, ids)
		}
	}
	if t.Failed() {
		t.Logf("host2 folders: %v", got)
	}
}

func dvSortedKeys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// dvStat returns the value of a line "label<spaces>: value" of the final
// statistics, or "" when there is none.
func dvStat(out, label string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + ` *: (.*?)\s*$`)
	if m := re.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// dvExpect fails unless the run exited with code and its output contains
// every string of wants.
func dvExpect(t *testing.T, code int, out string, wantCode int, wants ...string) {
	t.Helper()
	bad := code != wantCode
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
			bad = true
		}
	}
	if bad {
		t.Fatalf("exit %d (want %d)\n%s", code, wantCode, out)
	}
}

// dvFolderRow matches the row of `imapshift folders` for host1 folder h1.
func dvFolderRow(out, h1 string) string {
	if i := strings.Index(out, "\nhost1 folder "); i >= 0 {
		out = out[i:]
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mailbox.Display(h1)) + ` .*$`)
	return re.FindString(out)
}

// dvCheckRow asserts the row of h1 in `imapshift folders` output: host2
// name, rule and action (a prefix of the action
// column, e.g. "skip (").
func dvCheckRow(t *testing.T, out, h1, h2, rule, action string) {
	t.Helper()
	row := dvFolderRow(out, h1)
	if row == "" {
		t.Errorf("no row for host1 folder %q", h1)
		return
	}
	rest := strings.TrimSpace(strings.TrimPrefix(row, mailbox.Display(h1)))
	if !strings.HasPrefix(rest, mailbox.Display(h2)+" ") {
		t.Errorf("row %q: host2 name is not %s", row, mailbox.Display(h2))
		return
	}
	rest = strings.TrimSpace(strings.TrimPrefix(rest, mailbox.Display(h2)))
	if !strings.HasPrefix(rest, rule+" ") {
		t.Errorf("row %q: rule is not %q", row, rule)
		return
	}
	rest = strings.TrimSpace(strings.TrimPrefix(rest, rule))
	if !strings.HasPrefix(rest, action) {
		t.Errorf("row %q: action is not %q", row, action)
	}
}

// dvFolderOrder returns the host1 folders of the "Folder n/N [h1] -> [h2]"
// lines, by n ("" for a number that had no line).
func dvFolderOrder(t *testing.T, out string) []string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^Folder +(\d+)/(\d+) \[(.*?)\](?: = \[(.*?)\])? +-> `)
	var order []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		total, _ := strconv.Atoi(m[2])
		if order == nil {
			order = make([]string, total)
		}
		name := m[3]
		if m[4] != "" {
			name = m[4]
		}
		if n >= 1 && n <= len(order) {
			order[n-1] = name
		}
	}
	return order
}

// TestDovecotFolders covers the folder options of issue 4 on a '/' source
// with nested, non-ASCII, \Noselect and empty folders.
func TestDovecotFolders(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d3 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	fs := newDvPool(t, dovecot.LayoutFS)
	pp := newDvPool(t, dovecot.LayoutMaildirPP)

	src := dvAcct{d1, "user1", "secret1"}
	src.seed(t,
		dovecot.Folder{Name: "INBOX", Msgs: []dovecot.Message{dvMsg("a1", `\Seen`, "$Label1"), dvMsg("a2")}},
		dovecot.Folder{Name: "Données/Été", Msgs: []dovecot.Message{dvMsg("b1", `\Flagged`)}},
		dovecot.Folder{Name: "Archive/2019/Q1", Msgs: []dovecot.Message{dvMsg("c1", `\Answered`, `\Seen`)}},
		dovecot.Folder{Name: "Archive/2020", Msgs: []dovecot.Message{dvMsg("c2")}},
		dovecot.Folder{Name: "Sent Items", Msgs: []dovecot.Message{dvMsg("d1", `\Seen`)}},
		dovecot.Folder{Name: "Work", Msgs: []dovecot.Message{dvMsg("w1")}},
		dovecot.Folder{Name: "Work/Old", Msgs: []dovecot.Message{dvMsg("w2")}},
		dovecot.Folder{Name: "Projets/Noël", Msgs: []dovecot.Message{dvMsg("p1")}},
		dovecot.Folder{Name: "Release v1.2", Msgs: []dovecot.Message{dvMsg("r1")}},
		dovecot.Folder{Name: "Empty"},
	)
	// Not subscribed: for --subscribed.
	if _, err := d1.Doveadm("mailbox", "unsubscribe", "-u", "user1", "Work/Old", "Archive/2020"); err != nil {
		t.Fatal(err)
	}
	// "Données", "Archive", "Archive/2019" and "Projets" are \Noselect
	// directories on host1.
	all := map[string]string{
		"INBOX": "a1,a2", "Données/Été": "b1", "Archive/2019/Q1": "c1", "Archive/2020": "c2",
		"Sent Items": "d1", "Work": "w1", "Work/Old": "w2", "Projets/Noël": "p1", "Release v1.2": "r1", "Empty": "",
	}
	without := func(drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			if !slices.Contains(drop, k) {
				m[k] = v
			}
		}
		return m
	}

	t.Run("all folders, checkselectable and foldersizes", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst)
		dvExpect(t, code, out, 0, "Folders sizes before the synchronization", "Folders sizes after the synchronization",
			"Detected 0 errors", "Folders synced                          : 10/14 synced")
		if strings.Contains(out, "Could not select") {
			t.Errorf("a \\Noselect folder was selected:\n%s", out)
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), all)
		// The flags and dates came along.
		want, _ := contents(t, src.client(t))
		got, _ := contents(t, dst.client(t))
		for box, lines := range want {
			if !slices.Equal(got[box], lines) {
				t.Errorf("%q: got %v want %v", box, got[box], lines)
			}
		}
	})

	t.Run("checkselectable", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "folders", "--dry")
		dvExpect(t, code, out, 0)
		for _, h1 := range []string{"Données", "Archive", "Archive/2019", "Projets"} {
			dvCheckRow(t, out, h1, h1, "checkselectable", `skip (\Noselect on host1)`)
		}
		dvCheckRow(t, out, "Données/Été", "Données/Été", "translate", "create")
		// Without the check, the \Noselect folder is selected and fails.
		code, out = dvRun(t, src, dst, "--nofoldersizes", "--nocheckselectable", "--folder", "Données", "--folder", "Données/Été")
		dvExpect(t, code, out, 117, "Could not select")
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "Données/Été": "b1"})
	})

	t.Run("folder", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--folder", "INBOX", "--folder", "Données/Été")
		dvExpect(t, code, out, 0)
		if strings.Contains(out, "Folders sizes") {
			t.Errorf("--nofoldersizes printed sizes:\n%s", out)
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "a1,a2", "Données/Été": "b1"})
	})

	t.Run("folderrec", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--folderrec", "Archive", "--folder", "Sent Items")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "Archive/2019/Q1": "c1", "Archive/2020": "c2", "Sent Items": "d1"})
	})

	t.Run("subscribed", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--subscribed")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), without("Work/Old", "Archive/2020"))
	})

	t.Run("include and exclude", func(t *testing.T) {
		dst := fs.acct()
		// Include adds to --folder; exclude wins over both.
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--folder", "INBOX", "--folder", "Work",
			"--include", "^Archive", "--include", "Été$", "--exclude", "2020", "--exclude", "^Work$")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "a1,a2", "Archive/2019/Q1": "c1", "Données/Été": "b1"})
		// --include alone starts from nothing.
		dst = fs.acct()
		// imapsync matches folders with /$include/: the pattern is bare.
		code, out = dvRun(t, src, dst, "--nofoldersizes", "--include", "^Projets")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "Projets/Noël": "p1"})
	})

	t.Run("folderfirst and folderlast", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--dry",
			"--folderfirst", "Work", "--folderfirst", "Sent Items", "--folderlast", "INBOX", "--folderlast", "Nowhere")
		dvExpect(t, code, out, 0)
		order := slices.DeleteFunc(dvFolderOrder(t, out), func(s string) bool { return s == "" })
		if len(order) < 3 || order[0] != "Work" || order[1] != "Sent Items" || order[len(order)-1] != "INBOX" {
			t.Fatalf("folder order %q: want Work, Sent Items first, INBOX last\n%s", order, out)
		}
		if slices.Contains(order, "Nowhere") {
			t.Errorf("--folderlast added a folder that was not requested: %q", order)
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": ""})
	})

	t.Run("skipemptyfolders", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--skipemptyfolders")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), without("Empty"))
		// A folder whose message selection is empty is skipped too: every
		// message here is dated 2021.
		dst = fs.acct()
		code, out = dvRun(t, src, dst, "--nofoldersizes", "--skipemptyfolders", "--maxage", "30")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": ""})
	})

	t.Run("nomixfolders", func(t *testing.T) {
		h1 := dvAcct{d1, "user2", "secret2"}
		h1.seed(t, dovecot.Folder{Name: "Sent", Msgs: []dovecot.Message{dvMsg("s3")}},
			dovecot.Folder{Name: "Drafts", Msgs: []dovecot.Message{dvMsg("r3")}})
		dst := fs.acct()
		dst.seed(t, dovecot.Folder{Name: "SENT", Msgs: []dovecot.Message{dvMsg("x1")}})
		code, out := dvRun(t, h1, dst, "folders", "--dry", "--nomixfolders")
		dvExpect(t, code, out, 0)
		dvCheckRow(t, out, "Sent", "Sent", "nomixfolders", "skip (host2 already has [SENT] (--nomixfolders))")
		dvCheckRow(t, out, "Drafts", "Drafts", "translate", "create")
		code, out = dvRun(t, h1, dst, "--nofoldersizes", "--nomixfolders")
		dvExpect(t, code, out, 0)
		// The sync says why host1's Sent is left alone.
		if !regexp.MustCompile(`(?m)^.*\[Sent\].*\[SENT\].*--nomixfolders.*$`).MatchString(out) {
			t.Errorf("the sync does not say why [Sent] is skipped (--nomixfolders, host2 has [SENT]):\n%s", out)
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "SENT": "x1", "Drafts": "r3"})
		// Default (--mixfolders): Dovecot is case-sensitive, so "Sent" is
		// created next to "SENT".
		dst = fs.acct()
		dst.seed(t, dovecot.Folder{Name: "SENT", Msgs: []dovecot.Message{dvMsg("x1")}})
		code, out = dvRun(t, h1, dst, "--nofoldersizes")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "SENT": "x1", "Sent": "s3", "Drafts": "r3"})
	})

	// A '.'/"INBOX." source for automap and the folders table.
	src2 := dvAcct{d3, "user1", "secret1"}
	src2.seed(t,
		dovecot.Folder{Name: "INBOX", Msgs: []dovecot.Message{dvMsg("i1")}},
		dovecot.Folder{Name: "Sent Items", Msgs: []dovecot.Message{dvMsg("s1", `\Seen`)}},
		dovecot.Folder{Name: "Work", Msgs: []dovecot.Message{dvMsg("w3")}},
		dovecot.Folder{Name: "Old Stuff", Msgs: []dovecot.Message{dvMsg("o1")}},
		dovecot.Folder{Name: "Projets/Noël", Msgs: []dovecot.Message{dvMsg("p2")}},
	)

	t.Run("automap", func(t *testing.T) {
		dst := fs.acct()
		// Dovecot gives "Sent" the \Sent attribute once it exists.
		dst.seed(t, dovecot.Folder{Name: "Sent"})
		code, out := dvRun(t, src2, dst, "--nofoldersizes", "--automap")
		dvExpect(t, code, out, 0, "Folders mapping from --automap feature")
		if !regexp.MustCompile(`\[INBOX\.Sent Items\] +-> \[Sent\]`).MatchString(out) {
			t.Errorf("automap table lacks [INBOX.Sent Items] -> [Sent]:\n%s", out)
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "i1", "Sent": "s1", "Work": "w3", "Old Stuff": "o1", "Projets/Noël": "p2"})
	})

	t.Run("f1f2", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--folder", "INBOX", "--folder", "Sent Items", "--folder", "Données/Été",
			"--f1f2", "Sent Items=Envoyés", "--f1f2", "Données/Été=Summer/Été")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "a1,a2", "Envoyés": "d1", "Summer/Été": "b1"})
	})

	t.Run("subfolder1 missing exits 21", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--subfolder1", "Nowhere")
		dvExpect(t, code, out, 21, "Nowhere")
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": ""})
	})

	t.Run("subfolder2 then subfolder1 round trip", func(t *testing.T) {
		// A backup into "Backup" of an empty '.'/"INBOX." account, then a
		// restore from it into an empty '/' account. "Release v1.2" is
		// left out: a '.' in a name cannot survive a '.' server.
		backup, restored := pp.acct(), fs.acct()
		code, out := dvRun(t, src, backup, "--nofoldersizes", "--subfolder2", "Backup", "--exclude", `v1\.2`)
		dvExpect(t, code, out, 0)
		got := dvFolderIDs(t, backup)
		dvCheckFolders(t, got, map[string]string{
			"INBOX": "", "INBOX.Backup.INBOX": "a1,a2", "INBOX.Backup.Données.Été": "b1", "INBOX.Backup.Archive.2019.Q1": "c1",
			"INBOX.Backup.Archive.2020": "c2", "INBOX.Backup.Sent Items": "d1", "INBOX.Backup.Work": "w1",
			"INBOX.Backup.Work.Old": "w2", "INBOX.Backup.Projets.Noël": "p1", "INBOX.Backup.Empty": "",
		})
		code, out = dvRun(t, backup, restored, "--nofoldersizes", "--subfolder1", "Backup")
		dvExpect(t, code, out, 0)
		want, _ := contents(t, src.client(t))
		delete(want, "Release v1.2")
		back, _ := contents(t, restored.client(t))
		ids := map[string]string{}
		for box, lines := range back {
			ids[box] = strings.Join(lines, " ")
		}
		for box, lines := range want {
			if !slices.Equal(back[box], lines) {
				t.Errorf("round trip %q: got %v want %v", box, back[box], lines)
			}
		}
		for box, lines := range back {
			if _, ok := want[box]; !ok && (len(lines) > 0 || !dvIsAncestor(box, ids)) {
				t.Errorf("round trip: unexpected folder %q (%d messages)", box, len(lines))
			}
		}
	})

	t.Run("regextrans2", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--folder", "INBOX", "--folder", "Sent Items", "--folder", "Projets/Noël",
			"--regextrans2", "s/ /_/g", "--regextrans2", `s{^(Projets.*)$}{\U$1}`)
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "a1,a2", "Sent_Items": "d1", "PROJETS/NOËL": "p1"})
	})

	t.Run("perl constructs RE2 cannot run are refused", func(t *testing.T) {
		dst := fs.acct()
		for _, args := range [][]string{
			{"--regextrans2", "s/(?<=Work)Old/X/"},
			{"--exclude", "Work(?=/)"},
			{"--regextrans2", `s/(a)\1/x/`},
		} {
			code, out := dvRun(t, src, dst, append([]string{"--nofoldersizes"}, args...)...)
			dvExpect(t, code, out, 64, "Lua", args[1])
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": ""})
	})

	t.Run("fixslash2 and nofixslash2", func(t *testing.T) {
		// '/' source to '.' destination: the '.' of "Release v1.2" becomes
		// '/', which --fixslash2 (default) turns into '_'.
		dst := pp.acct()
		code, out := dvRun(t, src, dst, "--nofoldersizes", "--folder", "Release v1.2", "--folder", "Données/Été")
		dvExpect(t, code, out, 0)
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "INBOX.Release v1_2": "r1", "INBOX.Données.Été": "b1"})
		// Without it the name keeps its '/', which Dovecot refuses.
		dst = pp.acct()
		code, out = dvRun(t, src, dst, "--nofoldersizes", "--nofixslash2", "--folder", "Release v1.2", "--folder", "Données/Été")
		dvExpect(t, code, out, 116, "Could not create folder [INBOX.Release v1/2]")
		dvCheckFolders(t, dvFolderIDs(t, dst), map[string]string{"INBOX": "", "INBOX.Données.Été": "b1"})
	})

	t.Run("justfolders", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--justfolders")
		dvExpect(t, code, out, 0)
		empty := map[string]string{}
		for k := range all {
			empty[k] = ""
		}
		dvCheckFolders(t, dvFolderIDs(t, dst), empty)
		if strings.Contains(out, " copied to ") {
			t.Errorf("--justfolders copied messages:\n%s", out)
		}
	})

	t.Run("justfoldersizes", func(t *testing.T) {
		dst := fs.acct()
		code, out := dvRun(t, src, dst, "--justfoldersizes")
		dvExpect(t, code, out, 0, "Folders sizes before the synchronization", "Host1 Nb folders:", "Host1 Nb messages:                   10 messages",
			"Host2 Nb messages:                    0 messages")
		if strings.Contains(out, "Creating folder") || strings.Contains(out, " copied to ") {
			t.Errorf("--justfoldersizes changed host2:\n%s", out)
		}
		if names := dvListNames(t, dst); !slices.Equal(names, []string{"INBOX"}) {
			t.Errorf("--justfoldersizes created folders on host2: %v", names)
		}
	})

	// host2 accounts with folders that host1 does not have.
	withExtra := func() dvAcct {
		dst := fs.acct()
		dst.seed(t,
			dovecot.Folder{Name: "INBOX", Msgs: []dovecot.Message{dvMsg("z1")}},
			dovecot.Folder{Name: "Old/Stuff", Msgs: []dovecot.Message{dvMsg("z2")}},
			dovecot.Folder{Name: "Extra", Msgs: []dovecot.Message{dvMsg("z3")}},
			dovecot.Folder{Name: "Keep Me", Msgs: []dovecot.Message{dvMsg("z4")}},
		)
		return dst
	}
	for _, tc := range []struct {
		name string
		args []string
		kept []string // host2 folders left, besides INBOX and Work
	}{
		{"delete2folders", []string{"--delete2folders"}, nil},
		{"delete2foldersonly", []string{"--delete2foldersonly", "/^Old/"}, []string{"Extra", "Keep Me"}},
		{"delete2foldersbutnot", []string{"--delete2foldersbutnot", "/Keep/"}, []string{"Keep Me"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := withExtra()
			// INBOX is not synced here, so it is a host2-only folder too:
			// it must never be deleted.
			code, out := dvRun(t, src, dst, append([]string{"--nofoldersizes", "--folder", "Work"}, tc.args...)...)
			dvExpect(t, code, out, 0)
			want := map[string]string{"INBOX": "z1", "Work": "w1"}
			ids := map[string]string{"Extra": "z3", "Keep Me": "z4"}
			for _, k := range tc.kept {
				want[k] = ids[k]
			}
			dvCheckFolders(t, dvFolderIDs(t, dst), want)
			names := dvListNames(t, dst)
			for _, gone := range []string{"Old/Stuff", "Old"} {
				if slices.Contains(names, gone) {
					t.Errorf("%q not deleted on host2: %v", gone, names)
				}
			}
		})
	}

	t.Run("delete1emptyfolders", func(t *testing.T) {
		h1, dst := fs.acct(), fs.acct()
		h1.seed(t,
			dovecot.Folder{Name: "INBOX"},
			dovecot.Folder{Name: "Empty1"},
			dovecot.Folder{Name: "Keep"},
			dovecot.Folder{Name: "Keep/Sub", Msgs: []dovecot.Message{dvMsg("k1")}},
			dovecot.Folder{Name: "Full", Msgs: []dovecot.Message{dvMsg("f1")}},
			dovecot.Folder{Name: "Nest"},
			dovecot.Folder{Name: "Nest/Deep"},
		)
		before := dvListNames(t, h1)
		// The folders command reads no message, so it cannot know a
		// folder is empty: it deletes nothing, not even in its plan.
		code, out := dvRun(t, h1, dst, "folders", "--dry", "--delete1emptyfolders")
		dvExpect(t, code, out, 0)
		if strings.Contains(out, "deleting folder") {
			t.Errorf("folders plans host1 deletions:\n%s", out)
		}
		// A dry sync lists the deletions and deletes nothing.
		code, out = dvRun(t, h1, dst, "--dry", "--nofoldersizes", "--delete1emptyfolders")
		dvExpect(t, code, out, 0, "Host1: deleting folder [Empty1] (not really since --dry mode)", "Host1: deleting folder [Nest/Deep] (not really since --dry mode)", "Host1: deleting folder [Nest] (not really since --dry mode)")
		if after := dvListNames(t, h1); !slices.Equal(after, before) {
			t.Fatalf("--dry deleted host1 folders: %v -> %v", before, after)
		}
		code, out = dvRun(t, h1, dst, "--nofoldersizes", "--delete1emptyfolders")
		dvExpect(t, code, out, 0)
		if got, want := dvListNames(t, h1), []string{"Full", "INBOX", "Keep", "Keep/Sub"}; !slices.Equal(got, want) {
			t.Errorf("host1 folders after --delete1emptyfolders: %v, want %v", got, want)
		}
		got := dvFolderIDs(t, dst)
		if got["Keep/Sub"] != "k1" || got["Full"] != "f1" {
			t.Errorf("host2 after --delete1emptyfolders: %v", got)
		}
	})

	t.Run("folders --dry table", func(t *testing.T) {
		dst := fs.acct()
		dst.seed(t, dovecot.Folder{Name: "Sent"}, dovecot.Folder{Name: "Extra", Msgs: []dovecot.Message{dvMsg("e1")}})
		before2, before1 := dvFolderIDs(t, dst), dvFolderIDs(t, src2)
		names2 := dvListNames(t, dst)
		code, out := dvRun(t, src2, dst, "folders", "--dry", "--automap", "--f1f2", "INBOX.Work=Travail",
			"--regextrans2", "s/ /_/g", "--delete2folders")
		dvExpect(t, code, out, 0)
		dvCheckRow(t, out, "INBOX", "INBOX", "translate", "exists")
		dvCheckRow(t, out, "INBOX.Sent Items", "Sent", "automap", "exists")
		dvCheckRow(t, out, "INBOX.Work", "Travail", "f1f2", "create")
		dvCheckRow(t, out, "INBOX.Old Stuff", "Old_Stuff", "regextrans2", "create")
		dvCheckRow(t, out, "INBOX.Projets.Noël", "Projets/Noël", "translate", "create")
		dvCheckRow(t, out, "INBOX.Projets", "Projets", "checkselectable", `skip (\Noselect on host1)`)
		if !regexp.MustCompile(`(?m)^\[\] +\[Extra\] +delete2folders +delete *$`).MatchString(out) {
			t.Errorf("no delete row for host2 folder Extra:\n%s", out)
		}
		if after := dvListNames(t, dst); !slices.Equal(after, names2) {
			t.Errorf("folders --dry changed host2's folders: %v -> %v", names2, after)
		}
		if after := dvFolderIDs(t, dst); fmt.Sprint(after) != fmt.Sprint(before2) {
			t.Errorf("folders --dry changed host2: %v -> %v", before2, after)
		}
		if after := dvFolderIDs(t, src2); fmt.Sprint(after) != fmt.Sprint(before1) {
			t.Errorf("folders --dry changed host1: %v -> %v", before1, after)
		}
		if t.Failed() {
			t.Logf("output:\n%s", out)
		}
	})
}
