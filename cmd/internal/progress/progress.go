// Package progress is the live progress display of a run on a terminal:
// one bar for the whole run (messages, bytes, rate, ETA) and one per
// folder being copied, with the engine's report lines printed above them.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/imapshift/imapshift/cmd/internal/runctl"
	"github.com/imapshift/imapshift/core/engine"
)

// bars is the live progress display shown on a terminal: one bar for the
// whole run (messages, bytes, rate, ETA) and one per folder being copied.
// The report lines are written through it, above the bars.
type bars struct {
	p      *mpb.Progress
	out    *os.File
	mu     sync.Mutex
	total  *mpb.Bar
	msgs   atomic.Int64
	nmsgs  int
	folder map[string]*mpb.Bar
	// backoff is "Host2 until" while a throttling server's backoff runs.
	backoff atomic.Pointer[backoffState]
}

type backoffState struct {
	host  string
	until time.Time
}

// Backoff shows a countdown on the total bar while a throttling server's
// backoff runs (engine.BackoffProgress).
func (b *bars) Backoff(host string, wait time.Duration, _ string) {
	if wait <= 0 {
		b.backoff.Store(nil)
		return
	}
	b.backoff.Store(&backoffState{host: host, until: time.Now().Add(wait)})
}

// backoffText is the countdown, "" when no backoff runs.
func (b *bars) backoffText() string {
	st := b.backoff.Load()
	if st == nil {
		return ""
	}
	left := time.Until(st.until).Round(time.Second)
	if left <= 0 {
		return ""
	}
	return fmt.Sprintf("  %s asks to back off: %v left", st.host, left)
}

func newBars(f *os.File) *bars {
	return &bars{
		p:      mpb.New(mpb.WithOutput(f), mpb.WithWidth(30), mpb.WithRefreshRate(200*time.Millisecond)),
		out:    f,
		folder: map[string]*mpb.Bar{},
	}
}

// Write prints report lines above the bars, or straight to the terminal
// once the display has ended.
func (b *bars) Write(p []byte) (int, error) {
	if n, err := b.p.Write(p); err == nil {
		return n, nil
	}
	return b.out.Write(p)
}

func (b *bars) Start(msgs int, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nmsgs = msgs
	if msgs == 0 {
		return
	}
	if b.total != nil {
		// A run carried out in groups of folders: the totals grow.
		b.total.SetTotal(bytes, false)
		return
	}
	b.total = b.p.AddBar(bytes,
		mpb.BarPriority(1<<30), // always last
		mpb.PrependDecorators(
			decor.Name("total ", decor.WC{W: 24, C: decor.DindentRight}),
			decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%d/%d msgs", b.msgs.Load(), b.nmsgs) }, decor.WC{W: 18}),
		),
		mpb.AppendDecorators(
			decor.CountersKibiByte("% .1f / % .1f"),
			decor.Name(" "),
			decor.AverageSpeed(decor.SizeB1024(0), "% .1f"),
			decor.Name(" ETA "),
			decor.AverageETA(decor.ET_STYLE_MMSS),
			decor.Any(func(decor.Statistics) string { return b.backoffText() }),
		))
}

func (b *bars) FolderStart(folder string, msgs int, bytes int64) {
	if msgs == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	name := folder
	if len([]rune(name)) > 22 {
		name = string([]rune(name)[:21]) + "…"
	}
	b.folder[folder] = b.p.AddBar(bytes, mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(name, decor.WC{W: 24, C: decor.DindentRight}), decor.Percentage(decor.WC{W: 5})),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f")))
}

func (b *bars) FolderDone(folder string) {
	b.mu.Lock()
	bar := b.folder[folder]
	delete(b.folder, folder)
	b.mu.Unlock()
	if bar != nil {
		bar.SetTotal(-1, true)
	}
}

func (b *bars) Copied(folder string, bytes int64) {
	b.msgs.Add(1)
	b.mu.Lock()
	bar := b.folder[folder]
	total := b.total
	b.mu.Unlock()
	if bar != nil {
		bar.IncrInt64(bytes)
	}
	if total != nil {
		total.IncrInt64(bytes)
	}
}

// close ends the display; report lines written afterwards go straight to
// the terminal.
func (b *bars) close() {
	b.mu.Lock()
	total := b.total
	left := b.folder
	b.folder = map[string]*mpb.Bar{}
	b.mu.Unlock()
	for _, bar := range left {
		bar.SetTotal(-1, true)
	}
	if total != nil {
		total.SetTotal(-1, true)
	}
	b.p.Wait()
}

// Attach routes the engine's output (o.Out, o.Progress) through a live
// display when out is a terminal, and not in dry or folder-only runs; the
// returned function ends the display. out is the writer the runner got:
// the report lines the bars print still reach the run's log file.
func Attach(o *engine.Options, out io.Writer) (end func()) {
	f, ok := runctl.Terminal(out)
	if !ok || o.JustFolders || o.JustFolderSizes || o.Dry {
		return func() {}
	}
	b := newBars(f)
	// The bars print the report lines on the terminal themselves: copy
	// them into the log file here.
	o.Out, o.Progress = runctl.WithLog(b, out), b
	return b.close
}

var _ engine.BackoffProgress = (*bars)(nil)
