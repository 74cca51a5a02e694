package batch

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/cmd/internal/runctl"
)

// NewDisplay returns the batch's progress display on out: live bars on a
// terminal (an overall bar and one line per running account, failures
// printed above them as they happen), plain lines otherwise (one when an
// account starts, one when it ends).
func NewDisplay(out io.Writer) fleet.Observer {
	if f, ok := runctl.Terminal(out); ok {
		return newBarsDisplay(f)
	}
	return &lines{out: out, accts: map[int]fleet.Account{}}
}

// lines is the display for a log or a pipe.
type lines struct {
	out   io.Writer
	mu    sync.Mutex
	accts map[int]fleet.Account
	total int
	ended int
}

func (d *lines) Planned(accts []fleet.Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range accts {
		d.accts[a.Index] = a
	}
	d.total = len(accts)
	fmt.Fprintf(d.out, "Batch of %d accounts\n", len(accts))
}

func (d *lines) Started(i int, _ string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accts[i]
	fmt.Fprintf(d.out, "start  line %d: %s -> %s\n", a.Line, a.User1, a.User2)
}

func (d *lines) Progress(int, fleet.Counts)  {}
func (d *lines) Appended(int, time.Duration) {}
func (d *lines) Connections(string, int)     {}

func (d *lines) Finished(i int, r fleet.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ended++
	a := d.accts[i]
	fmt.Fprintf(d.out, "[%d/%d] line %d: %s -> %s: %s\n", d.ended, d.total, a.Line, a.User1, a.User2, outcome(r))
}

// outcome says how an account ended, in a few words.
func outcome(r fleet.Result) string {
	s := fmt.Sprintf("%s (exit %d), %d copied", r.Status, r.ExitCode, r.Counts.Copied)
	if r.Status == fleet.Done {
		return "done already (its last run ended 0), skipped"
	}
	if r.Counts.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Counts.Errors)
	}
	if r.Duration > 0 {
		s += fmt.Sprintf(", %s", r.Duration.Round(100*time.Millisecond))
	}
	if r.FirstError != "" {
		s += ": " + clip(r.FirstError, 160)
	}
	return s
}

// barsDisplay is the display on a terminal.
type barsDisplay struct {
	p     *mpb.Progress
	out   *os.File
	mu    sync.Mutex
	accts map[int]fleet.Account
	bars  map[int]*mpb.Bar
	total *mpb.Bar
	n     int
	ended atomic.Int64
	msgs  atomic.Int64
	bytes atomic.Int64
	start time.Time
	// seen is each running account's counts last reported, to add the
	// difference to the totals.
	seen map[int]fleet.Counts
}

func newBarsDisplay(f *os.File, opts ...mpb.ContainerOption) *barsDisplay {
	return &barsDisplay{
		p:     mpb.New(append([]mpb.ContainerOption{mpb.WithOutput(f), mpb.WithWidth(30), mpb.WithRefreshRate(200 * time.Millisecond)}, opts...)...),
		out:   f,
		accts: map[int]fleet.Account{},
		bars:  map[int]*mpb.Bar{},
		seen:  map[int]fleet.Counts{},
		start: time.Now(),
	}
}

func (d *barsDisplay) Planned(accts []fleet.Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range accts {
		d.accts[a.Index] = a
	}
	d.n = len(accts)
	d.total = d.p.AddBar(int64(len(accts)),
		mpb.BarPriority(1<<30),
		mpb.PrependDecorators(
			decor.Name("accounts ", decor.WC{W: 9}),
			decor.CountersNoUnit("%d/%d", decor.WC{W: 10}),
		),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				secs := time.Since(d.start).Seconds()
				return fmt.Sprintf("%d msgs  %s  %.0f msg/s  %s/s", d.msgs.Load(), size(d.bytes.Load()),
					float64(d.msgs.Load())/max(secs, 0.001), size(int64(float64(d.bytes.Load())/max(secs, 0.001))))
			}),
			decor.Name("  ETA "),
			decor.AverageETA(decor.ET_STYLE_MMSS),
		))
}

func (d *barsDisplay) Started(i int, _ string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accts[i]
	name := clip(fmt.Sprintf("%d %s", a.Line, a.User1), 24)
	d.bars[i] = d.p.AddBar(0, mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(name, decor.WC{W: 26, C: decor.DindentRight}), decor.Percentage(decor.WC{W: 5})),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f")))
}

func (d *barsDisplay) Progress(i int, c fleet.Counts) {
	d.mu.Lock()
	prev := d.seen[i]
	d.seen[i] = c
	bar := d.bars[i]
	d.mu.Unlock()
	d.msgs.Add(c.Copied - prev.Copied)
	d.bytes.Add(c.Bytes - prev.Bytes)
	if bar != nil {
		if c.BytesTotal > 0 {
			bar.SetTotal(c.BytesTotal, false)
		}
		bar.SetCurrent(c.Bytes)
	}
}

func (d *barsDisplay) Appended(int, time.Duration) {}
func (d *barsDisplay) Connections(string, int)     {}

func (d *barsDisplay) Finished(i int, r fleet.Result) {
	d.mu.Lock()
	bar := d.bars[i]
	delete(d.bars, i)
	delete(d.seen, i)
	a := d.accts[i]
	total := d.total
	d.mu.Unlock()
	if bar != nil {
		bar.SetTotal(-1, true)
	}
	if r.Status != fleet.OK && r.Status != fleet.Done {
		fmt.Fprintf(d.p, "line %d: %s -> %s: %s\n", a.Line, a.User1, a.User2, outcome(r))
	}
	d.ended.Add(1)
	if total != nil {
		total.Increment()
	}
}

// Close ends the display.
func (d *barsDisplay) Close() {
	d.mu.Lock()
	left := d.bars
	d.bars = map[int]*mpb.Bar{}
	total := d.total
	d.mu.Unlock()
	for _, b := range left {
		b.SetTotal(-1, true)
	}
	if total != nil {
		total.SetTotal(-1, true)
	}
	d.p.Wait()
}

// Close ends a display NewDisplay returned (the bars' last refresh); call
// it before printing below them.
func Close(display fleet.Observer) {
	if c, ok := display.(interface{ Close() }); ok {
		c.Close()
	}
}
