package batch

import (
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/report"
)

// classRecorder is an Observer that wants error classes.
type classRecorder struct {
	nopObserver
	mu      sync.Mutex
	classes []string
	counts  fleet.Counts
	hosts   map[string]int
}

func (c *classRecorder) ErrorClass(index int, class string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.classes = append(c.classes, class)
}

func (c *classRecorder) Progress(index int, n fleet.Counts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = n
}

func (c *classRecorder) Connections(host string, open int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts[host] = open
}

// TestErrorsReachTheObserver: an account's errors reach an Observer
// wanting their class through a Fanout (which must not hide it), and
// count in its progress; connections are named host:port in lower case,
// as the connection budget names them.
func TestErrorsReachTheObserver(t *testing.T) {
	rec := &classRecorder{hosts: map[string]int{}}
	obs := Fanout{nopObserver{}, rec}
	w := &accountWatch{index: 3, obs: obs, conns: &connCount{obs: obs, open: map[string]int{}}}
	w.Start(10, 1000)
	w.Failed(report.ClassAppend)
	w.Failed(report.ClassFlags)
	w.Connections("IMAP.Example.org:993", 1)
	w.Connections("imap.example.org:993", 1)
	w.Appended(time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.classes) != 2 || rec.classes[0] != "ERR_APPEND" || rec.classes[1] != "ERR_FLAGS" {
		t.Errorf("classes told: %v", rec.classes)
	}
	if rec.counts.Errors != 2 || rec.counts.MessagesTotal != 10 {
		t.Errorf("counts told: %+v", rec.counts)
	}
	if len(rec.hosts) != 1 || rec.hosts["imap.example.org:993"] != 2 {
		t.Errorf("connections told: %v", rec.hosts)
	}
}
