package batch

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
)

func feed(d fleet.Observer) {
	d.Planned([]fleet.Account{{Index: 0, Line: 2, User1: "joe", User2: "joe2"}, {Index: 1, Line: 3, User1: "ann", User2: "ann2"}})
	d.Started(0, "joe.log")
	d.Started(1, "ann.log")
	d.Progress(0, fleet.Counts{MessagesTotal: 2, BytesTotal: 2000})
	d.Progress(0, fleet.Counts{MessagesTotal: 2, BytesTotal: 2000, Copied: 1, Bytes: 1000})
	d.Finished(1, fleet.Result{Status: fleet.LoginFailed, ExitCode: 161, FirstError: "Host1 failure: Error login", Duration: time.Second})
	d.Progress(0, fleet.Counts{MessagesTotal: 2, BytesTotal: 2000, Copied: 2, Bytes: 2000})
	d.Finished(0, fleet.Result{Status: fleet.OK, Counts: fleet.Counts{Copied: 2, Bytes: 2000}, Duration: 2 * time.Second})
	Close(d)
}

// TestDisplayLines: without a terminal, a line per account started and
// ended, failures with their reason.
func TestDisplayLines(t *testing.T) {
	var b bytes.Buffer
	feed(NewDisplay(&b))
	for _, want := range []string{
		"Batch of 2 accounts",
		"start  line 2: joe -> joe2",
		"[1/2] line 3: ann -> ann2: login failed (exit 161), 0 copied, 1s: Host1 failure: Error login",
		"[2/2] line 2: joe -> joe2: ok (exit 0), 2 copied, 2s",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

// TestDisplayBars drives the terminal display (written to a file here):
// the overall bar and the failure printed above it.
func TestDisplayBars(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "tty"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feed(newBarsDisplay(f, mpb.WithAutoRefresh())) // rendered although f is no terminal
	b, _ := os.ReadFile(f.Name())
	for _, want := range []string{"accounts", "2/2", "2 msgs", "line 3: ann -> ann2: login failed (exit 161)"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("output lacks %q:\n%s", want, b)
		}
	}
}
