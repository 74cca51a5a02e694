package main

// The parser of the scenario files under testdata/scenarios (the format is
// described in testdata/scenarios/README.md). A scenario is parsed into
// plain values; scenario_test.go runs them.

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// scenarioNow is the "now" of relative dates (sent=-10d, date=-400d). It is
// the same for every scenario, so that equal mailboxes have equal bytes.
var scenarioNow = time.Now().Truncate(time.Second)

// scenarioDate is the internal date (and Date: header) of a message that
// sets neither.
var scenarioDate = time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)

// scenario is one parsed scenario file.
type scenario struct {
	file     string
	comment  string      // the leading # lines
	runs     []serverRun // one execution of the steps each
	quota    map[string]bool
	seeds    map[string][]scFolder // account -> its mailbox before the first step
	steps    []scStep
	accounts []string                 // every account named, host1 and host2 first
	catalog  map[string]scMessageSpec // message id -> its description
}

// serverRun says on which server kind each account lives for one execution.
type serverRun struct {
	name  string
	kinds map[string]string // account -> "imapmem", "dovecot-fs" or "dovecot-pp"
	dflt  string
}

func (r serverRun) kind(acct string) string {
	if k, ok := r.kinds[acct]; ok {
		return k
	}
	return r.dflt
}

// scFolder is a folder of a mailbox section.
type scFolder struct {
	name         string // the server's own name (separator and prefix)
	unsubscribed bool
	msgs         []scMessageSpec
}

// scMessageSpec is one message line: an id, flags and options.
type scMessageSpec struct {
	id      string
	flags   []string
	opts    map[string][]string
	line    string // file:line, for errors
	raw     []byte // the bytes, built from id and options (seed lines)
	date    time.Time
	hasDate bool
}

// scStep is one section after the seeds: a run, its expectations, a
// wanted mailbox or a change of a mailbox.
type scStep struct {
	kind     string // "run", "expect", "want", "change"
	from, to string // run: host1 and host2 accounts
	acct     string // want, change
	args     []string
	lines    []scLine   // expect
	folders  []scFolder // want, change (where "store ..." lines are folders)
	position string
}

// scLine is a line with its position.
type scLine struct {
	text, pos string
}

var scSectionRe = regexp.MustCompile(`^-- (.*) --$`)

