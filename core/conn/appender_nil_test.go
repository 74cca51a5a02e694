package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// TestNilAppenderIsSafe calls every method that cleanup paths use on a
// nil *Appender: none panics, Close succeeds and the others report
// ErrNoAppender.
func TestNilAppenderIsSafe(t *testing.T) {
	var a *Appender
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := a.Err(); !errors.Is(err, ErrNoAppender) {
		t.Errorf("Err: %v", err)
	}
	if a.Multi() {
		t.Error("Multi is true")
	}
	called := false
	err := a.Append("INBOX", nil, time.Time{}, 1, strings.NewReader("x"), func(AppendResult) { called = true })
	if !errors.Is(err, ErrNoAppender) || called {
		t.Errorf("Append: %v, done called %v", err, called)
	}
}

// TestDialAppenderOverConnectionLimit opens an appending connection to a
// server that allows one session per user while one is open: DialAppender
// fails with an authentication error and a nil Appender, which the caller
// can close as it would a live one.
func TestDialAppenderOverConnectionLimit(t *testing.T) {
	srv := imapmem.StartT(t, imapmem.Options{})
	srv.AddUser("bob", "pw-bob")
	srv.Faults().LimitConnections(1, &imap.Error{Type: imap.StatusResponseTypeNo, Code: "UNAVAILABLE", Text: "Too many simultaneous connections"})
	cfg := &Config{Side: 2, Host: srv.Host(), Port: srv.Port(), Mode: TLSNone, User: "bob", Password: "pw-bob", Timeout: 10 * time.Second}
	first, err := DialAppender(context.Background(), cfg)
	if err != nil {
		t.Fatalf("first connection: %v", err)
	}
	defer first.Close()
	second, err := DialAppender(context.Background(), cfg)
	if err == nil {
		t.Fatal("second connection was accepted")
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Stage != StageAuth || !strings.Contains(err.Error(), "[UNAVAILABLE] Too many simultaneous connections") {
		t.Errorf("error: %v", err)
	}
	if second != nil {
		t.Fatalf("DialAppender returned an Appender with its error")
	}
	if err := second.Close(); err != nil {
		t.Errorf("Close of the failed Appender: %v", err)
	}
	if first.Err() != nil {
		t.Errorf("first connection broken: %v", first.Err())
	}
}
