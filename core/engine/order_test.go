package engine

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// events records the Progress calls as "start F" and "done F".
type events struct {
	mu  sync.Mutex
	got []string
}

func (ev *events) Start(int, int64) {}
func (ev *events) FolderStart(f string, _ int, _ int64) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.got = append(ev.got, "start "+f)
}
func (ev *events) FolderDone(f string) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.got = append(ev.got, "done "+f)
}
func (ev *events) Copied(string, int64) {}

// TestFolderFirstAndLastWithParallel: with parallel workers, the
// --folderfirst folder is analysed and copied before the others start,
// and the --folderlast folder only after they have ended.
func TestFolderFirstAndLastWithParallel(t *testing.T) {
	for range 3 { // the order must hold every time, not by luck
		p := newPair(t)
		for _, box := range []string{"Archive", "INBOX", "Zeta"} {
			seedN(t, p.u1, box, 30, 2000)
		}
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.Parallel = 4
		opts.Selection.FolderFirst = []string{"Zeta"}
		opts.Selection.FolderLast = []string{"INBOX"}
		ev := &events{}
		opts.Progress = ev
		res := run(t, opts)
		if res.Errors.Count() != 0 || res.Transferred != 90 {
			t.Fatalf("errors %v, transferred %d\n%s", res.Errors.Records(), res.Transferred, out.String())
		}
		var printed []string
		for _, m := range regexp.MustCompile(`(?m)^Folder +(\d+/3) +\[(\S+)\]`).FindAllStringSubmatch(out.String(), -1) {
			printed = append(printed, m[1]+" "+m[2])
		}
		if want := []string{"1/3 Zeta", "2/3 Archive", "3/3 INBOX"}; !slices.Equal(printed, want) {
			t.Fatalf("folders printed as %v, want %v\n%s", printed, want, out.String())
		}
		if want := []string{"start Zeta", "done Zeta", "start Archive", "done Archive", "start INBOX", "done INBOX"}; !slices.Equal(ev.got, want) {
			t.Fatalf("copy order %v, want %v", ev.got, want)
		}
		// The copied lines follow the same order.
		var copied []string
		for _, line := range strings.Split(out.String(), "\n") {
			var box string
			if _, err := fmt.Sscanf(line, "msg %s", &box); err == nil && strings.Contains(line, " copied to ") {
				box = box[:strings.IndexByte(box, '/')]
				if len(copied) == 0 || copied[len(copied)-1] != box {
					copied = append(copied, box)
				}
			}
		}
		if want := []string{"Zeta", "Archive", "INBOX"}; !slices.Equal(copied, want) {
			t.Fatalf("copied lines in folder runs %v, want %v", copied, want)
		}
	}
}
