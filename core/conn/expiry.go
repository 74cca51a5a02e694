package conn

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// TokenExpired tells whether err is how a server ends or refuses the
// commands of a session whose OAuth2 token has expired, so that the
// caller reconnects with a fresh token rather than fail the work:
//
//   - Gmail: "* BYE" (any, e.g. "Session expired, please login again.")
//     or a tagged "NO [AUTHENTICATIONFAILED] Invalid credentials";
//   - Exchange Online: "* BYE Session invalidated - AccessTokenExpired", or
//     the next command failing with "BAD User is authenticated but not
//     connected." (or NO [AUTHENTICATIONFAILED]).
//
// It looks at the answer only: the caller must know that the session was
// opened with a token (Config.UsesOAuth), since the same answers from a
// password session mean something else.
func TokenExpired(err error) bool {
	if err == nil {
		return false
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return expiredAnswer(string(ie.Type), string(ie.Code), ie.Text)
	}
	var se *StatusError
	if errors.As(err, &se) {
		return expiredAnswer(se.Status, se.Code, se.Text)
	}
	// The Appender reports a BYE as a closed connection with its text.
	return strings.Contains(err.Error(), "AccessTokenExpired")
}

func expiredAnswer(status, code, text string) bool {
	status = strings.ToUpper(status)
	lower := strings.ToLower(text)
	switch {
	case status == "BYE":
		return true
	case strings.EqualFold(code, "AUTHENTICATIONFAILED"):
		return true
	case strings.Contains(lower, "authenticated but not connected"), strings.Contains(text, "AccessTokenExpired"):
		return true
	}
	return false
}
