package imapmem

import (
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Answers real servers send when they throttle, limit or refuse, spelt
// exactly as those servers spell them, for RefuseCommand,
// RefuseCommandThenDrop, LimitConnections and PoisonMessage.

// Office365Throttled is Exchange Online's refusal of a throttled mailbox:
//
//	NO Request is throttled. Suggested Backoff Time: 299609 milliseconds
//
// backoff is rounded down to milliseconds. Exchange sends it in answer to
// any command (APPEND, FETCH, SELECT, LOGIN) and often drops the
// connection afterwards: use RefuseCommandThenDrop for that.
func Office365Throttled(backoff time.Duration) *imap.Error {
	return &imap.Error{
		Type: imap.StatusResponseTypeNo,
		Text: "Request is throttled. Suggested Backoff Time: " + strconv.FormatInt(backoff.Milliseconds(), 10) + " milliseconds",
	}
}

// Office365NotConnected is Exchange Online's
//
//	BAD User is authenticated but not connected.
//
// It answers the first command after a successful LOGIN when the session
// cannot reach the mailbox (wrong mailbox permissions, an OAuth token
// problem, or too many connections opened and closed in a short time).
func Office365NotConnected() *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "User is authenticated but not connected."}
}

// Office365ServerUnavailable is Exchange's refusal of an APPEND it cannot
// store (over quota, message too big, a line too long):
//
//	NO Server Unavailable. 15
func Office365ServerUnavailable() *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Server Unavailable. 15"}
}

// Office365CommandArgumentError is Exchange's
//
//	BAD Command Argument Error. 11
//
// sent for an APPEND it cannot parse or store, like Server Unavailable.
func Office365CommandArgumentError() *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Command Argument Error. 11"}
}

// GmailTooManyConnections is Gmail's refusal of a login beyond its
// per-account connection limit, for LimitConnections:
//
//	NO [UNAVAILABLE] Too many simultaneous connections
func GmailTooManyConnections() *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Too many simultaneous connections"}
}

// GmailTooBig is the Gmail personality's refusal of an APPEND over
// GmailMaxMessage:
//
//	NO [TOOBIG] Message too large
func GmailTooBig() *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: "TOOBIG", Text: "Message too large"}
}

// TooManyConnectionsBye is the text of the "* BYE Too many connections"
// greeting that servers send instead of "* OK" when a client has too many
// connections open, for RefuseGreetings and LimitGreetings.
const TooManyConnectionsBye = "Too many connections"
