package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// The batch phases, as named in the table.
const (
	phaseBatch  = "batch, --jobs %d"
	phaseSerial = "single runs one after the other"
	phaseXargs  = "single runs, xargs -P 4"
)

// benchBatch compares, on accounts × msgs messages (the same corpus
// generator as the main run, one seed per account), `imapshift batch`
// with --jobs jobs against the loops an imapsync user writes: the single
// runs one after the other, and 4 at a time with xargs -P 4. Each variant
// syncs into its own empty host2 accounts; each is checked.
func benchBatch(work, bin string, accounts, msgs, jobs int, add func(result)) error {
	d1, err := dovecot.Start(dovecot.Options{ManyUsers: accounts})
	if err != nil {
		return err
	}
	defer d1.Stop()
	d2, err := dovecot.Start(dovecot.Options{ManyUsers: 3 * accounts})
	if err != nil {
		return err
	}
	defer d2.Stop()
	t0 := time.Now()
	var total int64
	for a := 0; a < accounts; a++ {
		c, bytes := corpus(msgs, int64(1000+a))
		if err := d1.SeedMany(dovecot.ManyUser(a), c); err != nil {
			return err
		}
		total += bytes
	}
	fmt.Printf("batch corpus: %d accounts of %d messages, %.0f MB, seeded in %.1f s\n", accounts, msgs, float64(total)/1e6, time.Since(t0).Seconds())

	// lines returns the account lines of variant v (host2 users v*accounts ...).
	common := []string{"--notls1", "--notls2", "--nofoldersizes", "--nofoldersizesatend"}
	line := func(v, a int) (user1, pass1, user2, pass2 string) {
		return dovecot.ManyUser(a), dovecot.ManyPassword(a), dovecot.ManyUser(v*accounts + a), dovecot.ManyPassword(v*accounts + a)
	}
	check := func(v int) string {
		for a := 0; a < accounts; a++ {
			u1, _, u2, _ := line(v, a)
			if c := countCheck(d1, u1, d2, u2); c != "ok" {
				return u2 + ": " + c
			}
		}
		return "ok"
	}

	// 1. imapshift batch.
	dir := filepath.Join(work, "batch")
	os.MkdirAll(dir, 0o700)
	var file strings.Builder
	for a := 0; a < accounts; a++ {
		u1, p1, u2, p2 := line(0, a)
		fmt.Fprintf(&file, "%s;%s;%s;%s;%s;%s;--port1 %d --port2 %d\n", d1.Host, u1, p1, d2.Host, u2, p2, d1.Port, d2.Port)
	}
	accountsFile := filepath.Join(dir, "accounts.txt")
	if err := os.WriteFile(accountsFile, []byte(file.String()), 0o600); err != nil {
		return err
	}
	f, err := timed(bin, append([]string{"batch", accountsFile, "--jobs", strconv.Itoa(jobs), "--outdir", filepath.Join(dir, "out")}, common...)...)
	if err != nil {
		return err
	}
	r := result{tool: "imapshift", phase: fmt.Sprintf(phaseBatch, jobs), wall: f.wall, rssMB: f.rssMB, output: f.output, msgs: accounts * msgs, bytes: total}
	r.check = exitCheck(f, func() string { return check(0) })
	add(r)

	// 2 and 3. The single runs, from a file of command lines, through
	// xargs: -P 1 is the loop one after the other, -P 4 four at a time.
	for v, p := range []struct {
		phase string
		procs int
	}{{phaseSerial, 1}, {phaseXargs, 4}} {
		vdir := filepath.Join(work, fmt.Sprintf("single-%d", p.procs))
		os.MkdirAll(vdir, 0o700)
		var lines strings.Builder
		for a := 0; a < accounts; a++ {
			u1, p1, u2, p2 := line(v+1, a)
			args := append([]string{"--host1", d1.Host, "--port1", strconv.Itoa(d1.Port), "--user1", u1, "--password1", p1,
				"--host2", d2.Host, "--port2", strconv.Itoa(d2.Port), "--user2", u2, "--password2", p2, "--logdir", vdir}, common...)
			lines.WriteString(strings.Join(args, " ") + "\n")
		}
		argsFile := filepath.Join(vdir, "runs.txt")
		if err := os.WriteFile(argsFile, []byte(lines.String()), 0o600); err != nil {
			return err
		}
		f, err := timed("sh", "-c", fmt.Sprintf("xargs -P %d -L 1 %s < %s", p.procs, bin, argsFile))
		if err != nil {
			return err
		}
		r := result{tool: "imapshift", phase: p.phase, wall: f.wall, rssMB: f.rssMB, output: f.output, msgs: accounts * msgs, bytes: total}
		r.check = exitCheck(f, func() string { return check(v + 1) })
		add(r)
	}
	return nil
}

// exitCheck is "FAIL: exit N" for a failed run, else what check says.
func exitCheck(f figures, check func() string) string {
	if f.exitCode != 0 {
		return fmt.Sprintf("FAIL: exit %d", f.exitCode)
	}
	return check()
}
