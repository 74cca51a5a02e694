//go:build !unix

package journal

import "os"

// Alive reports whether a process with this PID exists. Where signal 0
// cannot be sent, a PID that FindProcess accepts counts as alive, which
// errs on the side of not treating the journal's writer as dead.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	_, err := os.FindProcess(pid)
	return err == nil
}
