package report

import (
	"bytes"
	"fmt"
	"time"
)

// EmailReport is the final report of a run as a message to append into
// an INBOX (--emailreport1, --emailreport2).
type EmailReport struct {
	User1, Host1 string // the source account
	User2, Host2 string // the destination account
	To           string // the To: header
	Hostname     string // this machine, in From: and Message-Id:
	Date         time.Time
	Stats        Snapshot // with its Errors count set
	Errors       *Errors  // listed after the statistics when not empty; may be nil
}

// Message renders the report as a plain-text RFC 5322 message with CRLF
// line ends: the statistics block, then the error listing.
func (r EmailReport) Message() []byte {
	var body bytes.Buffer
	WriteStatistics(&body, r.Stats, StatsOptions{System: SampleSystem()})
	n := 0
	if r.Errors != nil {
		n = r.Errors.Count()
	}
	if n > 0 {
		r.Errors.WriteListing(&body)
	}
	var m bytes.Buffer
	fmt.Fprintf(&m, "From: imapshift <imapshift@%s>\r\n", r.Hostname)
	fmt.Fprintf(&m, "To: %s\r\n", r.To)
	fmt.Fprintf(&m, "Subject: [imapshift] %s on %s to %s on %s: %d errors\r\n", r.User1, r.Host1, r.User2, r.Host2, n)
	fmt.Fprintf(&m, "Date: %s\r\n", r.Date.Format(time.RFC1123Z))
	fmt.Fprintf(&m, "Message-Id: <imapshift-report-%d@%s>\r\n", r.Date.UnixNano(), r.Hostname)
	m.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	m.Write(bytes.ReplaceAll(body.Bytes(), []byte("\n"), []byte("\r\n")))
	return m.Bytes()
}
