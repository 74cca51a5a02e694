package conn

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

func TestIsThrottle(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want time.Duration
		ok   bool
	}{
		{"go-imap NO", imapmem.Office365Throttled(299609 * time.Millisecond), 299609 * time.Millisecond, true},
		{"Appender NO with a code", &StatusError{Status: "NO", Code: "UNAVAILABLE", Text: "[UNAVAILABLE] Request is throttled. Suggested Backoff Time: 1500 milliseconds"}, 1500 * time.Millisecond, true},
		{"wrapped ThrottleError", fmt.Errorf("x: %w", &ThrottleError{Status: &StatusError{Status: "NO", Text: "Request is throttled. Suggested Backoff Time: 42 milliseconds"}}), 42 * time.Millisecond, true},
		{"login phase", &Error{Stage: StageAuth, Side: 2, Err: &statusError{"NO", "Request is throttled. Suggested Backoff Time: 7 milliseconds"}}, 7 * time.Millisecond, true},
		{"no time given", &StatusError{Status: "NO", Text: "Request is throttled."}, DefaultThrottleBackoff, true},
		{"not connected", imapmem.Office365NotConnected(), NotConnectedBackoff, true},
		{"plain refusal", imapmem.Office365ServerUnavailable(), 0, false},
		{"connection error", errors.New("Request is throttled. Suggested Backoff Time: 5 milliseconds"), 0, false},
		{"nil", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := IsThrottle(tc.err)
			if d != tc.want || ok != tc.ok {
				t.Fatalf("IsThrottle = %v, %v; want %v, %v", d, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestIsConnLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"Gmail", &Error{Stage: StageAuth, Side: 2, Err: &statusError{"NO", "[UNAVAILABLE] Too many simultaneous connections"}}, true},
		{"go-imap Gmail", imapmem.GmailTooManyConnections(), true},
		{"BYE greeting", &Error{Stage: StageConnect, Side: 2, Err: errors.New("server refused the connection: BYE " + imapmem.TooManyConnectionsBye)}, true},
		{"Dovecot", &Error{Stage: StageAuth, Side: 2, Err: &statusError{"NO", "[UNAVAILABLE] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=3)"}}, true},
		{"bad password", &Error{Stage: StageAuth, Side: 2, Err: &statusError{"NO", "[AUTHENTICATIONFAILED] Authentication failed."}}, false},
		{"throttled", &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Request is throttled."}, false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsConnLimit(tc.err); got != tc.want {
				t.Fatalf("IsConnLimit = %v, want %v", got, tc.want)
			}
		})
	}
}
