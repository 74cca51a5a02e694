package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// mbsyncRunner runs mbsync (isync 1.4) with a generated configuration: one
// Channel pulling every folder of the far account (host1) into the near one
// (host2), creating folders on the near side, sync state in its own
// directory. mbsync does not copy keywords and adds an X-TUID header to
// every message it uploads, so it is checked only by message counts.
type mbsyncRunner struct {
	bin, config  string
	d1, d2       *dovecot.Server // behind far and near, for counting
	user1, user2 string
}

// newMbsync writes the configuration and an empty sync state into dir.
func newMbsync(bin, dir string, far endpoint, user1 string, near endpoint, user2 string, d1, d2 *dovecot.Server) (*mbsyncRunner, error) {
	state := filepath.Join(dir, "state") + "/"
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, err
	}
	// isync 1.4 syntax: SSLType (TLSType came with 1.5), Far/Near.
	account := func(name string, e endpoint, user string) string {
		return fmt.Sprintf("IMAPAccount %[1]s\nHost %[2]s\nPort %[3]d\nUser %[4]s\nPass %[5]s\nSSLType None\n\n"+
			"IMAPStore %[1]s\nAccount %[1]s\n\n", name, e.host, e.port, user, dovecot.Users[user])
	}
	conf := account("far", far, user1) + account("near", near, user2) +
		"Channel bench\nFar :far:\nNear :near:\nPatterns *\nCreate Near\nSync Pull\n" +
		"CopyArrivalDate yes\nExpunge None\nRemove None\nSyncState " + state + "\n"
	config := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	return &mbsyncRunner{bin: bin, config: config, d1: d1, d2: d2, user1: user1, user2: user2}, nil
}

func (m *mbsyncRunner) run(phase string) (result, error) {
	f, err := timed(m.bin, "-c", m.config, "bench")
	if err != nil {
		return result{}, err
	}
	r := f.result("mbsync", phase)
	r.output = ""
	if f.exitCode != 0 {
		r.check = fmt.Sprintf("FAIL: exit %d", f.exitCode)
	} else {
		r.check = countCheck(m.d1, m.user1, m.d2, m.user2)
	}
	return r, nil
}
