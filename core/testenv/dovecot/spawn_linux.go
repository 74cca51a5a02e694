package dovecot

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// On Linux the master gets SIGTERM when the process that started it dies
// (PR_SET_PDEATHSIG), so a crashed or timed-out test binary leaves no
// Dovecot behind. The death signal fires when the *thread* that forked the
// child exits, so every master is started from one goroutine locked to an
// OS thread that lives as long as the process.

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

func startProcess(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must not exit
			for r := range spawnCh {
				r.done <- r.cmd.Start()
			}
		}()
	})
	// Own process group: Stop signals all Dovecot processes at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	done := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, done: done}
	return <-done
}
