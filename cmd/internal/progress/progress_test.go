package progress

import (
	"strings"
	"testing"
	"time"
)

func TestBackoffCountdown(t *testing.T) {
	b := &bars{}
	if got := b.backoffText(); got != "" {
		t.Fatalf("no backoff: %q", got)
	}
	b.Backoff("Host2", 90*time.Second, "Request is throttled")
	if got := b.backoffText(); !strings.Contains(got, "Host2 asks to back off: 1m30s left") {
		t.Errorf("countdown %q", got)
	}
	b.Backoff("Host2", 0, "")
	if got := b.backoffText(); got != "" {
		t.Errorf("after the backoff: %q", got)
	}
}
