package main

// The rows of memory, TLS, scale and latency (issue 12):
//
//   - the initial sync and the no-op with implicit TLS on both sides
//     (--ssl1 --ssl2 on the Dovecots' imaps ports, their CA trusted with
//     SSL_ca_file), against the plain rows of the same run;
//   - the initial sync with --parallel 8 (peak RSS);
//   - a corpus with 50 MB messages (peak RSS stays flat);
//   - one folder of -scale-n messages (100,000 by default): the initial
//     sync, msg/s, peak RSS, the no-op, and the no-op with --nostate (every
//     header of both sides compared, the analysis at full size); `make
//     bench-scale` runs only this, with 10 such folders (1,000,000
//     messages);
//   - the WAN corpus at RTT +100 ms, imapshift and mbsync.
//
// Every row also has the CPU seconds of the tool (user + system, from
// /usr/bin/time) and those of both Dovecots (their children's, reaped by
// each master), since on one machine both compete for the same cores.

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

const (
	phaseTLSInitial = "initial sync, --ssl1 --ssl2"
	phaseTLSNoop    = "nothing to do, --ssl1 --ssl2"
	phaseParallel8  = "initial sync, --parallel 8"
	phaseBig        = "50 MB messages"
	phaseScale      = "1 folder of %dk, initial"
	phaseScaleNoop  = "1 folder of %dk, nothing to do"
	phaseScaleFull  = "1 folder of %dk, no-op --nostate"
	phaseWAN100     = "WAN (RTT +100 ms) initial sync"
)

// perfConfig holds the options of these rows.
type perfConfig struct {
	skip         bool
	bigN         int // 50 MB messages (0: no row)
	scaleN       int // messages of the big folder (0: no row)
	scaleFolders int // folders of scaleN messages (bench-scale: 10)
	scaleOnly    bool
	// scaleHost2 is host2's mail storage in the -scale rows (scaleStores).
	scaleHost2 string
	skipWAN100 bool
}

func perfFlags(c *perfConfig) {
	flag.BoolVar(&c.skip, "skip-perf", false, "skip the TLS, --parallel 8, 50 MB and big-folder rows")
	flag.IntVar(&c.bigN, "big-n", 4, "50 MB messages in the large-message row (0: no row)")
	flag.IntVar(&c.scaleN, "scale-n", 100000, "messages of the big-folder row (0: no row)")
	flag.IntVar(&c.scaleFolders, "scale-folders", 1, "folders of -scale-n messages")
	flag.BoolVar(&c.scaleOnly, "scale", false, "run only the big-folder rows (make bench-scale: 10 folders of 100,000)")
	flag.StringVar(&c.scaleHost2, "scale-host2", "maildir", "host2's mail storage in the -scale rows: maildir (the tests' default), maildir-dirty (maildir_very_dirty_syncs), sdbox or mdbox")
	flag.BoolVar(&c.skipWAN100, "skip-wan100", false, "do not run the RTT +100 ms comparison")
}

// watched are the Dovecots whose CPU time each timed run reports.
var watched []*dovecot.Server

// startPair starts the two Dovecots of a bench run (host1 and host2),
// watches their CPU and, when n > 0, seeds host1's user1 with the
// n-message corpus (total: its bytes). stop stops both.
func startPair(n int) (d1, d2 *dovecot.Server, total int64, stop func(), err error) {
	return startPairWith(n, dovecot.Options{})
}

// scaleStores are the -scale-host2 choices: Dovecot settings appended to
// host2's configuration. With maildir, every APPEND into a folder makes
// Dovecot read the folder's directory again (its mtime changed), which
// grows with the folder; the others do not.
var scaleStores = map[string]string{
	"maildir":       "",
	"maildir-dirty": "maildir_very_dirty_syncs = yes\n",
	"sdbox":         "mail_location = sdbox:~/sdbox\n",
	"mdbox":         "mail_location = mdbox:~/mdbox\n",
}

// startPairWith is startPair with host2's options.
func startPairWith(n int, opts2 dovecot.Options) (d1, d2 *dovecot.Server, total int64, stop func(), err error) {
	if d1, err = dovecot.Start(dovecot.Options{}); err != nil {
		return nil, nil, 0, nil, err
	}
	if d2, err = dovecot.Start(opts2); err != nil {
		d1.Stop()
		return nil, nil, 0, nil, err
	}
	stop = func() { d1.Stop(); d2.Stop() }
	watched = []*dovecot.Server{d1, d2}
	if n > 0 {
		if total, err = seed(d1, "user1", n, 1); err != nil {
			stop()
			return nil, nil, 0, nil, err
		}
	}
	return d1, d2, total, stop, nil
}

