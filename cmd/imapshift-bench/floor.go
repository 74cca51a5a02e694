package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// runFloor runs the floor tool: a pipelined FETCH of every body of host1
// user1, then a pipelined APPEND (LITERAL+, 4 connections) of host1 user1's
// Maildir into the empty account user of host2. The times are the tool's
// own, which leave out loading the Maildir into memory.
func runFloor(bin string, d1, d2 *dovecot.Server, user string, add func(result)) error {
	fetch, err := floor(bin, "fetch", "--port", strconv.Itoa(d1.Port), "--user", "user1", "--pass", dovecot.Users["user1"])
	if err != nil {
		return err
	}
	fetch.phase = "FETCH all bodies, 1 conn"
	add(fetch)
	appnd, err := floor(bin, "append", "--port", strconv.Itoa(d2.Port), "--user", user, "--pass", dovecot.Users[user],
		"--src", d1.MaildirRoot("user1"), "--conns", "4")
	if err != nil {
		return err
	}
	appnd.phase = phaseFloorAppend
	appnd.check = countCheck(d1, "user1", d2, user)
	add(appnd)
	return nil
}

// floor runs one floor command and reads its summary line
// "floor append mode=... conns=4 tls=none: 11.14 s, 10000 msgs, 640.1 MB, ...".
func floor(bin string, args ...string) (result, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	settle()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("floor %s: %v\n%s%s", args[0], err, stdout.String(), stderr.String())
	}
	line := stdout.String()
	var secs, mb float64
	var msgs int
	i := strings.Index(line, ": ")
	if i < 0 {
		return result{}, fmt.Errorf("floor %s: unexpected output %q", args[0], line)
	}
	if _, err := fmt.Sscanf(line[i+2:], "%f s, %d msgs, %f MB", &secs, &msgs, &mb); err != nil {
		return result{}, fmt.Errorf("floor %s: unexpected output %q: %v", args[0], line, err)
	}
	return result{tool: "floor", wall: time.Duration(secs * float64(time.Second)), msgs: msgs, bytes: int64(mb * 1e6)}, nil
}
