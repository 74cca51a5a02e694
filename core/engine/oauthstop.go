package engine

import "github.com/imapshift/imapshift/core/conn"

// OAuth2 access tokens live about an hour, and servers end the sessions
// opened with one when it expires (see conn.TokenExpired for how Gmail and
// Exchange Online say it). A run outlives many tokens: such an end is a
// lost connection like any other, not a failure of the work. The
// connection is reopened, which logs in with a fresh token (the side's
// token source refreshes it), and is counted as a reconnection.

// tokenEnded tells whether err ended side s's session because its OAuth2
// token expired.
func (e *engine) tokenEnded(s side, err error) bool {
	return e.servers[s].cfg.UsesOAuth() && conn.TokenExpired(err)
}

// dropExpired closes w's connection to side s, whose token expired: the
// next use opens a new one.
func (w *worker) dropExpired(s side) {
	if c := w.conns[s]; c != nil {
		c.Close()
		w.conns[s], w.sel[s] = nil, ""
		w.e.servers[s].reconnects.Add(1)
	}
}
