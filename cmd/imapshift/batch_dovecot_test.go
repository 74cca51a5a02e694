package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/faultproxy"
)

// fleetPair is two Dovecot instances holding n batch users each (m000 ...),
// host1's seeded with distinct messages per account.
type fleetPair struct {
	d1, d2 *dovecot.Server
	want   []map[string][]string // per account: folder → Message-Ids
}

// startFleet starts both instances and seeds host1's first n accounts with
// msgs messages each, over INBOX and Archive.
func startFleet(t *testing.T, users, n, msgs int) *fleetPair {
	t.Helper()
	f := &fleetPair{
		d1: dovecot.StartT(t, dovecot.Options{ManyUsers: users, FsyncNever: true}),
		d2: dovecot.StartT(t, dovecot.Options{ManyUsers: users, FsyncNever: true}),
	}
	for a := 0; a < n; a++ {
		want := map[string][]string{}
		var folders []dovecot.Folder
		for fi, folder := range []string{"INBOX", "Archive"} {
			var ms []dovecot.Message
			for i := fi; i < msgs; i += 2 {
				id := fmt.Sprintf("batch-%02d-%03d", a, i)
				ms = append(ms, dovecot.Message{Raw: msg(id, fmt.Sprintf("account %d message %d", a, i)),
					Flags: []string{`\Seen`}, Date: time.Date(2022, 3, 4, 5, 6, i%60, 0, time.UTC)})
				want[folder] = append(want[folder], "<"+id+"@example.org>")
			}
			folders = append(folders, dovecot.Folder{Name: folder, Msgs: ms})
		}
		if err := f.d1.SeedMany(dovecot.ManyUser(a), folders); err != nil {
			t.Fatal(err)
		}
		f.want = append(f.want, want)
	}
	return f
}

