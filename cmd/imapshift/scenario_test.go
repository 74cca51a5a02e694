package main

// TestScenarios runs every scenario of testdata/scenarios (format in
// testdata/scenarios/README.md) on each server set it names: the
// in-process server (imapmem) and real Dovecot in its '/' layout
// (dovecot-fs) or its '.'/"INBOX." layout (dovecot-pp). Each account of a
// scenario is a fresh user; Dovecot instances (four users each, mail_fsync
// off) are shared by all scenarios, and a source account that no run
// writes to is seeded once and reused by the scenarios that describe it
// identically. Scenarios run one after the other: the command runs
// in-process and is not meant to run twice at once.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

const scenarioRoot = "../../testdata/scenarios"

func TestScenarios(t *testing.T) {
	files, err := scFindScenarios(scenarioRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenario under %s", scenarioRoot)
	}
	env := &scEnv{parent: t, pools: map[dovecot.Layout]*scPool{}, cache: map[string]scAccount{}}
	for _, f := range files {
		name, _ := filepath.Rel(scenarioRoot, f)
		name = strings.TrimSuffix(name, ".txt")
		sc, err := parseScenario(f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Run(name, func(t *testing.T) {

			for _, r := range sc.runs {
				t.Run(r.name, func(t *testing.T) { env.play(t, sc, r) })
			}
		})
	}
}

// scEnv holds the servers shared by the scenarios of one test.
type scEnv struct {
	parent *testing.T
	mem    *imapmem.Server
	memN   int
	pools  map[dovecot.Layout]*scPool
	cache  map[string]scAccount // reusable source accounts by content
}

// scPool hands out the users of Dovecot instances of one layout, starting
// a new instance when the last one has none left.
type scPool struct {
	s         *dovecot.Server
	n         int
	quotaUsed bool
}

// scAccount is one user on one server.
type scAccount struct {
	kind       string
	host       string
	port       int
	user, pass string
	dv         *dovecot.Server
	mem        *imapmem.User
}

// side returns the --hostN ... --notlsN arguments.
func (a scAccount) side(n int) []string {
	k := strconv.Itoa(n)
	return []string{"--host" + k, a.host, "--port" + k, strconv.Itoa(a.port), "--user" + k, a.user, "--password" + k, a.pass, "--notls" + k}
}

func (a scAccount) String() string { return a.kind + ":" + a.user }

func (a scAccount) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(a.addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(a.user, a.pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (a scAccount) addr() string { return a.host + ":" + strconv.Itoa(a.port) }

// startDovecot starts an instance that lives until the end of the whole
// test, skipping (or failing, with IMAPSHIFT_REQUIRE_DOVECOT=1) t when
// Dovecot is not installed.
func (e *scEnv) startDovecot(t *testing.T, layout dovecot.Layout) *dovecot.Server {
	t.Helper()
	s, err := dovecot.Start(dovecot.Options{Layout: layout, FsyncNever: true})
	if err != nil {
		if errors.Is(err, dovecot.ErrNotInstalled) && os.Getenv(dovecot.RequireEnv) != "1" {
			t.Skipf("SKIP: dovecot not available: %v", err)
		}
		t.Fatal(err)
	}
	e.parent.Cleanup(func() {
		if err := s.Stop(); err != nil {
			e.parent.Errorf("dovecot stop: %v", err)
		}
	})
	return s
}

// fresh returns an account nobody has used yet.
func (e *scEnv) fresh(t *testing.T, kind string, quota bool) scAccount {
	t.Helper()
	if kind == "imapmem" {
		if quota {
			t.Fatal("the quota user exists only on Dovecot")
		}
		if e.mem == nil {
			s, err := imapmem.Start(imapmem.Options{})
			if err != nil {
				t.Fatal(err)
			}
			e.parent.Cleanup(func() { s.Close() })
			e.mem = s
		}
		e.memN++
		name := fmt.Sprintf("u%d", e.memN)
		u := e.mem.AddUser(name, "pw-"+name)
		return scAccount{kind: kind, host: e.mem.Host(), port: e.mem.Port(), user: name, pass: "pw-" + name, mem: u}
	}
	layout := dovecot.LayoutFS
	if kind == "dovecot-pp" {
		layout = dovecot.LayoutMaildirPP
	}
	p := e.pools[layout]
	if p == nil {
		p = &scPool{}
		e.pools[layout] = p
	}
	users := []string{"user1", "user2", "user3", "user4"}
	if p.s == nil || (!quota && p.n == len(users)) || (quota && p.quotaUsed) {
		p.s, p.n, p.quotaUsed = e.startDovecot(t, layout), 0, false
	}
	user := dovecot.QuotaUser
	if quota {
		p.quotaUsed = true
	} else {
		user = users[p.n]
		p.n++
	}
	return scAccount{kind: kind, host: p.s.Host, port: p.s.Port, user: user, pass: dovecot.Users[user], dv: p.s}
}

// hostWritingOptions are the options with which a run changes host1.
var hostWritingOptions = []string{"--delete1", "--delete1emptyfolders", "--expunge1", "--noexpunge1"}

// readOnly reports whether no step of sc writes to acct.
func (sc *scenario) readOnly(acct string) bool {
	if sc.quota[acct] {
		return false
	}
	for _, st := range sc.steps {
		switch {
		case st.kind == "change" && st.acct == acct, st.kind == "run" && st.to == acct:
			return false
		case st.kind == "run" && st.from == acct:
			for _, a := range st.args {
				if slices.Contains(hostWritingOptions, strings.SplitN(a, "=", 2)[0]) {
					return false
				}
			}
		}
	}
	return true
}

// seedKey describes a seeded mailbox exactly, for reuse.
func seedKey(kind string, folders []scFolder) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, f := range folders {
		fmt.Fprintf(&b, "\n%q %v", f.name, f.unsubscribed)
		for _, m := range f.msgs {
			fmt.Fprintf(&b, " %s/%v/%d", scSHA(string(m.raw)), m.flags, m.date.Unix())
		}
	}
	return b.String()
}

// account returns a seeded account for acct of sc on kind.
func (e *scEnv) account(t *testing.T, sc *scenario, acct, kind string) scAccount {
	t.Helper()
	folders := sc.seeds[acct]
	reuse := sc.readOnly(acct) && len(folders) > 0
	key := seedKey(kind, folders)
	if a, ok := e.cache[key]; ok && reuse {
		return a
	}

	a := e.fresh(t, kind, sc.quota[acct])
	seedAccount(t, a, folders)
	if reuse {
		e.cache[key] = a
	}
	return a
}

// seedAccount writes the folders and messages into a (appending to
// folders that exist) and subscribes the folders not marked
// "(unsubscribed)".
func seedAccount(t *testing.T, a scAccount, folders []scFolder) {
	t.Helper()
	if len(folders) == 0 {
		return
	}
	var unsub, sub []string
	for _, f := range folders {
		if f.unsubscribed {
			unsub = append(unsub, f.name)
		} else {
			sub = append(sub, f.name)
		}
	}
	if a.mem != nil {
		for _, f := range folders {
			var msgs []imapmem.Message
			for _, m := range f.msgs {
				var fl []imap.Flag
				for _, x := range m.flags {
					fl = append(fl, imap.Flag(x))
				}
				msgs = append(msgs, imapmem.Message{Raw: m.raw, Flags: fl, Date: m.date})
			}
			if err := a.mem.Seed(f.name, msgs...); err != nil {
				t.Fatal(err)
			}
		}
		a.mem.Subscribe(sub...)
		return
	}
	// Dovecot: over IMAP, which is quicker than writing Maildir files and
	// indexing them with doveadm.
	c := a.client(t)
	for _, f := range folders {
		if f.name != "INBOX" {
			if err := c.Create(f.name, nil).Wait(); err != nil && !strings.Contains(err.Error(), "ALREADYEXISTS") {
				t.Fatalf("seeding %s: create %q: %v", a, f.name, err)
			}
		}
		for _, m := range f.msgs {
			var fl []imap.Flag
			for _, x := range m.flags {
				fl = append(fl, imap.Flag(x))
			}
			cmd := c.Append(f.name, int64(len(m.raw)), &imap.AppendOptions{Flags: fl, Time: m.date})
			if _, err := cmd.Write(m.raw); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := cmd.Wait(); err != nil {
				t.Fatalf("seeding %s: append to %q: %v", a, f.name, err)
			}
		}
	}
	for _, n := range sub {
		if err := c.Subscribe(n).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range unsub {
		if err := c.Unsubscribe(n).Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// play runs the steps of sc with the accounts on the servers of r.
func (e *scEnv) play(t *testing.T, sc *scenario, r serverRun) {

	accts := map[string]scAccount{}
	for _, a := range sc.accounts {
		accts[a] = e.account(t, sc, a, r.kind(a))
	}
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	var code int
	var out string
	for _, st := range sc.steps {
		switch st.kind {
		case "run":
			args := slices.Clone(st.args)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "$JSON", jsonPath)
			}
			args = append(args, "--nolog")
			args = append(append(args, accts[st.from].side(1)...), accts[st.to].side(2)...)
			code, out = imapshift(t, args...)
		case "expect":
			checkExpect(t, st, r, code, out, jsonPath)
		case "want":
			checkWant(t, sc, st, accts[st.acct])
		case "change":
			change(t, st, accts[st.acct])
		}
		if t.Failed() {
			t.Logf("%s (at %s):\n%s", sc.file, st.position, sc.comment)
			t.FailNow()
		}
	}
}

// checkExpect checks the lines of an expect section against the last run.
func checkExpect(t *testing.T, st scStep, r serverRun, code int, out, jsonPath string) {
	t.Helper()
	bad := false
	fail := func(l scLine, format string, args ...any) {
		t.Errorf("%s: %s", l.pos, fmt.Sprintf(format, args...))
		bad = true
	}
	for _, l := range st.lines {
		text := strings.TrimSpace(l.text)
		if rest, ok := strings.CutPrefix(text, "on "); ok {
			kind, line, ok := strings.Cut(rest, ": ")
			if !ok {
				fail(l, "want \"on KIND: line\"")
				continue
			}
			if !strings.HasPrefix(r.kind("host1"), kind) {
				continue
			}
			text = line
		}
		verb, arg, _ := strings.Cut(text, " ")
		switch verb {
		case "exit":
			if strconv.Itoa(code) != arg {
				fail(l, "exit %d, want %s", code, arg)
			}
		case "out":
			if !strings.Contains(out, arg) {
				fail(l, "output lacks %q", arg)
			}
		case "!out":
			if strings.Contains(out, arg) {
				fail(l, "output has %q", arg)
			}
		case "out~", "!out~":
			re, err := regexp.Compile("(?m)" + arg)
			if err != nil {
				fail(l, "%v", err)
			} else if re.MatchString(out) != (verb == "out~") {
				fail(l, "output matching %s: %v, want %v", arg, !(verb == "out~"), verb == "out~")
			}
		case "stat":
			label, want, ok := strings.Cut(arg, " = ")
			if !ok {
				fail(l, "want \"stat LABEL = VALUE\"")
			} else if got := scStat(out, label); got != want {
				fail(l, "%q is %q, want %q", label, got, want)
			}
		case "row":
			parts := strings.Split(arg, "|")
			if len(parts) != 4 {
				fail(l, "want \"row HOST1 | HOST2 | RULE | ACTION\"")
			} else if msg := scCheckRow(out, strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2]), strings.TrimSpace(parts[3])); msg != "" {
				fail(l, "%s", msg)
			}
		case "order":
			got := scFolderOrder(out)
			if !scGlobMatch(strings.Split(arg, ", "), got) {
				fail(l, "folder order %q, want %s", got, arg)
			}
		case "!order":
			if got := scFolderOrder(out); slices.Contains(got, arg) {
				fail(l, "folder order %q has %q", got, arg)
			}
		case "json":
			key, want, ok := strings.Cut(arg, " = ")
			data, err := os.ReadFile(jsonPath)
			var rep map[string]any
			if err == nil {
				err = json.Unmarshal(data, &rep)
			}
			switch {
			case !ok:
				fail(l, "want \"json KEY = VALUE\"")
			case err != nil:
				fail(l, "--json $JSON: %v", err)
			case fmt.Sprint(rep[key]) != want:
				fail(l, "--json %s is %v, want %s", key, rep[key], want)
			}
		default:
			fail(l, "unknown expectation %q", verb)
		}
	}
	if bad {
		t.Logf("exit %d, output:\n%s", code, out)
	}
}

// scStat returns the value of a line "label<spaces>: value" of the final
// statistics, or "" when there is none.
func scStat(out, label string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + ` *: (.*?)\s*$`)
	if m := re.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// scCheckRow checks the row of host1 folder h1 in the table of
// `imapshift folders`: its host2 name, its rule and the start of its
// action. It returns what is wrong, or "".
func scCheckRow(out, h1, h2, rule, action string) string {
	if i := strings.Index(out, "\nhost1 folder "); i >= 0 {
		out = out[i:]
	}
	row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mailbox.Display(h1)) + ` .*$`).FindString(out)
	if row == "" {
		return fmt.Sprintf("no row for host1 folder %q", h1)
	}
	rest := strings.TrimSpace(strings.TrimPrefix(row, mailbox.Display(h1)))
	if !strings.HasPrefix(rest, mailbox.Display(h2)+" ") {
		return fmt.Sprintf("row %q: host2 name is not %s", row, mailbox.Display(h2))
	}
	rest = strings.TrimSpace(strings.TrimPrefix(rest, mailbox.Display(h2)))
	if !strings.HasPrefix(rest, rule+" ") {
		return fmt.Sprintf("row %q: rule is not %q", row, rule)
	}
	if rest = strings.TrimSpace(strings.TrimPrefix(rest, rule)); !strings.HasPrefix(rest, action) {
		return fmt.Sprintf("row %q: action is not %q", row, action)
	}
	return ""
}

