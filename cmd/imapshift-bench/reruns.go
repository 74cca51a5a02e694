package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// The rerun rows alone (-reruns), to work on the time of a resync with
// the default state without the hour of the whole bench: the initial
// sync, then each of these -reruns-repeat times, the median compared with
// the targets of issue 12:
//
//   - the resync with nothing to do, with the state and with --nostate;
//   - the resync after 100 new messages and 100 flag changes spread over
//     all 15 folders (mutateSpread), on the LAN and through latency
//     proxies adding 20 ms of round trip (-skip-wan leaves that out);
//   - the resync with nothing to do at RTT +20 ms (after a first run
//     there, since the state file is named by host and port).
//
// With -hold, the bench then prints the command line of a run against its
// Dovecots and waits for SIGINT or SIGTERM, for profiling by hand.
const (
	phaseWANPrime = "RTT +20 ms, first run (no state)"
	phaseWANNoop  = "RTT +20 ms, nothing to do"
	phaseWANIncr  = "RTT +20 ms, 100 new + 100 flags, 15 f."
	rerunsRoundAt = 100 // mutateSpread rounds of these rows (their Message-IDs)
)

func benchReruns(c config, bin, work string) (ok bool, err error) {
	d1, d2, total, stop, err := startPair(c.n)
	if err != nil {
		return false, err
	}
	defer stop()
	lan1, lan2 := endpoint{d1.Host, d1.Port}, endpoint{d2.Host, d2.Port}
	shift := &imapshiftRunner{bin: bin, parallel: c.parallel, d1: d1, d2: d2, base: strings.Fields(c.imapshiftArgs)}
	var rows []result
	ok = true
	add := func(r result) {
		r.print()
		rows = append(rows, r)
		ok = ok && r.check == "ok"
	}
	header()
	r, err := shift.run(phaseInitial, lan1, "user1", lan2, "user1")
	if err != nil {
		return false, err
	}
	r.msgs, r.bytes = c.n, total
	add(r)
	round := rerunsRoundAt
	// times runs phase n times, mutating host1 first when spread.
	times := func(phase string, h1, h2 endpoint, spread bool, extra ...string) error {
		for i := 0; i < c.rerunsRepeat; i++ {
			var bytes int64
			if spread {
				round++
				if bytes, err = mutateSpread(d1, 100, 100, 0, round); err != nil {
					return err
				}
			}
			shift.extra = extra
			r, err := shift.run(phase, h1, "user1", h2, "user1")
			shift.extra = nil
			if err != nil {
				return err
			}
			if spread {
				r.msgs, r.bytes = 100, bytes
			}
			add(r)
		}
		return nil
	}
	if err := times(phaseNoop, lan1, lan2, false); err != nil {
		return ok, err
	}
	if err := times(phaseNoStateNoop, lan1, lan2, false, "--nostate"); err != nil {
		return ok, err
	}
	if err := times(phaseSpreadIncr, lan1, lan2, true); err != nil {
		return ok, err
	}
	if proxy := buildRef(work, "latency"); proxy != "" && !c.skipWAN {
		p1, stop1, err := startProxy(proxy, d1.Addr())
		if err != nil {
			return ok, err
		}
		defer stop1()
		p2, stop2, err := startProxy(proxy, d2.Addr())
		if err != nil {
			return ok, err
		}
		defer stop2()
		// The state file is named by host and port: the first run
		// through the proxies starts it.
		r, err := shift.run(phaseWANPrime, p1, "user1", p2, "user1")
		if err != nil {
			return ok, err
		}
		add(r)
		if err := times(phaseWANNoop, p1, p2, false); err != nil {
			return ok, err
		}
		if err := times(phaseWANIncr, p1, p2, true); err != nil {
			return ok, err
		}
	}
	fmt.Println()
	for _, t := range []struct {
		name, phase string
		limit       time.Duration
	}{
		{"nothing-to-do resync ≤ 0.1 s (default: state)", phaseNoop, 100 * time.Millisecond},
		{"100 new + 100 flags over 15 folders ≤ 0.3 s", phaseSpreadIncr, 300 * time.Millisecond},
		{"the same at RTT +20 ms < 1 s", phaseWANIncr, time.Second},
	} {
		var walls []time.Duration
		for _, r := range rows {
			if r.tool == "imapshift" && r.phase == t.phase {
				walls = append(walls, r.wall)
			}
		}
		if len(walls) == 0 {
			target(t.name, false, "")
			continue
		}
		slices.Sort(walls)
		med := walls[len(walls)/2]
		target(t.name, med <= t.limit, fmt.Sprintf("median %.3f s of %d (%.3f–%.3f s)", med.Seconds(), len(walls), walls[0].Seconds(), walls[len(walls)-1].Seconds()))
	}
	if c.hold {
		args := []string{bin, "--host1", lan1.host, "--port1", strconv.Itoa(lan1.port), "--user1", "user1", "--password1", dovecot.Users["user1"], "--notls1",
			"--host2", lan2.host, "--port2", strconv.Itoa(lan2.port), "--user2", "user1", "--password2", dovecot.Users["user1"], "--notls2",
			"--parallel", strconv.Itoa(c.parallel), "--nolog"}
		fmt.Printf("\nholding the Dovecots (SIGINT or SIGTERM ends); with XDG_CACHE_HOME=%s:\n%s\n", os.Getenv("XDG_CACHE_HOME"), strings.Join(args, " "))
		fmt.Printf("host1 doveadm: %s\n", d1.BaseDir)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
	}
	return ok, nil
}

// mutateAt is mutateSpread on the Dovecot at addr (host:port).
func mutateAt(addr string, round int) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	_, err = mutateSpread(&dovecot.Server{Host: host, Port: p}, 100, 100, 0, round)
	return err
}
