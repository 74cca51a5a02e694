package engine

import "time"

// Observer is told what a run does with its connections and APPENDs, for
// a watcher of several runs (a batch's status page and metrics). Calls
// come from several goroutines; implementations must be safe for that and
// must not block. Options.Observer nil: nobody is told.
type Observer interface {
	// Appended reports how long one APPEND (or one MULTIAPPEND batch)
	// took, from its command to the server's answer.
	Appended(d time.Duration)
	// Connections reports that delta connections (+1 opened, -1 closed)
	// to host ("host:port", as conn.Config.Address gives it) changed.
	Connections(host string, delta int)
}

// connOpened and connClosed tell the observer of a connection to side s.
func (e *engine) connOpened(s side) {
	if o := e.opts.Observer; o != nil {
		o.Connections(e.servers[s].cfg.Address(), +1)
	}
}

func (e *engine) connClosed(s side) {
	if o := e.opts.Observer; o != nil {
		o.Connections(e.servers[s].cfg.Address(), -1)
	}
}

// appendTimer returns the function that reports one APPEND's duration,
// to call when its answer arrives.
func (e *engine) appendTimer() func() {
	o := e.opts.Observer
	if o == nil {
		return func() {}
	}
	start := time.Now()
	return func() { o.Appended(time.Since(start)) }
}
