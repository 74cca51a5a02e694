//go:build unix

package plugins

import (
	"os/exec"
	"syscall"
)

// killGroup runs cmd in its own process group and makes a cancellation
// kill the whole group, so that the children of `sh -c` die with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