// dovecotCPU is the CPU time, in seconds, of the processes the watched
// Dovecots' masters have reaped (imap, imap-login with its TLS, auth).
func dovecotCPU() float64 {
	var ticks float64
	for _, d := range watched {
		pid, err := os.ReadFile(filepath.Join(d.BaseDir, "master.pid"))
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name "(...)": state is the 3rd field,
		// cutime and cstime the 16th and 17th.
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		for _, i := range []int{16 - 3, 17 - 3} {
			if i < len(f) {
				v, _ := strconv.ParseFloat(f[i], 64)
				ticks += v
			}
		}
	}
	return ticks / 100 // USER_HZ
}

// cpuSplit is the CPU seconds of the watched Dovecots' processes over a
// timed run, by process name (imap, imap-login, auth...): under TLS,
// imap-login stays between the client and imap, decrypting and
// encrypting every byte.
type cpuSplit map[string]float64

// watchCPU polls the children of the watched Dovecots' masters every
// 50 ms until the returned function is called, which returns their CPU
// time since the call by name. A process that ends between two polls
// loses at most 50 ms; one that already ran counts from the first poll.
func watchCPU() func() cpuSplit {
	type proc struct {
		name        string
		first, last float64
	}
	seen := map[int]*proc{}
	poll := func(initial bool) {
		for _, d := range watched {
			pid, err := os.ReadFile(filepath.Join(d.BaseDir, "master.pid"))
			if err != nil {
				continue
			}
			m := strings.TrimSpace(string(pid))
			kids, _ := os.ReadFile(filepath.Join("/proc", m, "task", m, "children"))
			for _, k := range strings.Fields(string(kids)) {
				n, _ := strconv.Atoi(k)
				stat, err := os.ReadFile(filepath.Join("/proc", k, "stat"))
				if err != nil {
					continue
				}
				s := string(stat)
				open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
				if open < 0 || end < open {
					continue
				}
				f := strings.Fields(s[end+2:])
				if len(f) < 13 {
					continue
				}
				u, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				t := (u + st) / 100 // USER_HZ
				p := seen[n]
				if p == nil {
					p = &proc{}
					if initial {
						p.first = t
					}
					seen[n] = p
				}
				// The name as of the last poll: a child is "dovecot"
				// between the master's fork and its exec.
				p.name, p.last = s[open+1:end], t
			}
		}
	}
	poll(true)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				poll(false)
				return
			case <-tick.C:
				poll(false)
			}
		}
	}()
	return func() cpuSplit {
		close(done)
		<-finished
		split := cpuSplit{}
		for _, p := range seen {
			if d := p.last - p.first; d > 0 {
				split[p.name] += d
			}
		}
		return split
	}
}

// String is the split's main processes: "imap 9.1 s, imap-login 7.2 s".
func (c cpuSplit) String() string {
	var parts []string
	for _, name := range []string{"imap", "imap-login"} {
		parts = append(parts, fmt.Sprintf("%s %.1f s", name, c[name]))
	}
	return strings.Join(parts, ", ")
}

// perfRows runs the TLS, --parallel 8, 50 MB and big-folder rows. Host2
// user4 is empty before and after; host1 user2 gets the 50 MB corpus and
// host1 user4 the big folder.
func perfRows(c config, shift *imapshiftRunner, d1, d2 *dovecot.Server, total int64, add func(result)) error {
	if c.perf.skip {
		return nil
	}
	lan1, lan2 := endpoint{d1.Host, d1.Port}, endpoint{d2.Host, d2.Port}
	if err := wipe(d2, "user4"); err != nil {
		return err
	}
	for _, p := range []struct {
		phase string
		msgs  int
		bytes int64
	}{{phaseTLSInitial, c.n, total}, {phaseTLSNoop, 0, 0}} {
		r, err := runTLS(shift, p.phase, d1, "user1", d2, "user4")
		if err != nil {
			return err
		}
		r.msgs, r.bytes = p.msgs, p.bytes
		add(r)
	}
	if err := wipe(d2, "user4"); err != nil {
		return err
	}
	shift.extra = []string{"--parallel", "8"}
	r, err := shift.run(phaseParallel8, lan1, "user1", lan2, "user4")
	shift.extra = nil
	if err != nil {
		return err
	}
	r.msgs, r.bytes = c.n, total
	add(r)
	if err := wipe(d2, "user4"); err != nil {
		return err
	}
	if c.perf.bigN > 0 {
		n, bytes, err := seedBig(d1, "user2", c.perf.bigN)
		if err != nil {
			return err
		}
		r, err := shift.run(phaseBig, lan1, "user2", lan2, "user4")
		if err != nil {
			return err
		}
		r.msgs, r.bytes = n, bytes
		add(r)
		if err := wipe(d2, "user4"); err != nil {
			return err
		}
	}
	if c.perf.scaleN > 0 {
		if err := scaleRows(shift, d1, d2, c.perf.scaleN, c.perf.scaleFolders, add); err != nil {
			return err
		}
	}
	return nil
}

