package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestHost1DuplicateNamed: a host1 message skipped as a duplicate of
// another is named with both UIDs; one of a different size is said to be
// probably distinct.
func TestHost1DuplicateNamed(t *testing.T) {
	p := newPair(t)
	a := []byte("Message-ID: <same@x>\r\nSubject: a\r\n\r\nfirst\r\n")
	b := []byte("Message-ID: <same@x>\r\nSubject: a\r\n\r\nfirst\r\n")
	c := []byte("Message-ID: <same@x>\r\nSubject: c\r\n\r\na longer and different body\r\n")
	p.u1.Seed("INBOX", imapmem.Message{Raw: a}, imapmem.Message{Raw: b}, imapmem.Message{Raw: c})
	var out bytes.Buffer
	res := run(t, p.options(t, &out))
	if res.Errors.Count() != 0 || res.Transferred != 1 || res.DupHost1 != 2 {
		t.Fatalf("errors %v, transferred %d, host1 duplicates %d\n%s", res.Errors.Records(), res.Transferred, res.DupHost1, out.String())
	}
	for _, want := range []string{
		"Host1: msg INBOX/2 is a duplicate of INBOX/1 (same Message-Id and Received headers, same size 43): skipped\n",
		"Host1: msg INBOX/3 is a duplicate of INBOX/1 (same Message-Id and Received headers, sizes 65 and 43): skipped; it is probably a distinct message, which --syncduplicates would copy\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q in:\n%s", want, out.String())
		}
	}
}