// checkAccounts checks that each of host2's accounts in accts holds
// exactly its host1 messages, each once (nil want: an empty account).
func (f *fleetPair) checkAccounts(t *testing.T, accts []int, empty bool) {
	t.Helper()
	for _, a := range accts {
		c, err := imapclient.DialInsecure(f.d2.Addr(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login(dovecot.ManyUser(a), dovecot.ManyPassword(a)).Wait(); err != nil {
			t.Fatal(err)
		}
		for folder, ids := range f.want[a] {
			got := map[string]int{}
			sel, err := c.Select(f.d2.MailboxName(folder), &imap.SelectOptions{ReadOnly: true}).Wait()
			if err == nil && sel.NumMessages > 0 {
				var all imap.SeqSet
				all.AddRange(1, sel.NumMessages)
				msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					got["<"+m.Envelope.MessageID+">"]++
				}
			}
			if empty {
				if len(got) != 0 {
					t.Errorf("account %d %s: %d messages, want none", a, folder, len(got))
				}
				continue
			}
			for _, id := range ids {
				if got[id] != 1 {
					t.Errorf("account %d %s: %s %d times", a, folder, id, got[id])
				}
				delete(got, id)
			}
			if len(got) > 0 {
				t.Errorf("account %d %s: %d unexpected messages", a, folder, len(got))
			}
		}
		c.Logout().Wait()
		c.Close()
	}
}

// batchLine is one account line for account a, host1 at addr1, host2 at
// addr2.
func batchLine(a int, host1 string, port1 int, host2 string, port2 int) string {
	return fmt.Sprintf("%s;%s;%s;%s;%s;%s;--port1 %d --port2 %d", host1, dovecot.ManyUser(a), dovecot.ManyPassword(a),
		host2, dovecot.ManyUser(a), dovecot.ManyPassword(a), port1, port2)
}

// readSummary reads summary.csv into rows keyed by column name.
func readSummary(t *testing.T, dir string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// TestBatchDovecot runs 14 account lines across two Dovecot instances
// through connection-counting proxies, --jobs 4 and --maxconnsperhost 8:
// first --check (the two broken lines reported, nothing copied), then
// the batch (12 accounts synced exactly, the wrong password and the
// unreachable port in the summary with their reason and exit code, never
// more than 8 connections to either server), then the same command again
// (the 12 finished accounts skipped, nothing copied twice).
func TestBatchDovecot(t *testing.T) {
	const good = 12
	f := startFleet(t, good+1, good, 20)
	p1, err := faultproxy.Start(f.d1.Addr(), faultproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	p2, err := faultproxy.Start(f.d2.Addr(), faultproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	dir := t.TempDir()
	var lines []string
	lines = append(lines, "# 12 good accounts, a wrong password, an unreachable port")
	for a := 0; a < good; a++ {
		lines = append(lines, batchLine(a, "127.0.0.1", p1.Port(), "127.0.0.1", p2.Port()))
	}
	lines = append(lines, fmt.Sprintf("127.0.0.1;%s;wrong;127.0.0.1;%s;%s;--port1 %d --port2 %d", dovecot.ManyUser(good), dovecot.ManyUser(good), dovecot.ManyPassword(good), p1.Port(), p2.Port()))
	lines = append(lines, fmt.Sprintf("127.0.0.1;%s;%s;127.0.0.1;%s;%s;--port1 %s --port2 %d", dovecot.ManyUser(0), dovecot.ManyPassword(0), dovecot.ManyUser(1), dovecot.ManyPassword(1), closedPort(t), p2.Port()))
	file := filepath.Join(dir, "accounts.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := []string{"batch", file, "--jobs", "4", "--maxconnsperhost", "8", "--outdir", out, "--notls1", "--notls2", "--nofoldersizes", "--nofoldersizesatend"}

	// --check: logins and sizes, nothing copied.
	t0 := time.Now()
	code, text := imapshift(t, append(cmd, "--check")...)
	t.Logf("check %v", time.Since(t0))
	if code != 101 {
		t.Fatalf("--check: exit %d, want 101 (one login refused, one port closed: the lowest of equals)\n%s", code, text)
	}
	for _, want := range []string{"host1 login ok, 20 messages", "host2 login ok, ", "login failed  161", "Error login", "failed        101", "can not open imap connection"} {
		if !strings.Contains(text, want) {
			t.Errorf("--check output lacks %q\n%s", want, text)
		}
	}
	f.checkAccounts(t, []int{0, 5, 11}, true)

	start := p1.Stats().Conns
	t0 = time.Now()
	rec := &recorder{progress: map[int]fleet.Counts{}, open: map[string]int{}, peak: map[string]int{}, finished: map[int]fleet.Result{}}
	r := runApp(t, nil, func(a *app) { a.observers = []fleet.Observer{rec} }, cmd...)
	code, text = r.code, r.stdout+r.stderr
	t.Logf("batch %v", time.Since(t0))
	if code != 101 {
		t.Fatalf("batch: exit %d, want 101\n%s", code, text)
	}
	rows := readSummary(t, out)
	if os.Getenv("BATCH_DEBUG") != "" {
		b, _ := os.ReadFile(filepath.Join(out, rows[3]["log"]))
		t.Logf("%s\n%s", text, b)
	}
	if len(rows) != good+2 {
		t.Fatalf("%d summary rows, want %d", len(rows), good+2)
	}
	for i, r := range rows[:good] {
		if r["status"] != "ok" || r["exit_code"] != "0" || r["copied"] != "20" || r["errors"] != "0" || r["first_error"] != "" {
			t.Errorf("account %d: %v", i, r)
		}
		if b, err := strconv.Atoi(r["bytes"]); err != nil || b < 20*100 {
			t.Errorf("account %d: bytes %q", i, r["bytes"])
		}
		log, err := os.ReadFile(filepath.Join(out, r["log"]))
		if err != nil || !strings.Contains(string(log), "Exiting with return value 0") || strings.Contains(string(log), dovecot.ManyPassword(i)) {
			t.Errorf("account %d: log %s: %v, or it holds the password\n%s", i, r["log"], err, tail(string(log)))
		}
	}
	if r := rows[good]; r["status"] != "login failed" || r["exit_code"] != "161" || !strings.Contains(r["first_error"], "Error login") {
		t.Errorf("wrong password line: %v", r)
	}
	if r := rows[good+1]; r["status"] != "failed" || r["exit_code"] != "101" || !strings.Contains(r["first_error"], "can not open imap connection") {
		t.Errorf("unreachable port line: %v", r)
	}
	if strings.Contains(text, "wrong") {
		t.Errorf("the output shows a password:\n%s", text)
	}
	f.checkAccounts(t, seq(good), false)
	s1, s2 := p1.Stats(), p2.Stats()
	t.Logf("connections: host1 %d (at most %d at once), host2 %d (at most %d at once)", s1.Conns-start, s1.MaxOpen, s2.Conns, s2.MaxOpen)
	// The proxies count a connection until they read its close, which
	// under load can come after the next account's connect: one over 8
	// is that lag. The observer (rec.check) counts exactly, at most 8.
	if s1.MaxOpen > 9 || s2.MaxOpen > 9 {
		t.Errorf("more than 8 connections at once: host1 %d, host2 %d", s1.MaxOpen, s2.MaxOpen)
	}
	if s1.MaxOpen < 3 {
		t.Errorf("at most %d connections to host1 at once: the accounts did not run in parallel", s1.MaxOpen)
	}
	rec.check(t, good, []string{p1.Addr(), p2.Addr()})
	var sum struct {
		ExitCode int `json:"exit_code"`
		Accounts []struct {
			Status string `json:"status"`
			Copied int64  `json:"copied"`
		} `json:"accounts"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil || sum.ExitCode != 101 || len(sum.Accounts) != good+2 {
		t.Errorf("summary.json: %v %+v", err, sum)
	}

	// The same command again: the finished accounts are skipped.
	before := p1.Stats().Conns
	t0 = time.Now()
	code, text = imapshift(t, cmd...)
	t.Logf("rerun %v", time.Since(t0))
	if code != 101 {
		t.Fatalf("rerun: exit %d\n%s", code, text)
	}
	rows = readSummary(t, out)
	for i, r := range rows[:good] {
		if r["status"] != "done" || r["exit_code"] != "0" {
			t.Errorf("rerun: account %d: %v", i, r)
		}
	}
	if n := p1.Stats().Conns - before; n > 4 {
		t.Errorf("rerun opened %d connections to host1: finished accounts were run again", n)
	}
	if !strings.Contains(text, "done already") {
		t.Errorf("rerun output does not say the accounts are done\n%s", text)
	}
	f.checkAccounts(t, seq(good), false)
}

// recorder is a fleet.Observer keeping what it is told.
type recorder struct {
	mu       sync.Mutex
	planned  int
	started  int
	progress map[int]fleet.Counts
	appends  int
	open     map[string]int // host → connections now
	peak     map[string]int
	finished map[int]fleet.Result
}

func (r *recorder) Planned(a []fleet.Account) { r.mu.Lock(); r.planned = len(a); r.mu.Unlock() }
func (r *recorder) Started(int, string)       { r.mu.Lock(); r.started++; r.mu.Unlock() }
func (r *recorder) Progress(i int, c fleet.Counts) {
	r.mu.Lock()
	r.progress[i] = c
	r.mu.Unlock()
}
func (r *recorder) Appended(_ int, d time.Duration) {
	r.mu.Lock()
	if d > 0 {
		r.appends++
	}
	r.mu.Unlock()
}
func (r *recorder) Connections(host string, open int) {
	r.mu.Lock()
	r.open[host] = open
	r.peak[host] = max(r.peak[host], open)
	r.mu.Unlock()
}
func (r *recorder) Finished(i int, res fleet.Result) {
	r.mu.Lock()
	r.finished[i] = res
	r.mu.Unlock()
}

// check: every account planned, started and finished; the good ones'
// progress reached their 20 messages; APPENDs timed; connections per
// server never above 8 and all closed at the end.
func (r *recorder) check(t *testing.T, good int, hosts []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.planned != good+2 || r.started != good+2 || len(r.finished) != good+2 {
		t.Errorf("observer: planned %d, started %d, finished %d", r.planned, r.started, len(r.finished))
	}
	for i := 0; i < good; i++ {
		if c := r.progress[i]; c.Copied != 20 || c.MessagesTotal != 20 || c.Bytes == 0 || c.Bytes != c.BytesTotal {
			t.Errorf("observer: account %d progress %+v", i, c)
		}
		if res := r.finished[i]; res.Status != fleet.OK || res.Counts.Copied != 20 || res.LogPath == "" || res.ReportPath == "" {
			t.Errorf("observer: account %d ended %+v", i, res)
		}
	}
	if res := r.finished[good]; res.Status != fleet.LoginFailed || res.ExitCode != 161 || res.FirstError == "" {
		t.Errorf("observer: wrong password line ended %+v", res)
	}
	if r.appends < good {
		t.Errorf("observer: %d APPENDs timed", r.appends)
	}
	for _, h := range hosts {
		if r.peak[h] < 1 || r.peak[h] > 8 || r.open[h] != 0 {
			t.Errorf("observer: %s: at most %d connections at once, %d open at the end", h, r.peak[h], r.open[h])
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
