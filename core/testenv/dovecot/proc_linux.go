package dovecot

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// groupState inspects process group pgid (led by the Dovecot master) in
// /proc: whether any member is alive (zombies do not count: in a container
// without a reaping init they may never disappear), and whether the
// master and its log process are the only live members.
func groupState(pgid int) (live, onlyMasterAndLog, ok bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return false, false, false
	}
	pg := strconv.Itoa(pgid)
	n, master, logProc := 0, false, false
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces and ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[2] != pg || f[0] == "Z" {
			continue
		}
		n++
		if e.Name() == pg {
			master = true
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		title, _, _ := strings.Cut(string(cmdline), "\x00")
		if strings.HasSuffix(strings.TrimSpace(title), "/log") {
			logProc = true
		}
	}
	others := n
	if master {
		others--
	}
	if logProc {
		others--
	}
	return n > 0, n > 0 && master && others == 0, true
}
