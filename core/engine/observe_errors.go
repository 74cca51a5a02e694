package engine

import "github.com/imapshift/imapshift/core/report"

// ErrorObserver is an optional extension of Observer: an Observer that
// implements it is told the class of each error the run counts, when it
// is counted (errors reported after --errorsmax stopped the run are not
// counted, and not told). Like Observer's, its calls come from several
// goroutines and must not block.
type ErrorObserver interface {
	Failed(class report.Class)
}

// errorCounted tells the observer, if it wants to know, of an error of
// class c.
func (e *engine) errorCounted(c report.Class) {
	if o, ok := e.opts.Observer.(ErrorObserver); ok {
		if c == "" {
			c = report.ClassUnclassified
		}
		o.Failed(c)
	}
}
