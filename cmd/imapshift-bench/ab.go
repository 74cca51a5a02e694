package main

// -ab runs only the memory and TLS rows, for one or more prebuilt
// imapshift binaries taken in turn (in reverse order every other round),
// -ab-repeat times, on one seeded pair of Dovecots: an A/B comparison
// where every binary meets the same machine load, back to back. It ends
// with the median of each binary and row.

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// The rows -ab can run (-ab-rows).
const (
	abInitial   = "initial"
	abTLS       = "tls"
	abTLSNoop   = "tlsnoop"
	abParallel8 = "parallel8"
	abBig       = "big"
	abWAN       = "wan"
	abWAN100    = "wan100"
)

// abConfig holds the options of the A/B mode.
type abConfig struct {
	bins   string // comma-separated binaries ("" : no A/B mode)
	rows   string // comma-separated rows
	repeat int
}

func abFlags(c *abConfig) {
	flag.StringVar(&c.bins, "ab", "", "comma-separated imapshift binaries (\"build\": this tree): run only the -ab-rows for each in turn, -ab-repeat times")
	flag.StringVar(&c.rows, "ab-rows", "initial,tls,parallel8,big", "rows of -ab: initial, tls, tlsnoop, parallel8, big, wan and wan100 (the -wan-n corpus at RTT +20 ms and +100 ms; -n 0 skips seeding the 10k corpus)")
	flag.IntVar(&c.repeat, "ab-repeat", 3, "rounds of -ab")
}

// benchAB is the -ab mode: c.n messages in host1 user1 (and the -big-n
// corpus in host1 user2 for the big row), each row into the emptied host2
// user4. A binary named "build" is this tree's, built into built.
func benchAB(c config, built string) (bool, error) {
	var bins []string
	for _, b := range strings.Split(c.ab.bins, ",") {
		if b = strings.TrimSpace(b); b == "build" {
			if err := buildImapshift(built); err != nil {
				return false, err
			}
			b = built
		}
		if _, err := os.Stat(b); err != nil {
			return false, err
		}
		bins = append(bins, b)
	}
	rows := map[string]bool{}
	for _, r := range strings.Split(c.ab.rows, ",") {
		switch r = strings.TrimSpace(r); r {
		case abInitial, abTLS, abTLSNoop, abParallel8, abBig, abWAN, abWAN100:
			rows[r] = true
		default:
			return false, fmt.Errorf("-ab-rows: unknown row %q", r)
		}
	}
	d1, d2, total, stop, err := startPair(c.n)
	if err != nil {
		return false, err
	}
	defer stop()
	var bigMsgs int
	var bigBytes int64
	if rows[abBig] && c.perf.bigN > 0 {
		if bigMsgs, bigBytes, err = seedBig(d1, "user2", c.perf.bigN); err != nil {
			return false, err
		}
	}
	lan1, lan2 := endpoint{d1.Host, d1.Port}, endpoint{d2.Host, d2.Port}
	// The WAN rows: the -wan-n corpus in host1 user3, both Dovecots behind
	// latency proxies that add 10 ms (50 ms for wan100) each way.
	var wanBytes int64
	var wan1, wan2, wan1x, wan2x endpoint
	if rows[abWAN] || rows[abWAN100] {
		proxy := buildRef(filepath.Dir(built), "latency")
		if proxy == "" {
			return false, fmt.Errorf("-ab-rows wan needs the latency proxy")
		}
		if wanBytes, err = seed(d1, "user3", c.wanN, 2); err != nil {
			return false, err
		}
		for _, p := range []struct {
			on       bool
			delay    string
			to1, to2 *endpoint
		}{{rows[abWAN], "10ms", &wan1, &wan2}, {rows[abWAN100], "50ms", &wan1x, &wan2x}} {
			if !p.on {
				continue
			}
			var stop1, stop2 func()
			if *p.to1, stop1, err = startProxyDelay(proxy, d1.Addr(), p.delay); err != nil {
				return false, err
			}
			defer stop1()
			if *p.to2, stop2, err = startProxyDelay(proxy, d2.Addr(), p.delay); err != nil {
				return false, err
			}
			defer stop2()
		}
	}
	if c.hold && rows[abWAN] {
		return true, holdWAN(built, wan1, wan2, d2)
	}
	ok := true
	var all []result
	add := func(r result) {
		r.print()
		fmt.Printf("%-10s Dovecots' CPU: %s\n", "", r.split)
		all = append(all, r)
		ok = ok && r.check == "ok"
	}
	header()
	for round := 0; round < c.ab.repeat; round++ {
		load, _ := os.ReadFile("/proc/loadavg")
		fmt.Printf("round %d, load %s", round+1, load)
		// Every other round takes the binaries in reverse order (A B,
		// B A, ...): the one run second in a round does not always meet
		// what the first left behind (the page cache, Dovecot's indexes,
		// the load of the moment).
		for j := range bins {
			i := j
			if round%2 == 1 {
				i = len(bins) - 1 - j
			}
			bin := bins[i]
			tool := fmt.Sprintf("%c:%s", 'A'+i, filepath.Base(bin))
			shift := &imapshiftRunner{bin: bin, parallel: c.parallel, d1: d1, d2: d2, base: strings.Fields(c.imapshiftArgs)}
			// one runs a row into the emptied host2 user4.
			one := func(msgs int, bytes int64, run func() (result, error)) error {
				if err := wipe(d2, "user4"); err != nil {
					return err
				}
				r, err := run()
				if err != nil {
					return err
				}
				r.tool, r.msgs, r.bytes = tool, msgs, bytes
				add(r)
				return nil
			}
			if rows[abInitial] {
				if err := one(c.n, total, func() (result, error) { return shift.run(phaseInitial, lan1, "user1", lan2, "user4") }); err != nil {
					return ok, err
				}
			}
			if rows[abTLS] {
				if err := one(c.n, total, func() (result, error) { return runTLS(shift, phaseTLSInitial, d1, "user1", d2, "user4") }); err != nil {
					return ok, err
				}
				if rows[abTLSNoop] {
					r, err := runTLS(shift, phaseTLSNoop, d1, "user1", d2, "user4")
					if err != nil {
						return ok, err
					}
					r.tool = tool
					add(r)
				}
			}
			if rows[abParallel8] {
				shift.extra = []string{"--parallel", "8"}
				err := one(c.n, total, func() (result, error) { return shift.run(phaseParallel8, lan1, "user1", lan2, "user4") })
				shift.extra = nil
				if err != nil {
					return ok, err
				}
			}
			if rows[abWAN] {
				if err := one(c.wanN, wanBytes, func() (result, error) { return shift.run(phaseWAN, wan1, "user3", wan2, "user4") }); err != nil {
					return ok, err
				}
			}
			if rows[abWAN100] {
				if err := one(c.wanN, wanBytes, func() (result, error) { return shift.run(phaseWAN100, wan1x, "user3", wan2x, "user4") }); err != nil {
					return ok, err
				}
			}
			if rows[abBig] && c.perf.bigN > 0 {
				if err := one(bigMsgs, bigBytes, func() (result, error) { return shift.run(phaseBig, lan1, "user2", lan2, "user4") }); err != nil {
					return ok, err
				}
			}
		}
	}
	fmt.Println()
	abMedians(all)
	return ok, wipe(d2, "user4")
}

