// Command bench measures imapshift against two private Dovecot instances,
// on one generated corpus, and compares it in the same run with mbsync and
// with the floor tool (the fastest a client can APPEND the corpus):
//
//   - imapshift and mbsync: an initial sync, a resync with nothing to do and
//     a resync after 100 new messages and 100 flag changes (msg/s, MB/s and
//     peak RSS from /usr/bin/time);
//   - floor: pipelined APPEND of the corpus over 4 connections into a fresh
//     account, and a FETCH of every body;
//   - WAN: an initial sync of a separate, smaller corpus through latency
//     proxies adding 20 ms of round trip, for imapshift and mbsync.
//
// It ends with a table and the performance targets marked PASS or MISS.
// The floor and latency tools live next to the repository
// (../shared/bench); they are built at run time and skipped when absent.
// Run it with `make bench` (BENCHARGS="-n 1000" for a quick run).
// -batch runs instead the batch comparison (50 accounts of 200 messages:
// imapshift batch --jobs 8, the single runs one after the other, and 4 at
// a time with xargs -P 4). -ab runs only the memory and TLS rows for
// prebuilt binaries in turn (ab.go).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

type config struct {
	n, wanN, parallel              int
	skipMbsync, skipFloor, skipWAN bool
	imapshiftArgs                  string
	perf                           perfConfig // perf.go
	ab                             abConfig   // ab.go
	// batch runs only the batch comparison: batchAccounts accounts of
	// batchMsgs messages, `imapshift batch --jobs batchJobs`.
	batch                               bool
	batchAccounts, batchMsgs, batchJobs int
	// reruns runs only the rerun rows (reruns.go), each rerunsRepeat
	// times; hold keeps the Dovecots up afterwards.
	reruns, hold bool
	rerunsRepeat int
	// mutate, "host:port", changes that Dovecot's user1 as the spread
	// rows do (round mutateRound) and exits: for runs by hand on the
	// Dovecots of -hold.
	mutate      string
	mutateRound int
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 10000, "messages in the corpus")
	flag.IntVar(&c.wanN, "wan-n", 1000, "messages in the WAN corpus")
	flag.IntVar(&c.parallel, "parallel", 4, "imapshift --parallel")
	flag.BoolVar(&c.skipMbsync, "skip-mbsync", false, "do not run mbsync")
	flag.BoolVar(&c.skipFloor, "skip-floor", false, "do not run the floor tool")
	flag.BoolVar(&c.skipWAN, "skip-wan", false, "do not run the WAN (RTT +20 ms) comparison")
	flag.StringVar(&c.imapshiftArgs, "imapshift-args", "", "more imapshift options for every run (e.g. \"--maxinflight 0\")")
	flag.BoolVar(&c.batch, "batch", false, "run only the batch comparison: imapshift batch against single runs in a loop and with xargs -P 4")
	flag.IntVar(&c.batchAccounts, "batch-accounts", 50, "accounts of the batch comparison")
	flag.IntVar(&c.batchMsgs, "batch-messages", 200, "messages per account of the batch comparison")
	flag.IntVar(&c.batchJobs, "batch-jobs", 8, "imapshift batch --jobs")
	flag.BoolVar(&c.reruns, "reruns", false, "run only the rerun rows: the no-op and the incremental resync with the default state, on the LAN and at RTT +20 ms")
	flag.IntVar(&c.rerunsRepeat, "reruns-repeat", 3, "times each rerun row runs (-reruns; the median is compared with the target)")
	flag.BoolVar(&c.hold, "hold", false, "with -reruns, -scale (only seed), or -ab with -ab-rows wan: keep the Dovecots up and print an imapshift command line against them")
	flag.StringVar(&c.mutate, "mutate", "", "only add 100 messages and change 100 flags over the 15 folders of user1 on this Dovecot (host:port, see -hold), and exit")
	flag.IntVar(&c.mutateRound, "mutate-round", 1000, "round of -mutate (its Message-IDs; odd rounds clear the flag, even ones set it)")
	perfFlags(&c.perf)
	abFlags(&c.ab)
	flag.Parse()
	if c.mutate != "" {
		if err := mutateAt(c.mutate, c.mutateRound); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	// No child run may touch the user's cache (the --usecache state).
	cache, err := os.MkdirTemp("", "imapshift-bench-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	ok, err := bench(c)
	os.RemoveAll(cache)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "bench: imapshift gave a wrong result (see the check column)")
		os.Exit(1)
	}
}

