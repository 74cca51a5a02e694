//go:build unix

package dovecot

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// terminate stops a Dovecot master started by startProcess (leader of its
// own process group) by sending SIGTERM to the whole group. Signalling only
// the master is slow: the master sleeps a second for its log process, and
// mail processes with a connected client only notice the dead master and
// say BYE after ten seconds. With the group signal every imap process says
// "* BYE Server shutting down." at once and the group is gone in ~10 ms.
// Whatever is left after timeout gets SIGKILL.
func terminate(p *os.Process, exited <-chan struct{}, timeout time.Duration) error {
	pgid := p.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		p.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(timeout)
	select {
	case <-exited:
	case <-time.After(timeout):
		syscall.Kill(-pgid, syscall.SIGKILL)
		p.Kill()
		<-exited
		return fmt.Errorf("dovecot: master still running %v after SIGTERM, killed", timeout)
	}
	// The master is gone; wait for the rest of its group.
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			return fmt.Errorf("dovecot: processes still running %v after SIGTERM, killed", timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
