package main

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// runWAN seeds a separate corpus of n messages into host1 user3 and times
// an initial sync of it through latency proxies that add 10 ms each way
// (RTT +20 ms) in front of both Dovecots: imapshift into host2 user3, then
// mbsync (when mbsync is not "") into host2 user4, which must be empty.
func runWAN(proxyBin string, shift *imapshiftRunner, mbsync, work string, d1, d2 *dovecot.Server, n int, add func(result)) error {
	total, err := seed(d1, "user3", n, 2)
	if err != nil {
		return err
	}
	p1, stop1, err := startProxy(proxyBin, d1.Addr())
	if err != nil {
		return err
	}
	defer stop1()
	p2, stop2, err := startProxy(proxyBin, d2.Addr())
	if err != nil {
		return err
	}
	defer stop2()
	r, err := shift.run(phaseWAN, p1, "user3", p2, "user3")
	if err != nil {
		return err
	}
	r.msgs, r.bytes = n, total
	add(r)
	if mbsync == "" {
		return nil
	}
	mb, err := newMbsync(mbsync, filepath.Join(work, "mbsync-wan"), p1, "user3", p2, "user4", d1, d2)
	if err != nil {
		return err
	}
	if r, err = mb.run(phaseWAN); err != nil {
		return err
	}
	r.msgs, r.bytes = n, total
	add(r)
	return nil
}

// startProxy starts the latency proxy on a free loopback port in front of
// target and waits until it accepts connections.
func startProxy(bin, target string) (endpoint, func(), error) {
	return startProxyDelay(bin, target, "10ms")
}

// startProxyDelay is startProxy with a one-way delay of delay.
func startProxyDelay(bin, target, delay string) (endpoint, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return endpoint{}, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-listen", addr, "-target", target, "-delay", delay)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return endpoint{}, nil, err
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return endpoint{}, nil, fmt.Errorf("latency proxy on %s did not start", addr)
		}
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return endpoint{host, p}, stop, nil
}