// runTLS is shift.run over implicit TLS: the Dovecots' imaps ports, their
// CA trusted.
func runTLS(shift *imapshiftRunner, phase string, d1 *dovecot.Server, user1 string, d2 *dovecot.Server, user2 string) (result, error) {
	args := []string{"--host1", d1.Host, "--port1", strconv.Itoa(d1.TLSPort), "--user1", user1, "--password1", dovecot.Users[user1],
		"--ssl1", "--sslargs1", "SSL_ca_file=" + d1.CAFile,
		"--host2", d2.Host, "--port2", strconv.Itoa(d2.TLSPort), "--user2", user2, "--password2", dovecot.Users[user2],
		"--ssl2", "--sslargs2", "SSL_ca_file=" + d2.CAFile,
		"--parallel", strconv.Itoa(shift.parallel), "--nolog"}
	return shift.runWith(phase, args, user1, user2)
}

// seedBig fills user's INBOX with n messages of 50 MB among 200 small
// ones, and returns the message count and bytes.
func seedBig(d *dovecot.Server, user string, n int) (int, int64, error) {
	t0 := time.Now()
	r := rand.New(rand.NewSource(3))
	line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
	bigBody := strings.Repeat(line, 50<<20/len(line))
	var msgs []dovecot.Message
	var total int64
	stride := (200 + n) / n
	for i := 0; i < 200+n; i++ {
		body := bigBody
		if i%stride != 0 || i/stride >= n {
			body = strings.Repeat(line, 20+r.Intn(200))
		}
		raw := []byte(fmt.Sprintf("Message-ID: <big-%d@example.org>\r\nSubject: big corpus %d\r\nDate: Mon, 1 Mar 2021 10:00:00 +0000\r\n\r\n%s", i, i, body))
		total += int64(len(raw))
		msgs = append(msgs, dovecot.Message{Raw: raw, Date: time.Date(2021, 3, 1, 10, 0, 0, 0, time.UTC)})
	}
	if err := d.Seed(user, "INBOX", msgs); err != nil {
		return 0, 0, err
	}
	fmt.Printf("corpus %s: %d messages (%d of 50 MB), %.0f MB, seeded in %.1f s\n", user, len(msgs), n, float64(total)/1e6, time.Since(t0).Seconds())
	return len(msgs), total, nil
}

// scaleCorpus is n small messages (1-4 KB) for the big folders: the rows
// measure what grows with the message count, not with the bytes.
func scaleCorpus(n int, seed int64) ([]dovecot.Message, int64) {
	r := rand.New(rand.NewSource(seed))
	line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
	msgs := make([]dovecot.Message, n)
	var total int64
	for i := range msgs {
		date := time.Date(2010+r.Intn(12), time.Month(1+r.Intn(12)), 1+r.Intn(28), r.Intn(24), r.Intn(60), 0, 0, time.UTC)
		raw := []byte(fmt.Sprintf("Received: from mx%d.example.org by mail.example.org; %s\r\nMessage-ID: <scale-%d-%d@example.org>\r\nDate: %s\r\nSubject: message %d\r\n\r\n%s",
			i%7, date.Format(time.RFC1123Z), seed, i, date.Format(time.RFC1123Z), i, strings.Repeat(line, 10+r.Intn(40))))
		var fl []string
		if i%3 == 0 {
			fl = []string{`\Seen`}
		}
		msgs[i] = dovecot.Message{Raw: raw, Flags: fl, Date: date}
		total += int64(len(raw))
	}
	return msgs, total
}

