package engine

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/report"
)

// classOf returns the class of an error met while doing what base names
// (report.ClassAppend for an APPEND, report.ClassSelect for a SELECT...),
// refined by the error itself:
//   - a failed login or TLS negotiation on a reconnection is classed as
//     such, whatever was being done;
//   - a server refusing for lack of space (the OVERQUOTA response code or
//     the quota wording of known servers) is ERR_OVERQUOTA, except for
//     host1 FETCH failures;
//   - an APPEND refused for its size (TOOBIG, or the size wording of known
//     servers) is ERR_APPEND_SIZE, one refused by an antivirus
//     ERR_APPEND_VIRUS.
//
// Only the server's answer is read here, never the line the engine prints.
func classOf(base report.Class, err error) report.Class {
	switch c := report.ClassOf(err); c {
	case report.ClassAuthUser1, report.ClassAuthUser2, report.ClassTLS:
		return c
	}
	if err == nil || base == report.ClassFetch {
		return base
	}
	code := responseCode(err)
	text := strings.ToLower(err.Error())
	if base == report.ClassAppend && (code == imap.ResponseCodeTooBig ||
		strings.Contains(text, "maximum message size exceeded") ||
		strings.Contains(text, "maximum size of appendable message has been exceeded")) {
		return report.ClassAppendSize
	}
	if code == imap.ResponseCodeOverQuota || strings.Contains(text, "overquota") ||
		strings.Contains(text, "quota limit will be exceeded") || strings.Contains(text, "full: it is time to find a bigger place") {
		return report.ClassOverQuota
	}
	if base == report.ClassAppend && strings.Contains(text, "virus") {
		return report.ClassAppendVirus
	}
	return base
}

// responseCode returns the response code of a server's NO or BAD answer
// (from go-imap's client or from the Appender), "" when err carries none.
func responseCode(err error) imap.ResponseCode {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Code
	}
	var se *conn.StatusError
	if errors.As(err, &se) {
		return imap.ResponseCode(se.Code)
	}
	return ""
}