// The phases, as named in the table.
const (
	phaseInitial     = "initial sync"
	phaseNoop        = "resync, nothing to do"
	phaseIncr        = "resync, 100 new + 100 flags"
	phaseFloorAppend = "APPEND, 4 conns"
	phaseWAN         = "WAN (RTT +20 ms) initial sync"
	phaseCachePrime  = "--usecache, first run"
	phaseCacheNoop   = "--usecache, nothing to do"
	phaseCacheIncr   = "--usecache, 100 new + 100 flags"
	phaseRate        = "--maxmessagespersecond 50"
	phaseCompress    = "initial sync, --compress1/2"
)

// result is one row of the final table.
type result struct {
	tool, phase string
	wall        time.Duration
	msgs        int   // messages copied (0: not a copy)
	bytes       int64 // bytes copied
	rssMB       float64
	check       string  // "ok", "" (not checked) or what went wrong
	output      string  // what imapshift printed
	rate        float64 // the msgs/s of its last copy line (throttled runs)
	// cpu is the tool's CPU time, dovecotCPU both Dovecots' (seconds).
	cpu, dovecotCPU float64
	split           cpuSplit // the Dovecots' CPU by process name (perf.go)
}

func (r result) print() {
	rate, mbs, rss := "–", "–", "–"
	if r.rate > 0 {
		rate = fmt.Sprintf("%.1f", r.rate)
	} else if r.msgs > 0 {
		rate = fmt.Sprintf("%.0f", float64(r.msgs)/r.wall.Seconds())
	}
	if r.bytes > 0 {
		mbs = fmt.Sprintf("%.1f", float64(r.bytes)/1e6/r.wall.Seconds())
	}
	if r.rssMB > 0 {
		rss = fmt.Sprintf("%.1f", r.rssMB)
	}
	cpu, dcpu := "–", "–"
	if r.cpu > 0 {
		cpu = fmt.Sprintf("%.2f", r.cpu)
	}
	if r.dovecotCPU > 0 {
		dcpu = fmt.Sprintf("%.2f", r.dovecotCPU)
	}
	fmt.Printf("%-10s %-34s %8.2f %8s %7s %8s %6s %9s  %s\n", r.tool, r.phase, r.wall.Seconds(), rate, mbs, rss, cpu, dcpu, r.check)
}

func header() {
	fmt.Printf("%-10s %-34s %8s %8s %7s %8s %6s %9s  %s\n", "tool", "phase", "wall s", "msg/s", "MB/s", "RSS MB", "CPU s", "Dovecot s", "check")
}

