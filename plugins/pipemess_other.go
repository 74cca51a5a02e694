//go:build !unix

package plugins

import "os/exec"

// killGroup leaves cmd as it is: without process groups, a cancellation
// kills the shell only.
func killGroup(cmd *exec.Cmd) {}
