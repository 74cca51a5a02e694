//go:build !linux

package dovecot

// groupState is only implemented on Linux (see proc_linux.go).
func groupState(int) (live, onlyMasterAndLog, ok bool) { return false, false, false }
