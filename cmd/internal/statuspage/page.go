package statuspage

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
)

//go:embed page.html
var pageSource string

// RefreshSeconds is how often the page reloads itself while the run goes
// on.
const RefreshSeconds = 5

// page is the page's template, parsed at its first use rather than at
// each start of the program.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"size":     humanBytes,
		"duration": humanDuration,
		"pct":      func(p float64) string { return fmt.Sprintf("%.1f", p) },
		"num":      func(f float64) string { return fmt.Sprintf("%.1f", f) },
		"refresh":  func() int { return RefreshSeconds },
		"class":    func(s string) string { return strings.ReplaceAll(s, " ", "-") },
		"clock":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"bps":      func(r float64) string { return humanBytes(int64(r)) + "/s" },
	}).Parse(pageSource))
})

// MaxRows bounds the account rows of the page: a batch of thousands of
// accounts shows its running accounts and its failures first, then the
// latest to end, then the queued, and says how many rows it left out
// (/api/status has them all).
const MaxRows = 300

// pageData is what the page template gets.
type pageData struct {
	Status
	Rows    []AccountStatus
	Omitted int
}

// renderPage writes the status page of st.
func renderPage(w io.Writer, st Status) error {
	return page().Execute(w, pageData{Status: st, Rows: pageRows(st.Accounts, MaxRows), Omitted: max(len(st.Accounts)-MaxRows, 0)})
}

// pageRows returns accounts in file order when they are at most max,
// else the max most telling ones: running, ended badly, ended (the
// latest first), queued.
func pageRows(accounts []AccountStatus, max int) []AccountStatus {
	if len(accounts) <= max {
		return accounts
	}
	rank := func(a AccountStatus) int {
		switch a.State {
		case fleet.Running:
			return 0
		case fleet.Errors, fleet.LoginFailed, fleet.Failed:
			return 1
		case fleet.Queued:
			return 3
		}
		return 2
	}
	rows := slices.Clone(accounts)
	sort.SliceStable(rows, func(i, j int) bool {
		ri, rj := rank(rows[i]), rank(rows[j])
		if ri != rj {
			return ri < rj
		}
		return ri == 2 && rows[i].ended.After(rows[j].ended)
	})
	return rows[:max]
}

// humanBytes is n in B, KiB, MiB or GiB, as the terminal's progress bars
// show it.
func humanBytes(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	default:
		return fmt.Sprintf("%.2f GiB", float64(n)/(k*k*k))
	}
}

// humanDuration is seconds as 1h02m03s, 2m03s or 3.2s.
func humanDuration(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	}
}
