package engine

import (
	"bufio"
	"bytes"
	"net/mail"
	"strings"
	"time"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// parseDate reads a Date: header value, tolerating a trailing comment and
// a missing zone.
func parseDate(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := mail.ParseDate(v); err == nil {
		return t, nil
	}
	if i := strings.IndexByte(v, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(v[:i])); err == nil {
			return t, nil
		}
	}
	var err error
	for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05", "2 Jan 2006 15:04:05", "Mon Jan _2 15:04:05 2006"} {
		var t time.Time
		if t, err = time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
