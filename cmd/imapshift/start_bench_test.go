package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/cmd/internal/config"
)

// BenchmarkStartToSettings is the start-up's work from the command line
// to the Settings of a sync (the command tree, binding the running
// command's options, parsing): what precedes the logins begun ahead
// (config.Settings.DialAhead).
func BenchmarkStartToSettings(b *testing.B) {
	args := strings.Fields("--host1 127.0.0.1 --port1 44197 --user1 user1 --password1 secret1 --notls1 --host2 127.0.0.1 --port2 42509 --user2 user1 --password2 secret1 --notls2 --parallel 4 --nolog")
	b.ReportAllocs()
	for b.Loop() {
		a := newApp(strings.NewReader(""), io.Discard, io.Discard)
		a.intercept = func(*config.Settings) error { return nil }
		if err := a.execute(context.Background(), args); err != nil {
			b.Fatal(err)
		}
	}
}
