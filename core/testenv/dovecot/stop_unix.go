//go:build unix

package dovecot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// terminate stops a Dovecot master started by startProcess (leader of its
// own process group) by sending SIGTERM to the whole group: signalling only
// the master is slow, because mail processes with a connected client only
// notice the dead master and say BYE ten seconds later. With the group
// signal every imap process says "* BYE Server shutting down." at once.
// The master then still sleeps a second for its log process when that one
// lingers; where the group can be inspected (Linux), master and log process
// are killed as soon as they are the only ones left. SIGTERM is repeated
// for processes forked meanwhile; after grace the group gets SIGKILL, and an
// error is returned only if something survives that until timeout.
func terminate(p *os.Process, exited <-chan struct{}, grace, timeout time.Duration) error {
	pgid := p.Pid
	signal := func(sig syscall.Signal) {
		if err := syscall.Kill(-pgid, sig); err != nil {
			p.Signal(sig)
		}
	}
	signal(syscall.SIGTERM)
	start := time.Now()
	lastTerm := start
	killed := false
	for {
		live, onlyMasterAndLog, ok := groupState(pgid)
		if !ok { // no /proc: ask the kernel (zombies count as alive)
			live = !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
		}
		if !live {
			break
		}
		switch {
		case onlyMasterAndLog:
			signal(syscall.SIGKILL)
		case time.Since(start) > timeout:
			signal(syscall.SIGKILL)
			<-exited
			return fmt.Errorf("dovecot: processes still running %v after SIGTERM and SIGKILL", timeout)
		case time.Since(start) > grace:
			if !killed && os.Getenv("IMAPSHIFT_DOVECOT_DEBUG") != "" {
				out, _ := exec.Command("ps", "-e", "-o", "pgid=,pid=,ppid=,stat=,etime=,args=").Output()
				fmt.Fprintf(os.Stderr, "dovecot: process group %d still alive after %v, SIGKILL:\n", pgid, grace)
				for _, line := range strings.Split(string(out), "\n") {
					if f := strings.Fields(line); len(f) > 0 && f[0] == strconv.Itoa(pgid) {
						fmt.Fprintln(os.Stderr, line)
					}
				}
			}
			killed = true
			signal(syscall.SIGKILL)
		case time.Since(lastTerm) > 100*time.Millisecond:
			lastTerm = time.Now()
			signal(syscall.SIGTERM)
		}
		time.Sleep(2 * time.Millisecond)
	}
	<-exited
	return nil
}