// abMedians prints, for each binary and row, the median wall time, peak
// RSS and CPU seconds (imapshift's, the Dovecots', and of those their
// imap and imap-login processes') over the rounds.
func abMedians(rows []result) {
	type key struct{ tool, phase string }
	var order []key
	groups := map[key][]result{}
	for _, r := range rows {
		k := key{r.tool, r.phase}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].phase < order[j].phase })
	fmt.Println("medians:")
	fmt.Printf("%-24s %-34s %8s %8s %6s %9s %6s %10s  %s\n", "binary", "phase", "wall s", "RSS MB", "CPU s", "Dovecot s", "imap", "imap-login", "runs")
	for _, k := range order {
		g := groups[k]
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(g))
			for i, r := range g {
				v[i] = f(r)
			}
			sort.Float64s(v)
			return v[len(v)/2]
		}
		fmt.Printf("%-24s %-34s %8.2f %8.1f %6.2f %9.2f %6.2f %10.2f  %d\n", k.tool, k.phase,
			med(func(r result) float64 { return r.wall.Seconds() }), med(func(r result) float64 { return r.rssMB }),
			med(func(r result) float64 { return r.cpu }), med(func(r result) float64 { return r.dovecotCPU }),
			med(func(r result) float64 { return r.split["imap"] }), med(func(r result) float64 { return r.split["imap-login"] }), len(g))
	}
}

// buildImapshift builds this tree's imapshift into bin, as it is released (the
// Containerfile): without cgo, a static binary. The dynamic one that a
// plain go build gives (cgo for net's resolver and os/user) spends a few
// milliseconds more at each start loading libc and starting cgo, which a
// rerun with nothing to do pays every time.
func buildImapshift(bin string) error {
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/imapshift")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	return nil
}

// holdWAN is -ab-rows wan with -hold: it prints the command line of the
// WAN run (host1 user3 into host2 user4, through the proxies) and keeps
// the Dovecots and proxies up until SIGINT or SIGTERM; each SIGHUP empties
// host2 user4 for the next run.
func holdWAN(bin string, p1, p2 endpoint, d2 *dovecot.Server) error {
	args := []string{bin, "--host1", p1.host, "--port1", strconv.Itoa(p1.port), "--user1", "user3", "--password1", dovecot.Users["user3"], "--notls1",
		"--host2", p2.host, "--port2", strconv.Itoa(p2.port), "--user2", "user4", "--password2", dovecot.Users["user4"], "--notls2", "--nolog"}
	fmt.Printf("holding the Dovecots (SIGINT or SIGTERM ends, SIGHUP empties host2 user4; pid %d):\n%s\n", os.Getpid(), strings.Join(args, " "))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for s := range sig {
		if s != syscall.SIGHUP {
			return nil
		}
		err := wipe(d2, "user4")
		fmt.Println("wiped host2 user4:", err)
	}
	return nil
}
