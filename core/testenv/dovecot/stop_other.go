//go:build !unix

package dovecot

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

func terminate(p *os.Process, exited <-chan struct{}, _, timeout time.Duration) error {
	p.Kill()
	select {
	case <-exited:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("dovecot: master still running after %v", timeout)
	}
}
