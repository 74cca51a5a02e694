package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// The rows of the sync state, which imapshift keeps by default (its
// children keep it under $XDG_CACHE_HOME, a directory of the bench's own):
// the header comparison without it (--nostate) for reference, the
// incremental resync with 100 new messages and 100 flag changes spread
// over all 15 folders, and ten resyncs with churn (new messages, flag
// changes and expunges with --delete2), after which the size of the state
// file is printed.
const (
	phaseNoStateNoop = "resync, --nostate, nothing to do"
	phaseSpreadIncr  = "resync, 100 new + 100 flags, 15 fold."
	phaseChurn       = "resync with churn (mean of 9)"
)

// stateRows runs the state rows against host1 user1 -> host2 user1 (the
// account the default rows synced).
func stateRows(shift *imapshiftRunner, lan1, lan2 endpoint, d1 *dovecot.Server, add func(result)) error {
	shift.extra = []string{"--nostate"}
	r, err := shift.run(phaseNoStateNoop, lan1, "user1", lan2, "user1")
	shift.extra = nil
	if err != nil {
		return err
	}
	add(r)

	bytes, err := mutateSpread(d1, 100, 100, 0, 10)
	if err != nil {
		return err
	}
	r, err = shift.run(phaseSpreadIncr, lan1, "user1", lan2, "user1")
	if err != nil {
		return err
	}
	r.msgs, r.bytes = 100, bytes
	add(r)

	// Churn: the first run with --delete2 compares headers (the options
	// differ from the last run's), the next nine read the changes only.
	shift.extra = []string{"--delete2"}
	defer func() { shift.extra = nil }()
	var sum time.Duration
	var last result
	for round := 0; round < 10; round++ {
		if _, err := mutateSpread(d1, 100, 100, 30, 20+round); err != nil {
			return err
		}
		r, err := shift.run(phaseChurn, lan1, "user1", lan2, "user1")
		if err != nil {
			return err
		}
		if r.check != "ok" {
			add(r)
			return nil
		}
		if round > 0 {
			sum += r.wall
		}
		last = r
	}
	last.wall = sum / 9
	last.msgs = 100
	add(last)
	files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "imapshift", "state", "*_user1__*_user1_*.db"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n, _ := count(d1, "user1")
			fmt.Printf("note: state file %s: %.1f KiB for %d messages after the churn (%.0f bytes a message)\n",
				filepath.Base(f), float64(fi.Size())/1024, n, float64(fi.Size())/float64(max(n, 1)))
		}
	}
	return nil
}

// mutateSpread changes host1 user1 over all its folders, round robin:
// add new messages, flag toggles (\Flagged on the oldest messages, on or
// off by round) and expunge deletions (the messages after the flagged ones).
// It returns the bytes added.
func mutateSpread(d *dovecot.Server, add, flag, expunge, round int) (int64, error) {
	c, err := conn.Dial(context.Background(), &conn.Config{Side: 1, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1"})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var bytes int64
	for i := 0; i < add; i++ {
		f := folders[i%len(folders)]
		raw := []byte(fmt.Sprintf("Message-ID: <spread-%d-%d@example.org>\r\nSubject: spread %d\r\n\r\n%s\r\n", round, i, i, strings.Repeat("new message body ", 400)))
		cmd := c.Append(f, int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			return 0, fmt.Errorf("append to %s: %w", f, err)
		}
		bytes += int64(len(raw))
	}
	op := imap.StoreFlagsAdd
	if round%2 == 1 {
		op = imap.StoreFlagsDel
	}
	for k, f := range folders {
		nFlag := flag/len(folders) + b2i(k < flag%len(folders))
		nDel := expunge/len(folders) + b2i(k < expunge%len(folders))
		sel, err := c.Select(f, nil).Wait()
		if err != nil {
			return 0, err
		}
		if nFlag > 0 && sel.NumMessages > 0 {
			var set imap.SeqSet
			set.AddRange(1, min(uint32(nFlag), sel.NumMessages))
			if err := c.Store(set, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
				return 0, err
			}
		}
		if from := uint32(nFlag + 1); nDel > 0 && sel.NumMessages >= from+uint32(nDel) {
			var set imap.SeqSet
			set.AddRange(from, from+uint32(nDel)-1)
			if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				return 0, err
			}
			if err := c.Expunge().Close(); err != nil {
				return 0, err
			}
		}
	}
	return bytes, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
