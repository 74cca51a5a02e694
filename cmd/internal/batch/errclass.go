package batch

import (
	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/report"
)

// Failed counts an error of the account's run (engine.ErrorObserver) and
// tells the batch's Observer, with its class when it wants it
// (fleet.ErrorObserver).
func (w *accountWatch) Failed(class report.Class) {
	w.mu.Lock()
	w.c.Errors++
	c := w.c
	w.mu.Unlock()
	if eo, ok := w.obs.(fleet.ErrorObserver); ok {
		eo.ErrorClass(w.index, string(class))
	}
	w.obs.Progress(w.index, c)
}

// ErrorClass passes an error's class on to the Observers that want it.
func (f Fanout) ErrorClass(index int, class string) {
	for _, o := range f {
		if eo, ok := o.(fleet.ErrorObserver); ok {
			eo.ErrorClass(index, class)
		}
	}
}

var (
	_ engine.ErrorObserver = (*accountWatch)(nil)
	_ fleet.ErrorObserver  = Fanout(nil)
)
