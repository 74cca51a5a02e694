package runctl

// --tail follows the log of another run, as imapsync's CGI mode does: it
// finds the run through the pidfile of the same account pair (or
// --pidfile), prints the run's log file from its start, then prints the
// lines the run adds until the run exits, and exits 0. Nothing to follow
// (no pidfile, a stale one, or a run without a log file) is said in one
// line and also exits 0. A --tail run writes no log file and no pidfile
// of its own.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

// tailPoll is how often --tail looks for new log lines and for the end of
// the run.
const tailPoll = 200 * time.Millisecond

// Tail follows the log of the run named by the pidfile of these accounts
// (--tail) until that run exits.
func (rc *Control) Tail(ctx context.Context, s *config.Settings) error {
	path, err := runPidFile(s, "tail", "follow")
	if err != nil {
		return err
	}
	out := rc.out
	pid, runLog, err := readPidFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(out, "No pidfile %s, so no imapshift run to follow for these accounts\n", path)
		return nil
	case err != nil:
		fmt.Fprintf(out, "Nothing to follow: %v\n", err)
		return nil
	case !runningImapshift(pid):
		fmt.Fprintf(out, "Nothing to follow: PID %d of pidfile %s is not a running imapshift\n", pid, path)
		return nil
	case runLog == "":
		fmt.Fprintf(out, "Nothing to follow: PID %d runs without a log file (--nolog)\n", pid)
		return nil
	}
	f, err := os.Open(runLog)
	if err != nil {
		fmt.Fprintf(out, "Nothing to follow: %v\n", unwrapPathError(err))
		return nil
	}
	defer f.Close()
	fmt.Fprintf(out, "Following PID %d, log file %s, until it exits\n", pid, runLog)
	for {
		// Read what is there, then look whether the run is over: a
		// run that ended has written its last line before it exited,
		// so one more read after that gets everything.
		alive := processAlive(pid)
		if _, err := io.Copy(out, f); err != nil {
			return fmt.Errorf("reading %s: %w", runLog, err)
		}
		if !alive {
			fmt.Fprintf(out, "PID %d has exited\n", pid)
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(tailPoll):
		}
	}
}