// scaleRows seeds folders of n messages into host1 user4 and times their
// initial sync into host2 user4, the no-op after it, and the no-op with
// --nostate; host2 user4 is wiped afterwards.
func scaleRows(shift *imapshiftRunner, d1, d2 *dovecot.Server, n, folders int, add func(result)) error {
	t0 := time.Now()
	var total int64
	for i := 0; i < folders; i++ {
		msgs, bytes := scaleCorpus(n, int64(10+i))
		if err := d1.Seed("user4", fmt.Sprintf("Big%02d", i), msgs); err != nil {
			return err
		}
		total += bytes
	}
	fmt.Printf("corpus user4: %d folders of %d messages, %.0f MB, seeded in %.1f s\n", folders, n, float64(total)/1e6, time.Since(t0).Seconds())
	lan1, lan2 := endpoint{d1.Host, d1.Port}, endpoint{d2.Host, d2.Port}
	name := func(f string) string {
		if folders > 1 {
			return strings.Replace(strings.Replace(f, "1 folder", fmt.Sprintf("%d folders", folders), 1), "%dk", fmt.Sprintf("%dk", n/1000), 1)
		}
		return fmt.Sprintf(f, n/1000)
	}
	r, err := shift.run(name(phaseScale), lan1, "user4", lan2, "user4")
	if err != nil {
		return err
	}
	r.msgs, r.bytes = n*folders, total
	add(r)
	if r, err = shift.run(name(phaseScaleNoop), lan1, "user4", lan2, "user4"); err != nil {
		return err
	}
	add(r)
	shift.extra = []string{"--nostate"}
	r, err = shift.run(name(phaseScaleFull), lan1, "user4", lan2, "user4")
	shift.extra = nil
	if err != nil {
		return err
	}
	add(r)
	return wipe(d2, "user4")
}

// benchScale is `make bench-scale`: only the big-folder rows.
func benchScale(c config, bin string) (bool, error) {
	store, ok := scaleStores[c.perf.scaleHost2]
	if !ok {
		return false, fmt.Errorf("-scale-host2 %q: not maildir, maildir-dirty, sdbox or mdbox", c.perf.scaleHost2)
	}
	fmt.Printf("host2 storage: %s\n", c.perf.scaleHost2)
	d1, d2, _, stop, err := startPairWith(0, dovecot.Options{ExtraConfig: store})
	if err != nil {
		return false, err
	}
	defer stop()
	shift := &imapshiftRunner{bin: bin, parallel: c.parallel, d1: d1, d2: d2, base: strings.Fields(c.imapshiftArgs)}
	if c.hold {
		return false, holdScale(c, bin, d1, d2)
	}
	ok = true
	var rows []result
	header()
	err = scaleRows(shift, d1, d2, c.perf.scaleN, c.perf.scaleFolders, func(r result) {
		r.print()
		rows = append(rows, r)
		ok = ok && r.check == "ok"
	})
	fmt.Println()
	perfTargets(rows)
	return ok, err
}

