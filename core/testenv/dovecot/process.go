package dovecot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// launch runs the master in the foreground and waits for the greetings.
func (s *Server) launch() error {
	t0 := time.Now()
	// Truncate the log of a previous failed attempt.
	os.WriteFile(s.LogFile, nil, 0o644)
	// Leftovers of a master killed by Stop or Restart (see terminate): a
	// stale instances.lock dotlock makes the next master wait 10 s.
	os.Remove(filepath.Join(s.Dir, "state", "instances.lock"))
	os.Remove(filepath.Join(s.BaseDir, "master.pid"))
	cmd := exec.Command(s.dovecotBin, "-F", "-c", s.ConfFile)
	// A file, not a pipe: exec's copying goroutine would make Wait block
	// until every Dovecot process holding the pipe has exited.
	out, err := os.Create(s.outFile())
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	defer out.Close()
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Stdin = nil
	if err := startProcess(cmd); err != nil {
		return fmt.Errorf("dovecot: exec %s: %w", s.dovecotBin, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	s.disablePenalty(2 * time.Second)
	err = s.waitReady(10 * time.Second)
	if err != nil {
		s.kill()
		log := s.logText()
		if strings.Contains(log, "Address already in use") {
			return fmt.Errorf("%w: %v", errAddrInUse, err)
		}
		return fmt.Errorf("dovecot: start: %v\n--- dovecot output ---\n%s", err, log)
	}
	s.StartTime = time.Since(t0)
	return nil
}

func (s *Server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		terminate(s.cmd.Process, s.exited, 2*time.Second, 10*time.Second)
	}
}

// disablePenalty removes the anvil-auth-penalty socket before the auth
// process starts (it starts with the first login connection): auth then
// runs without penalty tracking. Otherwise, after one failed login, every
// later login from 127.0.0.1 waits 2 to 15 s (Dovecot 2.3 has no setting to
// turn the penalty off, and login_trusted_networks no longer exempts
// clients).
func (s *Server) disablePenalty(timeout time.Duration) {
	sock := filepath.Join(s.BaseDir, "anvil-auth-penalty")
	for end := time.Now().Add(timeout); time.Now().Before(end); {
		if err := os.Remove(sock); err == nil {
			return
		}
		select {
		case <-s.exited:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// logText returns the master's stderr and the tail of dovecot.log.
func (s *Server) logText() string {
	var b strings.Builder
	if data, err := os.ReadFile(s.outFile()); err == nil && len(data) > 0 {
		if len(data) > 4096 {
			data = data[len(data)-4096:]
		}
		b.Write(data)
		b.WriteString("--- dovecot.log ---\n")
	}
	if data, err := os.ReadFile(s.LogFile); err == nil {
		if len(data) > 8192 {
			data = data[len(data)-8192:]
		}
		b.Write(data)
	}
	return b.String()
}

func (s *Server) outFile() string { return filepath.Join(s.Dir, "master.out") }

// Log returns the master's output and the tail of dovecot.log (for test
// failure messages).
func (s *Server) Log() string { return s.logText() }

// Restart stops all Dovecot processes of the instance and starts them again
// with the same directory, ports, certificate and mail (e.g. to test
// reconnection; connected clients get "* BYE Server shutting down.").
func (s *Server) Restart() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("dovecot: Restart of an instance that was never started")
	}
	select {
	case <-s.exited:
	default:
		if err := terminate(s.cmd.Process, s.exited, 2*time.Second, 10*time.Second); err != nil {
			return err
		}
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.launch(); !errors.Is(err, errAddrInUse) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// Stop terminates the instance (SIGTERM to all its processes, SIGKILL
// after 5 s; clients get "* BYE Server shutting down.") and removes the directory when Start created it. It is safe to call twice.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			s.stopErr = terminate(s.cmd.Process, s.exited, 2*time.Second, 10*time.Second)
			os.Remove(filepath.Join(s.BaseDir, "master.pid"))
		}
		s.cleanupDirs()
	})
	return s.stopErr
}