// parseScenario reads one scenario file.
func parseScenario(path string) (*scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc := &scenario{file: path, quota: map[string]bool{}, seeds: map[string][]scFolder{}, catalog: map[string]scMessageSpec{}}
	sc.accounts = []string{"host1", "host2"}
	addAcct := func(a string) {
		if !slices.Contains(sc.accounts, a) {
			sc.accounts = append(sc.accounts, a)
		}
	}
	type section struct {
		header string
		pos    string
		lines  []scLine
	}
	var head []scLine
	var sections []*section
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, " \t\r")
		pos := fmt.Sprintf("%s:%d", filepath.Base(path), i+1)
		if m := scSectionRe.FindStringSubmatch(l); m != nil {
			sections = append(sections, &section{header: strings.TrimSpace(m[1]), pos: pos})
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(l), "#") || strings.TrimSpace(l) == "" {
			if len(sections) == 0 && strings.HasPrefix(l, "#") {
				sc.comment += strings.TrimSpace(strings.TrimPrefix(l, "#")) + "\n"
			}
			continue
		}
		if len(sections) == 0 {
			head = append(head, scLine{l, pos})
		} else {
			s := sections[len(sections)-1]
			s.lines = append(s.lines, scLine{l, pos})
		}
	}
	servers := "imapmem dovecot-fs"
	for _, l := range head {
		key, val, ok := strings.Cut(l.text, ":")
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: want \"key: value\" before the first section", l.pos)
		case key == "servers":
			servers = val
		case key == "quota":
			for _, a := range strings.Fields(val) {
				sc.quota[a] = true
			}
		default:
			return nil, fmt.Errorf("%s: unknown key %q", l.pos, key)
		}
	}
	for _, w := range strings.Fields(servers) {
		r := serverRun{name: w, kinds: map[string]string{}}
		for _, part := range strings.Split(w, ",") {
			acct, kind, ok := strings.Cut(part, "=")
			if !ok {
				acct, kind = "", part
			}
			if !slices.Contains([]string{"imapmem", "dovecot-fs", "dovecot-pp"}, kind) {
				return nil, fmt.Errorf("%s: unknown server kind %q", path, kind)
			}
			if acct == "" {
				r.dflt = kind
			} else {
				r.kinds[acct] = kind
				addAcct(acct)
			}
		}
		if r.dflt == "" {
			r.dflt = "dovecot-fs"
		}
		sc.runs = append(sc.runs, r)
	}

	sawStep := false
	for _, s := range sections {
		words := strings.Fields(s.header)
		if len(words) == 0 {
			return nil, fmt.Errorf("%s: empty section name", s.pos)
		}
		switch {
		case words[0] == "run":
			st := scStep{kind: "run", from: "host1", to: "host2", position: s.pos}
			if len(words) == 4 && words[2] == "->" {
				st.from, st.to = words[1], words[3]
			} else if len(words) != 1 {
				return nil, fmt.Errorf("%s: want \"-- run --\" or \"-- run FROM -> TO --\"", s.pos)
			}
			addAcct(st.from)
			addAcct(st.to)
			for _, l := range s.lines {
				a, err := splitArgs(l.text)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", l.pos, err)
				}
				st.args = append(st.args, a...)
			}
			sc.steps = append(sc.steps, st)
			sawStep = true
		case words[0] == "expect" && len(words) == 1:
			sc.steps = append(sc.steps, scStep{kind: "expect", lines: s.lines, position: s.pos})
		case (words[0] == "want" || words[0] == "change") && len(words) == 2:
			addAcct(words[1])
			folders, err := parseMailbox(filepath.Dir(path), s.lines, words[0] == "want")
			if err != nil {
				return nil, err
			}
			sc.steps = append(sc.steps, scStep{kind: words[0], acct: words[1], folders: folders, position: s.pos})
			sawStep = sawStep || words[0] == "change"
		case len(words) == 1 && !sawStep:
			addAcct(words[0])
			folders, err := parseMailbox(filepath.Dir(path), s.lines, false)
			if err != nil {
				return nil, err
			}
			sc.seeds[words[0]] = append(sc.seeds[words[0]], folders...)
		default:
			return nil, fmt.Errorf("%s: unknown section %q", s.pos, s.header)
		}
	}
	if len(sc.steps) == 0 || sc.steps[0].kind != "run" && sc.steps[0].kind != "change" {
		return nil, fmt.Errorf("%s: no run section before the expectations", path)
	}

	// The catalog: every seeded message by id, so that wanted messages
	// can name them.
	add := func(m scMessageSpec) error {
		if old, ok := sc.catalog[m.id]; ok && string(old.raw) != string(m.raw) {
			return fmt.Errorf("%s: message %q already described differently at %s", m.line, m.id, old.line)
		}
		if _, ok := sc.catalog[m.id]; !ok {
			sc.catalog[m.id] = m
		}
		return nil
	}
	for _, a := range sc.accounts {
		for _, f := range sc.seeds[a] {
			for _, m := range f.msgs {
				if err := add(m); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, st := range sc.steps {
		if st.kind != "change" {
			continue
		}
		for _, f := range st.folders {
			for _, m := range f.msgs {
				if err := add(m); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, st := range sc.steps {
		if st.kind != "want" {
			continue
		}
		for _, f := range st.folders {
			for _, m := range f.msgs {
				if _, ok := sc.catalog[m.id]; !ok {
					return nil, fmt.Errorf("%s: message %q is seeded nowhere", m.line, m.id)
				}
			}
		}
	}
	return sc, nil
}

// parseMailbox reads the lines of a mailbox section: a line at the left
// margin names a folder, indented lines below it are its messages,
// "include FILE" reads the folders of FILE (relative to dir).
func parseMailbox(dir string, lines []scLine, want bool) ([]scFolder, error) {
	var out []scFolder
	for _, l := range lines {
		if strings.HasPrefix(l.text, "include ") {
			name := strings.TrimSpace(strings.TrimPrefix(l.text, "include "))
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", l.pos, err)
			}
			var inc []scLine
			for i, il := range strings.Split(string(data), "\n") {
				il = strings.TrimRight(il, " \t\r")
				if strings.TrimSpace(il) == "" || strings.HasPrefix(strings.TrimSpace(il), "#") {
					continue
				}
				inc = append(inc, scLine{il, fmt.Sprintf("%s:%d", name, i+1)})
			}
			folders, err := parseMailbox(dir, inc, want)
			if err != nil {
				return nil, err
			}
			out = append(out, folders...)
			continue
		}
		if l.text[0] != ' ' && l.text[0] != '\t' {
			name := l.text
			f := scFolder{name: name}
			if n, ok := strings.CutSuffix(name, " (unsubscribed)"); ok {
				f = scFolder{name: n, unsubscribed: true}
			}
			out = append(out, f)
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: a message line before any folder", l.pos)
		}
		m, err := parseMessage(strings.TrimSpace(l.text), l.pos, want)
		if err != nil {
			return nil, err
		}
		f := &out[len(out)-1]
		f.msgs = append(f.msgs, m)
	}
	return out, nil
}

// scSeedOpts and scWantOpts are the options a message line may carry.
var (
	scSeedOpts = []string{"size", "header", "body", "longline", "sent", "date", "messageid"}
	scWantOpts = []string{"replace", "truncate", "date"}
)

// parseMessage reads "ID FLAG... KEY=VALUE...".
func parseMessage(text, pos string, want bool) (scMessageSpec, error) {
	words, err := splitArgs(text)
	if err != nil {
		return scMessageSpec{}, fmt.Errorf("%s: %v", pos, err)
	}
	m := scMessageSpec{id: words[0], opts: map[string][]string{}, line: pos}
	allowed := scSeedOpts
	if want {
		allowed = scWantOpts
	}
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			m.flags = append(m.flags, w)
			continue
		}
		if !slices.Contains(allowed, k) {
			return m, fmt.Errorf("%s: unknown option %q (allowed: %v)", pos, k, allowed)
		}
		m.opts[k] = append(m.opts[k], v)
	}
	if d, ok := m.opts["date"]; ok {
		t, err := scParseDate(d[0])
		if err != nil {
			return m, fmt.Errorf("%s: %v", pos, err)
		}
		m.date, m.hasDate = t, true
	}
	if !want {
		if !m.hasDate {
			m.date = scenarioDate
		}
		raw, err := buildMessage(m)
		if err != nil {
			return m, fmt.Errorf("%s: %v", pos, err)
		}
		m.raw = raw
	}
	return m, nil
}

// scParseDate reads "-400d" (days before scenarioNow) or an RFC 3339 time.
func scParseDate(s string) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil {
			return scenarioNow.AddDate(0, 0, n), nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

// buildMessage makes the bytes of a seeded message: by default
//
//	Received: from mx.example.org by mail.example.org; <date>
//	Message-ID: <ID@example.org>
//	Date: <date>
//	From: Ana <ana@example.org>
//	Subject: subject ID
//
//	Hello subject ID
//
// with CRLF line ends. messageid=no drops the Received and Message-ID
// lines, sent= sets the Date: header, header= adds header lines, body=
// replaces the body, longline=N appends a line of N 'y', and size=N pads
// the body with lines of 'x' to exactly N bytes.
func buildMessage(m scMessageSpec) ([]byte, error) {
	one := func(k, dflt string) string {
		if v := m.opts[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return dflt
	}
	sent := scenarioDate
	if s := one("sent", ""); s != "" {
		t, err := scParseDate(s)
		if err != nil {
			return nil, err
		}
		sent = t
	}
	crlf := func(s string) string {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\n", "\r\n")
		if !strings.HasSuffix(s, "\r\n") {
			s += "\r\n"
		}
		return s
	}
	var b strings.Builder
	if one("messageid", "yes") != "no" {
		fmt.Fprintf(&b, "Received: from mx.example.org by mail.example.org; %s\r\n", sent.Format(time.RFC1123Z))
		fmt.Fprintf(&b, "Message-ID: <%s@example.org>\r\n", m.id)
	}
	fmt.Fprintf(&b, "Date: %s\r\nFrom: Ana <ana@example.org>\r\nSubject: subject %s\r\n", sent.Format(time.RFC1123Z), m.id)
	for _, h := range m.opts["header"] {
		b.WriteString(crlf(h))
	}
	b.WriteString("\r\n")
	b.WriteString(crlf(one("body", "Hello subject "+m.id)))
	if n := one("longline", ""); n != "" {
		k, err := strconv.Atoi(n)
		if err != nil {
			return nil, err
		}
		b.WriteString(strings.Repeat("y", k) + "\r\n")
	}
	if s := one("size", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, err
		}
		for left := n - b.Len(); left > 0; left = n - b.Len() {
			line := 78
			switch {
			case left == 1:
				return nil, fmt.Errorf("size=%d cannot be reached exactly", n)
			case left <= 80:
				line = left - 2
			case left == 81:
				line = 77 // leaves 2 bytes: an empty line
			}
			b.WriteString(strings.Repeat("x", line) + "\r\n")
		}
		if b.Len() != n {
			return nil, fmt.Errorf("size=%d is smaller than the headers (%d bytes)", n, b.Len())
		}
	}
	return []byte(b.String()), nil
}

// wantRaw is the bytes a wanted message must have: its seeded bytes with
// every replace="OLD=>NEW" applied, then cut to truncate=N bytes.
func (sc *scenario) wantRaw(m scMessageSpec) (string, error) {
	raw := string(sc.catalog[m.id].raw)
	for _, r := range m.opts["replace"] {
		old, nw, ok := strings.Cut(r, "=>")
		if !ok {
			return "", fmt.Errorf("%s: replace=%q lacks \"=>\"", m.line, r)
		}
		if !strings.Contains(raw, old) {
			return "", fmt.Errorf("%s: replace=%q: message %s has no %q", m.line, r, m.id, old)
		}
		raw = strings.ReplaceAll(raw, old, nw)
	}
	if v := m.opts["truncate"]; len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n > len(raw) {
			return "", fmt.Errorf("%s: bad truncate=%s", m.line, v[0])
		}
		raw = raw[:n]
	}
	return raw, nil
}

// splitArgs splits a line into words like a POSIX shell does, without
// expansions: 'single quotes' keep everything, "double quotes" read Go
// escapes (\r\n, \", \\), a backslash outside quotes is an ordinary
// character (so that flags read \Seen).
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unclosed \" in %q", s)
			}
			u, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("%v in %s", err, s[i:j+1])
			}
			cur.WriteString(u)
			i = j
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// scSHA is a short hash of bytes, to compare messages.
func scSHA(raw string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(raw)))[:12] }

// scFindScenarios lists the scenario files under root: every *.txt whose
// name does not start with "_" (those are mailboxes to include).
func scFindScenarios(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".txt") && !strings.HasPrefix(d.Name(), "_") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
