//go:build unix

package journal

import (
	"errors"
	"syscall"
)

// Alive reports whether a process with this PID exists (signal 0 is
// delivered, or refused for lack of permission).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
