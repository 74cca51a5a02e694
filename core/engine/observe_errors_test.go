package engine

import (
	"bytes"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/report"
)

// classObserver is an Observer that also counts errors by class.
type classObserver struct {
	mu      sync.Mutex
	classes map[report.Class]int
}

func (*classObserver) Appended(time.Duration)  {}
func (*classObserver) Connections(string, int) {}
func (o *classObserver) Failed(c report.Class) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.classes[c]++
}

// TestErrorObserver: an Observer implementing ErrorObserver is told the
// class of every error the run counts, as the run's own records hold
// them: two refused APPENDs and a refused CREATE.
func TestErrorObserver(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 10, 500)
	seedN(t, p.u1, "Archive", 5, 500)
	no := &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Message refused"}
	p.s2.Faults().RefuseCommand("APPEND", 2, no)
	p.s2.Faults().RefuseCommand("CREATE", -1, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Permission denied"})
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 1
	obs := &classObserver{classes: map[report.Class]int{}}
	opts.Observer = obs
	res := run(t, opts)
	want := map[report.Class]int{}
	for _, r := range res.Errors.Records() {
		want[r.Class]++
	}
	if want[report.ClassAppend] == 0 || want[report.ClassCreate] == 0 {
		t.Fatalf("the run did not fail as arranged: %v", res.Errors.Records())
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !maps.Equal(obs.classes, want) {
		t.Errorf("observer told %v, the run recorded %v", obs.classes, want)
	}
}