// scFolderOrder returns the host1 folders of the "Folder n/N [h1] -> [h2]"
// lines in the order of n.
func scFolderOrder(out string) []string {
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
	return slices.DeleteFunc(order, func(s string) bool { return s == "" })
}

// scGlobMatch matches names against a pattern of names where "*" stands
// for any number of names.
func scGlobMatch(pat, names []string) bool {
	if len(pat) == 0 {
		return len(names) == 0
	}
	if pat[0] == "*" {
		for i := 0; i <= len(names); i++ {
			if scGlobMatch(pat[1:], names[i:]) {
				return true
			}
		}
		return false
	}
	return len(names) > 0 && names[0] == pat[0] && scGlobMatch(pat[1:], names[1:])
}

// scGot is what a server holds: every name LIST gives, and the messages of
// the selectable folders.
type scGot struct {
	names    []string
	noselect map[string]bool
	msgs     map[string][]*imapclient.FetchMessageBuffer
}

func readAccount(t *testing.T, a scAccount) scGot {
	t.Helper()
	c := a.client(t)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	g := scGot{noselect: map[string]bool{}, msgs: map[string][]*imapclient.FetchMessageBuffer{}}
	for _, l := range list {
		g.names = append(g.names, l.Mailbox)
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			g.noselect[l.Mailbox] = true
			continue
		}
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatalf("%s: select %q: %v", a, l.Mailbox, err)
		}
		g.msgs[l.Mailbox] = nil
		if sel.NumMessages == 0 {
			continue
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		g.msgs[l.Mailbox] = msgs
	}
	slices.Sort(g.names)
	return g
}

