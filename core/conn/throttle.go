package conn

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
)

// NotConnectedBackoff is the wait advised for Exchange Online's
// "BAD User is authenticated but not connected.", which suggests none:
// the session could not reach the mailbox, usually because the account
// opened and closed too many connections in a short time.
const NotConnectedBackoff = 10 * time.Second

// DefaultThrottleBackoff is the wait advised for a throttling answer that
// names no backoff time.
const DefaultThrottleBackoff = 30 * time.Second

var backoffRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)suggested backoff time:\s*(\d+)\s*(milliseconds|ms|seconds|s)?`)
}) // compiled when first needed, not at every start

// IsThrottle tells whether err is a server asking the client to slow
// down rather than refusing what was asked, and how long it suggests to
// wait. It recognises, in the tagged answer of any command (LOGIN and
// APPEND included, from go-imap's client, from the Appender or from the
// login phase):
//
//	NO [...] Request is throttled. Suggested Backoff Time: 299609 milliseconds
//	BAD User is authenticated but not connected.
//
// The first gives its suggested time (DefaultThrottleBackoff when it names
// none), the second NotConnectedBackoff. The command was not carried out:
// a throttled APPEND stored nothing and is to be sent again after the
// wait.
func IsThrottle(err error) (backoff time.Duration, ok bool) {
	text, ok := statusText(err)
	if !ok {
		return 0, false
	}
	lower := strings.ToLower(text)
	switch {
	case strings.Contains(lower, "request is throttled"):
		if m := backoffRE().FindStringSubmatch(text); m != nil {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err == nil {
				unit := time.Millisecond
				if u := strings.ToLower(m[2]); u == "seconds" || u == "s" {
					unit = time.Second
				}
				if n > int64(24*time.Hour/unit) {
					n = int64(24 * time.Hour / unit)
				}
				return time.Duration(n) * unit, true
			}
		}
		return DefaultThrottleBackoff, true
	case strings.Contains(lower, "user is authenticated but not connected"):
		return NotConnectedBackoff, true
	}
	return 0, false
}

// IsConnLimit tells whether err is a server refusing a connection because
// the account (or the client's address) already has as many as it
// allows, rather than refusing the credentials. It recognises Gmail's
// "NO [UNAVAILABLE] Too many simultaneous connections", a greeting
// "* BYE Too many connections", Dovecot's "NO [UNAVAILABLE] Maximum number
// of connections from user+IP exceeded (mail_max_userip_connections=N)",
// and the LIMIT response code with such wording.
func IsConnLimit(err error) bool {
	if err == nil {
		return false
	}
	text := strings.ToLower(err.Error())
	if st, ok := statusText(err); ok {
		text = strings.ToLower(st)
	}
	return strings.Contains(text, "too many simultaneous connections") ||
		strings.Contains(text, "too many connections") ||
		strings.Contains(text, "maximum number of connections") ||
		strings.Contains(text, "mail_max_userip_connections") ||
		strings.Contains(text, "too many concurrent connections")
}

// statusText returns the text of the server's NO, BAD or BYE carried by
// err, whichever layer produced it.
func statusText(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Text, true
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		t := ie.Text
		if ie.Code != "" {
			t = "[" + string(ie.Code) + "] " + t
		}
		return t, true
	}
	var re *statusError
	if errors.As(err, &re) {
		return re.Text, true
	}
	return "", false
}

// ThrottleError is the result of an APPEND the server answered with a
// throttling NO or BAD (see IsThrottle). The message was not stored.
// errors.Is(err, ErrOutcomeUnknown) holds for it so that a caller which
// only knows lost outcomes checks host2 and sends the message again
// rather than reporting a refusal; IsThrottle gives the suggested wait.
type ThrottleError struct {
	Status *StatusError
}

func (e *ThrottleError) Error() string { return e.Status.Error() }

// Unwrap exposes the server's answer and ErrOutcomeUnknown.
func (e *ThrottleError) Unwrap() []error { return []error{e.Status, ErrOutcomeUnknown} }