// bench runs everything; ok is false when an imapshift run gave a wrong
// result.
func bench(c config) (ok bool, err error) {
	work, err := os.MkdirTemp("", "imapshift-bench-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(work)
	// imapshift keeps its sync state by default, under the user's cache
	// directory: the bench's runs keep theirs in its work directory.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(work, "cache"))
	if _, err := os.Stat(timeBin); err != nil {
		return false, fmt.Errorf("%s is needed to measure the peak RSS (apt-get install time)", timeBin)
	}
	bin := filepath.Join(work, "imapshift")
	if c.ab.bins != "" {
		return benchAB(c, bin)
	}
	if err := buildImapshift(bin); err != nil {
		return false, err
	}
	if c.perf.scaleOnly {
		return benchScale(c, bin)
	}
	if c.reruns {
		return benchReruns(c, bin, work)
	}
	if c.batch {
		var rows []result
		ok = true
		header()
		err := benchBatch(work, bin, c.batchAccounts, c.batchMsgs, c.batchJobs, func(r result) {
			r.print()
			rows = append(rows, r)
			ok = ok && r.check == "ok"
		})
		return ok, err
	}
	mbsync := ""
	if !c.skipMbsync {
		if mbsync, err = exec.LookPath("mbsync"); err != nil {
			fmt.Println("note: mbsync not on PATH, skipping it (apt-get install isync)")
		}
	}
	floor, proxy := "", ""
	if !c.skipFloor {
		floor = buildRef(work, "floor")
	}
	if !c.skipWAN {
		proxy = buildRef(work, "latency")
	}

	d1, d2, total, stop, err := startPair(c.n)
	if err != nil {
		return false, err
	}
	defer stop()

	// Accounts: host1 user1 holds the corpus; on host2, imapshift syncs
	// into user1, mbsync into user2, floor appends into user4 (wiped
	// afterwards). The WAN corpus is host1 user3, synced into host2 user3
	// (imapshift) and user4 (mbsync).
	lan1, lan2 := endpoint{d1.Host, d1.Port}, endpoint{d2.Host, d2.Port}
	shift := &imapshiftRunner{bin: bin, parallel: c.parallel, d1: d1, d2: d2, base: strings.Fields(c.imapshiftArgs)}
	var mb *mbsyncRunner
	if mbsync != "" {
		if mb, err = newMbsync(mbsync, filepath.Join(work, "mbsync-lan"), lan1, "user1", lan2, "user2", d1, d2); err != nil {
			return false, err
		}
	}
	var rows []result
	ok = true
	add := func(r result) {
		r.print()
		rows = append(rows, r)
		if r.tool == "imapshift" && r.check != "ok" {
			ok = false
		}
	}
	phase := func(name string, msgs int, bytes int64) error {
		r, err := shift.run(name, lan1, "user1", lan2, "user1")
		if err != nil {
			return err
		}
		r.msgs, r.bytes = msgs, bytes
		add(r)
		if mb == nil {
			return nil
		}
		r, err = mb.run(name)
		if err != nil {
			return err
		}
		r.msgs, r.bytes = msgs, bytes
		add(r)
		return nil
	}

	header()
	if err := phase(phaseInitial, c.n, total); err != nil {
		return ok, err
	}
	if err := phase(phaseNoop, 0, 0); err != nil {
		return ok, err
	}
	if floor != "" {
		if err := runFloor(floor, d1, d2, "user4", add); err != nil {
			return ok, err
		}
		if err := wipe(d2, "user4"); err != nil {
			return ok, err
		}
	}
	added, err := mutate(d1, 100, 100, 1)
	if err != nil {
		return ok, err
	}
	if err := phase(phaseIncr, 100, added); err != nil {
		return ok, err
	}
	// The persistent state: a first run records it, then the same two
	// resyncs.
	shift.extra = []string{"--usecache", "--statedir", filepath.Join(work, "state")}
	for _, p := range []struct {
		name string
		add  int
	}{{phaseCachePrime, 0}, {phaseCacheNoop, 0}, {phaseCacheIncr, 100}} {
		var bytes int64
		if p.add > 0 {
			if bytes, err = mutate(d1, p.add, 100, 2); err != nil {
				return ok, err
			}
		}
		r, err := shift.run(p.name, lan1, "user1", lan2, "user1")
		if err != nil {
			return ok, err
		}
		r.msgs, r.bytes = p.add, bytes
		add(r)
	}
	shift.extra = nil
	if err := stateRows(shift, lan1, lan2, d1, add); err != nil {
		return ok, err
	}
	// --maxmessagespersecond 50 over about 20 s: INBOX and Sent (about
	// 1,300 messages) into an empty account, host2 user4 (the floor's,
	// wiped above or never used).
	if err := wipe(d2, "user4"); err != nil {
		return ok, err
	}
	shift.extra = []string{"--maxmessagespersecond", "50", "--folder", "INBOX", "--folder", "Sent"}
	r, err := shift.run(phaseRate, lan1, "user1", lan2, "user4")
	shift.extra = nil
	if err != nil {
		return ok, err
	}
	r.rate = lastCopyRate(r.output)
	if !strings.HasPrefix(r.check, "FAIL: exit") {
		r.check = "ok" // counts differ on purpose: two folders only
	}
	add(r)
	// The initial sync again, into the empty host2 user4, with
	// COMPRESS=DEFLATE on both sides: what compression costs on a link
	// where bandwidth is free.
	if err := wipe(d2, "user4"); err != nil {
		return ok, err
	}
	shift.extra = []string{"--compress1", "--compress2"}
	r, err = shift.run(phaseCompress, lan1, "user1", lan2, "user4")
	shift.extra = nil
	if err != nil {
		return ok, err
	}
	r.msgs, r.bytes = c.n, total
	add(r)
	if err := perfRows(c, shift, d1, d2, total, add); err != nil {
		return ok, err
	}
	if err := wipe(d2, "user4"); err != nil { // the WAN run needs it empty
		return ok, err
	}
	if proxy != "" {
		if err := runWAN(proxy, shift, mbsync, work, d1, d2, c.wanN, add); err != nil {
			return ok, err
		}
		if err := perfWAN(c, proxy, shift, mbsync, work, d1, d2, add); err != nil {
			return ok, err
		}
	}
	fmt.Println()
	header()
	for _, r := range rows {
		r.print()
	}
	fmt.Println()
	targets(rows)
	perfTargets(rows)
	return ok, nil
}

// targets prints the performance targets with PASS, MISS, or n/a when a
// figure is missing.
func targets(rows []result) {
	find := func(tool, phase string) *result { return findRow(rows, tool, phase) }
	rate := func(r *result) float64 { return float64(r.msgs) / r.wall.Seconds() }
	var pass bool
	var detail string
	si, mi, fa := find("imapshift", phaseInitial), find("mbsync", phaseInitial), find("floor", phaseFloorAppend)
	if si != nil && mi != nil {
		x := mi.wall.Seconds() / si.wall.Seconds()
		pass, detail = x >= 2, fmt.Sprintf("%.2f s vs mbsync %.2f s: %.2f× faster", si.wall.Seconds(), mi.wall.Seconds(), x)
	}
	target("initial sync ≥ 2× faster than mbsync", pass, detail)
	pass, detail = false, ""
	if si != nil && fa != nil {
		x := si.wall.Seconds() / fa.wall.Seconds()
		pass, detail = x <= 1.3, fmt.Sprintf("%.2f s vs floor %.2f s: %.2f×", si.wall.Seconds(), fa.wall.Seconds(), x)
	}
	target("initial sync ≤ 1.3× floor APPEND (4 conns)", pass, detail)
	pass, detail = false, ""
	sw, mw := find("imapshift", phaseWAN), find("mbsync", phaseWAN)
	if sw != nil && mw != nil {
		x := rate(sw) / rate(mw)
		pass, detail = x >= 2, fmt.Sprintf("%.0f msg/s vs mbsync %.0f msg/s: %.2f×", rate(sw), rate(mw), x)
	}
	target("RTT +20 ms: ≥ 2× mbsync's msg/s", pass, detail)
	for _, w := range []struct {
		name, phase string
		limit       time.Duration
	}{
		{"nothing-to-do resync ≤ 0.1 s (default: state)", phaseNoop, 100 * time.Millisecond},
		{"incremental resync ≤ 0.3 s (default: state)", phaseIncr, 300 * time.Millisecond},
		{"100 new + 100 flags over 15 folders ≤ 0.3 s", phaseSpreadIncr, 300 * time.Millisecond},
		{"--usecache nothing-to-do resync < 0.1 s", phaseCacheNoop, 100 * time.Millisecond},
		{"--usecache after 100 new + 100 flags < 0.5 s", phaseCacheIncr, 500 * time.Millisecond},
	} {
		pass, detail = false, ""
		if r := find("imapshift", w.phase); r != nil {
			pass, detail = r.wall < w.limit, fmt.Sprintf("%.3f s", r.wall.Seconds())
		}
		target(w.name, pass, detail)
	}
	pass, detail = false, ""
	if r := find("imapshift", phaseRate); r != nil && r.rate > 0 {
		pass, detail = r.rate >= 47.5 && r.rate <= 52.5, fmt.Sprintf("%.1f msgs/s over %.1f s", r.rate, r.wall.Seconds())
	}
	target("--maxmessagespersecond 50 within 5 %", pass, detail)
	pass, detail = false, ""
	var peak float64
	for _, r := range rows {
		if r.tool == "imapshift" && r.rssMB > peak {
			peak = r.rssMB
		}
	}
	if peak > 0 {
		pass, detail = peak < 100, fmt.Sprintf("%.1f MB (highest of the imapshift runs)", peak)
	}
	target("peak RSS < 100 MB", pass, detail)
}

// endpoint is an IMAP address (a Dovecot plain port or a proxy).
type endpoint struct {
	host string
	port int
}

// imapshiftRunner runs the built imapshift; every run is checked: exit 0
// and as many messages on host2 as on host1 (d1 and d2 are the Dovecots
// behind the endpoints, for counting).
type imapshiftRunner struct {
	bin      string
	parallel int
	d1, d2   *dovecot.Server
	base     []string // options for every run (-imapshift-args)
	extra    []string // options for the current phase
}

func (s *imapshiftRunner) run(phase string, h1 endpoint, user1 string, h2 endpoint, user2 string) (result, error) {
	args := []string{"--host1", h1.host, "--port1", strconv.Itoa(h1.port), "--user1", user1, "--password1", dovecot.Users[user1], "--notls1",
		"--host2", h2.host, "--port2", strconv.Itoa(h2.port), "--user2", user2, "--password2", dovecot.Users[user2], "--notls2",
		"--parallel", strconv.Itoa(s.parallel), "--nolog"}
	return s.runWith(phase, args, user1, user2)
}

// runWith runs imapshift with args (the hosts and logins) plus the bench's
// options, and checks the message counts of user1 and user2 afterwards.
func (s *imapshiftRunner) runWith(phase string, args []string, user1, user2 string) (result, error) {
	f, err := timed(s.bin, append(append(args, s.base...), s.extra...)...)
	if err != nil {
		return result{}, err
	}
	r := f.result("imapshift", phase)
	if f.exitCode != 0 {
		r.check = fmt.Sprintf("FAIL: exit %d", f.exitCode)
	} else {
		r.check = countCheck(s.d1, user1, s.d2, user2)
	}
	return r, nil
}

// buildRef builds one of the reference tools of ../shared/bench (next to
// the repository) into dir; "" with a note when it is absent or does not
// build.
func buildRef(dir, name string) string {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		top = []byte(".")
	}
	// Next to the repository, or next to a parent of it (a git worktree
	// may live a level deeper).
	src := ""
	for d := strings.TrimSpace(string(top)); src == "" && d != filepath.Dir(d); d = filepath.Dir(d) {
		if p := filepath.Join(d, "..", "shared", "bench", name); fileExists(filepath.Join(p, "main.go")) {
			src = p
		}
	}
	if src == "" {
		src = filepath.Join(strings.TrimSpace(string(top)), "..", "shared", "bench", name)
		fmt.Printf("note: %s not found, skipping %s\n", src, name)
		return ""
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Printf("note: cannot build %s, skipping it: %v\n%s", src, err, out)
		return ""
	}
	return bin
}

// lastCopyRate is the msgs/s of the last "msg ... copied" line: imapsync's
// rate over the copy loop.
func lastCopyRate(out string) float64 {
	m := copyRate.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return 0
	}
	r, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
	return r
}

var copyRate = regexp.MustCompile(`copied to .* ([0-9.]+) msgs/s`)

// findRow is the row of that tool and phase, or nil.
func findRow(rows []result, tool, phase string) *result {
	for i := range rows {
		if rows[i].tool == tool && rows[i].phase == phase {
			return &rows[i]
		}
	}
	return nil
}

// target prints one target: PASS, MISS, or n/a when detail is empty (the
// figure is missing).
func target(name string, pass bool, detail string) {
	v := "MISS"
	if pass {
		v = "PASS"
	}
	if detail == "" {
		v, detail = "n/a", "not measured"
	}
	fmt.Printf("%-4s  %-50s %s\n", v, name, detail)
}