var scMessageIDRe = regexp.MustCompile(`(?im)^message-id: <([^@>]+)@`)

// scRender writes a message as "id flag... @date" with flags sorted (and
// lower-cased on the in-process server, which lower-cases keywords).
func scRender(id string, flags []string, date time.Time, lower bool) string {
	var fl []string
	for _, f := range flags {
		if f == `\Recent` {
			continue
		}
		if lower {
			f = strings.ToLower(f)
		}
		fl = append(fl, f)
	}
	slices.Sort(fl)
	return strings.Join(append(append([]string{id}, fl...), "@"+date.UTC().Format(time.RFC3339)), " ")
}

// checkWant compares an account with a want section: the same folders
// (others are allowed only when they are empty parents of other folders)
// holding the same messages (bytes, flags, internal dates).
func checkWant(t *testing.T, sc *scenario, st scStep, a scAccount) {
	t.Helper()
	g := readAccount(t, a)
	lower := a.kind == "imapmem"
	wantNames := map[string]bool{}
	bySHA := map[string]string{}
	for _, m := range sc.catalog {
		bySHA[scSHA(string(m.raw))] = m.id
	}
	for _, f := range st.folders {
		wantNames[f.name] = true
		if _, ok := g.msgs[f.name]; !ok {
			t.Errorf("%s: %s has no selectable folder %q (it has %q)", st.position, a, f.name, g.names)
			continue
		}
		var want, got []string
		okSHA := map[string]string{}
		for _, m := range f.msgs {
			raw, err := sc.wantRaw(m)
			if err != nil {
				t.Fatal(err)
			}
			okSHA[scSHA(raw)] = m.id
			d := sc.catalog[m.id].date
			if m.hasDate {
				d = m.date
			}
			want = append(want, scRender(m.id, m.flags, d, lower))
		}
		var odd []string
		for _, m := range g.msgs[f.name] {
			raw := string(m.BodySection[0].Bytes)
			sha := scSHA(raw)
			id, ok := okSHA[sha]
			if !ok {
				switch mm := scMessageIDRe.FindStringSubmatch(raw); {
				case bySHA[sha] != "":
					// Seeded bytes where the wanted ones are rewritten
					// must not pass for them.
					id = bySHA[sha]
					if slices.Contains(slices.Collect(maps.Values(okSHA)), id) {
						id += "(seeded-bytes)"
					}
				case mm != nil:
					id = mm[1] + "(other-bytes)"
					odd = append(odd, fmt.Sprintf("%s: %q", id, scTrim(raw)))
				default:
					id = "?(other-bytes)"
					odd = append(odd, fmt.Sprintf("%s: %q", id, scTrim(raw)))
				}
			}
			var fl []string
			for _, x := range m.Flags {
				fl = append(fl, string(x))
			}
			got = append(got, scRender(id, fl, m.InternalDate, lower))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s: %s folder %q holds\n\t%s\nwant\n\t%s", st.position, a, f.name, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			for _, o := range odd {
				t.Logf("%s", o)
			}
		}
	}
	for _, n := range g.names {
		if wantNames[n] {
			continue
		}
		empty := len(g.msgs[n]) == 0
		parent := slices.ContainsFunc(g.names, func(o string) bool {
			return strings.HasPrefix(o, n+"/") || strings.HasPrefix(o, n+".")
		})
		if !empty || !parent {
			t.Errorf("%s: %s has folder %q (%d messages), which is not wanted", st.position, a, n, len(g.msgs[n]))
		}
	}
}

func scTrim(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// change applies a change section in order: "store FOLDER +FLAG..." (or
// -FLAG) on every message of FOLDER, and folders with messages to append.
func change(t *testing.T, st scStep, a scAccount) {
	t.Helper()
	for _, f := range st.folders {
		rest, ok := strings.CutPrefix(f.name, "store ")
		if !ok {
			seedAccount(t, a, []scFolder{f})
			continue
		}
		words, err := splitArgs(rest)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(words, func(w string) bool { return w[0] == '+' || w[0] == '-' })
		if i <= 0 || len(f.msgs) > 0 {
			t.Fatalf("%s: want \"store FOLDER +FLAG...\" with no message below", st.position)
		}
		op := imap.StoreFlagsAdd
		if words[i][0] == '-' {
			op = imap.StoreFlagsDel
		}
		var flags []imap.Flag
		for _, w := range words[i:] {
			flags = append(flags, imap.Flag(w[1:]))
		}
		c := a.client(t)
		if _, err := c.Select(strings.Join(words[:i], " "), nil).Wait(); err != nil {
			t.Fatal(err)
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		if err := c.Store(all, &imap.StoreFlags{Op: op, Silent: true, Flags: flags}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
}
