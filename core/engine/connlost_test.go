package engine

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestConnLost checks which errors make a worker drop its connection and
// try again on a new one.
func TestConnLost(t *testing.T) {
	for _, tc := range []struct {
		err  error
		lost bool
	}{
		{nil, false},
		{io.EOF, true},
		{fmt.Errorf("fetch: %w", io.ErrUnexpectedEOF), true},
		{&imap.Error{Type: imap.StatusResponseTypeBye, Text: "shutting down"}, true},
		{&imap.Error{Type: imap.StatusResponseTypeNo, Text: "Try later"}, false},
		// go-imap's reader, after a cut in the middle of a body literal
		// with two body FETCHes in flight (seen in CI).
		{errors.New("in response-data: imapwire: cannot decode while a literal is open"), true},
		{errors.New("write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe"), true},
		{errors.New("message refused"), false},
	} {
		if got := connLost(tc.err); got != tc.lost {
			t.Errorf("connLost(%v) = %v, want %v", tc.err, got, tc.lost)
		}
	}
}
