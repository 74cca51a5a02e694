package engine

import (
	"time"

	"github.com/imapshift/imapshift/core/conn"
)

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
	w.dropConn(s)
}

// maxExpiries bounds the token ends one operation may meet without using
// up a --reconnectretry (a token outlives many operations: more means
// something else is wrong).
const maxExpiries = 5

// expiredNow tells whether err ended side s's session for an expired
// token and calls for an immediate reconnection. Exchange Online's "User
// is authenticated but not connected" also means too much connection
// churn: when it ends the same kind of connection (folder work, or APPEND
// when appender is set) again within a second, it is left to the
// throttling backoff. (A worker's two connections to a side log in with
// the same token, so they expire together.)
func (w *worker) expiredNow(s side, appender bool, err error) bool {
	if !w.e.tokenEnded(s, err) {
		return false
	}
	slot := int(s)
	if appender {
		slot = 2
	}
	now := time.Now()
	if _, throttle := conn.IsThrottle(err); throttle && now.Sub(w.expiredAt[slot]) < time.Second {
		return false
	}
	w.expiredAt[slot] = now
	return true
}
