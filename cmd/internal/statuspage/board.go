// Package statuspage is the live status of a run of one or many account
// syncs, served over HTTP while it goes on (--http ADDR): a page for
// people (/), the same data as JSON (/api/status), Prometheus metrics
// (/metrics) and each account's log file (/log/INDEX).
//
// A Board gathers what the run reports (it is a fleet.Observer); the
// server renders a snapshot of it on each request. Nothing shown ever
// holds a secret the Board was told of (AddSecrets).
package statuspage

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// Board is the state of a run as the status page shows it. It implements
// fleet.Observer: its methods are safe for concurrent use and never wait
// for anything but a short lock. The zero value is not usable; use
// NewBoard.
type Board struct {
	mu       sync.Mutex
	now      func() time.Time
	start    time.Time
	accounts []*account
	hosts    map[string]int // connections open per host (host:port)
	secrets  []string
	masker   *strings.Replacer

	append *histogram // APPEND latencies, seconds
}

// account is one account's line on the board.
type account struct {
	fleet.Account
	state            string
	log              string
	counts           fleet.Counts
	started, ended   time.Time
	result           *fleet.Result
	byClass          map[string]int // errors by class reported while running
	conns            map[string]int // connections open per host, this account's
	appends          int64
	appendTotal      time.Duration
	bytesFailedFinal int64
}

// NewBoard returns an empty board; the run's start is now.
func NewBoard() *Board {
	b := &Board{now: time.Now, hosts: map[string]int{}}
	b.start = b.now()
	b.append = newHistogram(appendBuckets)
	return b
}

// AddSecrets adds strings (passwords, tokens) that the page, the JSON
// and the metrics must never show: each is replaced by "*****" wherever
// it would appear. Empty strings are ignored.
func (b *Board) AddSecrets(secrets ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range secrets {
		if s != "" && !slices.Contains(b.secrets, s) {
			b.secrets = append(b.secrets, s)
		}
	}
	// The longest first, so that a secret containing another is masked
	// whole.
	sort.Slice(b.secrets, func(i, j int) bool { return len(b.secrets[i]) > len(b.secrets[j]) })
	pairs := make([]string, 0, 2*len(b.secrets))
	for _, s := range b.secrets {
		pairs = append(pairs, s, Mask)
	}
	b.masker = strings.NewReplacer(pairs...)
}

// Mask is what a secret is replaced with.
const Mask = "*****"

// mask returns s with every secret masked. The caller holds b.mu.
func (b *Board) mask(s string) string {
	if b.masker == nil {
		return s
	}
	return b.masker.Replace(s)
}

// acct returns account i, adding placeholders up to it when the board
// was not told of it by Planned. The caller holds b.mu.
func (b *Board) acct(i int) *account {
	if i < 0 {
		i = 0
	}
	for len(b.accounts) <= i {
		n := len(b.accounts)
		b.accounts = append(b.accounts, &account{Account: fleet.Account{Index: n}, state: fleet.Queued,
			byClass: map[string]int{}, conns: map[string]int{}})
	}
	return b.accounts[i]
}

// Planned sets the accounts of the run, all queued.
func (b *Board) Planned(accounts []fleet.Account) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range accounts {
		ac := b.acct(a.Index)
		ac.Account = a
	}
}

// Started marks account index running; logPath is its log file ("" for
// none), served at /log/INDEX.
func (b *Board) Started(index int, logPath string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.acct(index)
	a.state, a.log, a.started = fleet.Running, logPath, b.now()
}

// Progress sets account index's counts.
func (b *Board) Progress(index int, c fleet.Counts) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acct(index).counts = c
}

// Appended records one APPEND's latency of account index.
func (b *Board) Appended(index int, d time.Duration) {
	b.append.Observe(d.Seconds())
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.acct(index)
	a.appends++
	a.appendTotal += d
}

// Connections sets the connections open to host, all accounts together
// (a batch that counts them itself). Use either Connections or
// AccountConnections for a host, not both.
func (b *Board) Connections(host string, open int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hosts[host] = max(open, 0)
}

// AccountConnections records that account index opened (delta > 0) or
// closed (delta < 0) connections to host; the host's total follows.
func (b *Board) AccountConnections(index int, host string, delta int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.acct(index)
	a.conns[host] = max(a.conns[host]+delta, 0)
	b.hosts[host] = max(b.hosts[host]+delta, 0)
}

// ErrorClass counts one error of class (report's ERR_... name) of
// account index while it runs.
func (b *Board) ErrorClass(index int, class string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acct(index).byClass[class]++
}

// Finished records how account index ended. Its counts become the
// result's; its errors by class the larger of what was counted while it
// ran and what the result says, class by class.
func (b *Board) Finished(index int, r fleet.Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.acct(index)
	r.ErrorsByClass = cloneCounts(r.ErrorsByClass)
	for c, n := range a.byClass {
		r.ErrorsByClass[c] = max(r.ErrorsByClass[c], n)
	}
	if len(r.ErrorsByClass) == 0 {
		// A run that could not start (a login refused, a server out of
		// reach) records no error of its own: its exit code names it.
		if c, ok := startClasses[r.ExitCode]; ok && r.Status != fleet.Done {
			r.ErrorsByClass[string(c)] = 1
		}
	}
	a.byClass = r.ErrorsByClass
	// What the plan meant to copy stays known when the result does not
	// say; the errors are at least those counted by class.
	if r.Counts.MessagesTotal == 0 {
		r.Counts.MessagesTotal = a.counts.MessagesTotal
	}
	if r.Counts.BytesTotal == 0 {
		r.Counts.BytesTotal = a.counts.BytesTotal
	}
	byClass := 0
	for _, n := range r.ErrorsByClass {
		byClass += n
	}
	r.Counts.Errors = max(r.Counts.Errors, int64(byClass))
	a.result = &r
	a.state = r.Status
	a.counts = r.Counts
	if r.LogPath != "" {
		a.log = r.LogPath
	}
	a.ended = b.now()
	if a.started.IsZero() {
		a.started = a.ended.Add(-r.Duration)
	}
	if r.Status != fleet.Done && r.Counts.BytesTotal > r.Counts.Bytes {
		a.bytesFailedFinal = r.Counts.BytesTotal - r.Counts.Bytes
	}
	for h, n := range a.conns {
		if n > 0 {
			b.hosts[h] = max(b.hosts[h]-n, 0)
		}
	}
	clear(a.conns)
}

// startClasses are the error classes of the exit codes of a run that
// could not start.
var startClasses = map[int]report.Class{
	int(exitcode.AuthFailureUser1): report.ClassAuthUser1,
	int(exitcode.AuthFailureUser2): report.ClassAuthUser2,
	int(exitcode.ConnFailureHost1): report.ClassConnHost1,
	int(exitcode.ConnFailureHost2): report.ClassConnHost2,
	int(exitcode.TLSFailure):       report.ClassTLS,
}

func cloneCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// logPath returns the log file of account index, "" when none is known.
func (b *Board) logPath(index int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if index < 0 || index >= len(b.accounts) {
		return ""
	}
	return b.accounts[index].log
}

// finished reports whether st is the state of an account that ended.
func finished(st string) bool {
	return st != fleet.Queued && st != fleet.Running
}

var (
	_ fleet.Observer      = (*Board)(nil)
	_ fleet.ErrorObserver = (*Board)(nil)
)