// holdScale is -scale -hold: it only seeds host1 user4 as scaleRows
// does, prints an imapshift command line against the Dovecots, and keeps
// them up until SIGINT or SIGTERM (for profiling runs by hand).
func holdScale(c config, bin string, d1, d2 *dovecot.Server) error {
	t0 := time.Now()
	for i := 0; i < c.perf.scaleFolders; i++ {
		msgs, _ := scaleCorpus(c.perf.scaleN, int64(10+i))
		if err := d1.Seed("user4", fmt.Sprintf("Big%02d", i), msgs); err != nil {
			return err
		}
	}
	fmt.Printf("corpus user4: %d folders of %d messages, seeded in %.1f s\n", c.perf.scaleFolders, c.perf.scaleN, time.Since(t0).Seconds())
	args := []string{bin, "--host1", d1.Host, "--port1", strconv.Itoa(d1.Port), "--user1", "user4", "--password1", dovecot.Users["user4"], "--notls1",
		"--host2", d2.Host, "--port2", strconv.Itoa(d2.Port), "--user2", "user4", "--password2", dovecot.Users["user4"], "--notls2",
		"--parallel", strconv.Itoa(c.parallel), "--nolog"}
	fmt.Printf("\nholding the Dovecots (SIGINT or SIGTERM ends); with XDG_CACHE_HOME=%s:\n%s\n", os.Getenv("XDG_CACHE_HOME"), strings.Join(args, " "))
	fmt.Printf("host1: %s\nhost2: %s\n", d1.BaseDir, d2.BaseDir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}

// perfWAN times the WAN corpus (host1 user3) at RTT +100 ms: imapshift
// into host2 user3 and mbsync into host2 user4, both emptied first.
func perfWAN(c config, proxyBin string, shift *imapshiftRunner, mbsync, work string, d1, d2 *dovecot.Server, add func(result)) error {
	if c.perf.skipWAN100 {
		return nil
	}
	for _, u := range []string{"user3", "user4"} {
		if err := wipe(d2, u); err != nil {
			return err
		}
	}
	p1, stop1, err := startProxyDelay(proxyBin, d1.Addr(), "50ms")
	if err != nil {
		return err
	}
	defer stop1()
	p2, stop2, err := startProxyDelay(proxyBin, d2.Addr(), "50ms")
	if err != nil {
		return err
	}
	defer stop2()
	n, err := count(d1, "user3")
	if err != nil {
		return err
	}
	r, err := shift.run(phaseWAN100, p1, "user3", p2, "user3")
	if err != nil {
		return err
	}
	r.msgs = n
	add(r)
	if mbsync == "" {
		return nil
	}
	mb, err := newMbsync(mbsync, filepath.Join(work, "mbsync-wan100"), p1, "user3", p2, "user4", d1, d2)
	if err != nil {
		return err
	}
	if r, err = mb.run(phaseWAN100); err != nil {
		return err
	}
	r.msgs = n
	add(r)
	return nil
}

// perfTargets prints the targets of these rows.
func perfTargets(rows []result) {
	find := func(tool, phase string) *result { return findRow(rows, tool, phase) }
	rss := func(phase string, limit float64) (bool, string) {
		if r := find("imapshift", phase); r != nil && r.rssMB > 0 {
			return r.rssMB <= limit, fmt.Sprintf("%.1f MB", r.rssMB)
		}
		return false, ""
	}
	pass, detail := rss(phaseInitial, 48)
	target("peak RSS, initial sync ≤ 48 MB", pass, detail)
	pass, detail = rss(phaseParallel8, 64)
	target("peak RSS, --parallel 8 ≤ 64 MB", pass, detail)
	pass, detail = rss(phaseBig, 48)
	target("peak RSS with 50 MB messages ≤ 48 MB", pass, detail)
	pass, detail = false, ""
	if p, s := find("imapshift", phaseInitial), find("imapshift", phaseTLSInitial); p != nil && s != nil {
		cost := s.wall.Seconds()/p.wall.Seconds() - 1
		pass = cost <= 0.35
		detail = fmt.Sprintf("%+.0f %% (%.2f s vs %.2f s); CPU imapshift %.1f -> %.1f s, Dovecots %.1f -> %.1f s (%s -> %s)",
			100*cost, s.wall.Seconds(), p.wall.Seconds(), p.cpu, s.cpu, p.dovecotCPU, s.dovecotCPU, p.split, s.split)
	}
	target("TLS initial sync ≤ 1.35× plain", pass, detail)
	pass, detail = false, ""
	if r := find("imapshift", phaseWAN); r != nil && r.msgs > 0 {
		rate := float64(r.msgs) / r.wall.Seconds()
		pass, detail = rate >= 500, fmt.Sprintf("%.0f msg/s", rate)
	}
	target("RTT +20 ms: ≥ 500 msg/s", pass, detail)
	for _, r := range rows {
		if r.tool == "imapshift" && strings.HasSuffix(r.phase, ", initial") && r.msgs > 0 {
			noop, full := "–", "–"
			if n := find("imapshift", strings.TrimSuffix(r.phase, "initial")+"nothing to do"); n != nil {
				noop = fmt.Sprintf("%.2f s", n.wall.Seconds())
			}
			if n := find("imapshift", strings.TrimSuffix(r.phase, "initial")+"no-op --nostate"); n != nil {
				full = fmt.Sprintf("%.2f s (RSS %.1f MB)", n.wall.Seconds(), n.rssMB)
			}
			target(r.phase+": RSS < 128 MB", r.rssMB > 0 && r.rssMB < 128,
				fmt.Sprintf("%.1f MB, %.0f msg/s, %.1f µs CPU per message, no-op %s, no-op --nostate %s", r.rssMB, float64(r.msgs)/r.wall.Seconds(), 1e6*r.cpu/float64(r.msgs), noop, full))
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
