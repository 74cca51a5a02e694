package statuspage

import (
	"sort"
	"strconv"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
)

// Status is a snapshot of a Board: what /api/status returns and what the
// page and the metrics show. Every string in it has its secrets masked.
type Status struct {
	Started  time.Time `json:"started"`
	Now      time.Time `json:"now"`
	Elapsed  float64   `json:"elapsed_seconds"`
	Finished bool      `json:"finished"` // every account ended
	Total    Totals    `json:"total"`
	// States counts the accounts by state, every state listed.
	States      []StateCount      `json:"states"`
	Accounts    []AccountStatus   `json:"accounts"`
	Failures    []Failure         `json:"failures"`
	Connections []HostConnections `json:"connections"`
}

// Totals add up the accounts.
type Totals struct {
	Accounts      int     `json:"accounts"`
	Ended         int     `json:"ended"` // accounts that finished (or were skipped)
	MessagesTotal int64   `json:"messages_total"`
	Copied        int64   `json:"copied"`
	Skipped       int64   `json:"skipped"`
	Errors        int64   `json:"errors"`
	BytesTotal    int64   `json:"bytes_total"`
	Bytes         int64   `json:"bytes"`
	Percent       float64 `json:"percent"`        // of the bytes (or messages) planned
	Rate          float64 `json:"messages_per_s"` // copied since the start
	ByteRate      float64 `json:"bytes_per_s"`
}

// StateCount is how many accounts are in a state.
type StateCount struct {
	State string `json:"state"`
	Count int    `json:"count"`
}

// AccountStatus is one account's row.
type AccountStatus struct {
	Index         int            `json:"index"`
	Line          int            `json:"line,omitempty"`
	User1         string         `json:"user1"`
	Host1         string         `json:"host1"`
	User2         string         `json:"user2"`
	Host2         string         `json:"host2"`
	State         string         `json:"state"`
	MessagesTotal int64          `json:"messages_total"`
	Copied        int64          `json:"copied"`
	Skipped       int64          `json:"skipped"`
	Errors        int64          `json:"errors"`
	BytesTotal    int64          `json:"bytes_total"`
	Bytes         int64          `json:"bytes"`
	BytesSkipped  int64          `json:"bytes_skipped"`
	Percent       float64        `json:"percent"`
	Rate          float64        `json:"messages_per_s"`
	ByteRate      float64        `json:"bytes_per_s"`
	Elapsed       float64        `json:"elapsed_seconds"`
	ExitCode      *int           `json:"exit_code,omitempty"` // once ended
	FirstError    string         `json:"first_error,omitempty"`
	ErrorsByClass map[string]int `json:"errors_by_class,omitempty"`
	Connections   int            `json:"connections"`
	AppendAvgMs   float64        `json:"append_avg_ms"`
	Log           string         `json:"log,omitempty"` // "/log/INDEX" when a log file is known

	bytesFailed int64     // planned and not copied by the end
	ended       time.Time // when it ended (zero: not yet)
}

// Failure is an account that ended badly, with its reason.
type Failure struct {
	Index    int    `json:"index"`
	Line     int    `json:"line,omitempty"`
	User1    string `json:"user1"`
	User2    string `json:"user2"`
	State    string `json:"state"`
	ExitCode int    `json:"exit_code"`
	Reason   string `json:"reason"`
}

// HostConnections is the number of connections open to a host.
type HostConnections struct {
	Host string `json:"host"`
	Open int    `json:"open"`
}

// states are the account states, in the order the page lists them.
var states = []string{fleet.Running, fleet.Queued, fleet.OK, fleet.Errors, fleet.LoginFailed, fleet.Failed, fleet.Done}

// Status returns a snapshot of the board, secrets masked.
func (b *Board) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	st := Status{Started: b.start, Now: now, Elapsed: secs(now.Sub(b.start)),
		Accounts: []AccountStatus{}, Failures: []Failure{}, Connections: []HostConnections{}}
	count := map[string]int{}
	for _, a := range b.accounts {
		as := b.accountStatus(a, now)
		st.Accounts = append(st.Accounts, as)
		count[as.State]++
		t := &st.Total
		t.Accounts++
		if finished(a.state) {
			t.Ended++
		}
		t.MessagesTotal += as.MessagesTotal
		t.Copied += as.Copied
		t.Skipped += as.Skipped
		t.Errors += as.Errors
		t.BytesTotal += as.BytesTotal
		t.Bytes += as.Bytes
		if r := a.result; r != nil && r.Status != fleet.OK && r.Status != fleet.Done {
			reason := b.mask(r.FirstError)
			if reason == "" {
				reason = r.Status
			}
			st.Failures = append(st.Failures, Failure{Index: as.Index, Line: as.Line, User1: as.User1, User2: as.User2,
				State: as.State, ExitCode: r.ExitCode, Reason: reason})
		}
	}
	st.Finished = len(b.accounts) > 0 && st.Total.Ended == len(b.accounts)
	st.Total.Percent = percent(st.Total.Bytes, st.Total.BytesTotal, st.Total.Copied, st.Total.MessagesTotal, st.Finished)
	st.Total.Rate = rate(st.Total.Copied, now.Sub(b.start))
	st.Total.ByteRate = rate(st.Total.Bytes, now.Sub(b.start))
	for _, s := range states {
		st.States = append(st.States, StateCount{State: s, Count: count[s]})
		delete(count, s)
	}
	for s, n := range count { // a state fleet does not name
		st.States = append(st.States, StateCount{State: s, Count: n})
	}
	for h, n := range b.hosts {
		st.Connections = append(st.Connections, HostConnections{Host: b.mask(h), Open: n})
	}
	sort.Slice(st.Connections, func(i, j int) bool { return st.Connections[i].Host < st.Connections[j].Host })
	return st
}

// accountStatus is a's row at now. The caller holds b.mu.
func (b *Board) accountStatus(a *account, now time.Time) AccountStatus {
	c := a.counts
	as := AccountStatus{Index: a.Index, Line: a.Line, User1: b.mask(a.User1), Host1: b.mask(a.Host1),
		User2: b.mask(a.User2), Host2: b.mask(a.Host2), State: b.mask(a.state),
		MessagesTotal: c.MessagesTotal, Copied: c.Copied, Skipped: c.Skipped, Errors: c.Errors,
		BytesTotal: c.BytesTotal, Bytes: c.Bytes, BytesSkipped: c.BytesSkipped, bytesFailed: a.bytesFailedFinal, ended: a.ended}
	var took time.Duration
	switch {
	case !a.ended.IsZero():
		took = a.ended.Sub(a.started)
		if a.result != nil && a.result.Duration > 0 {
			took = a.result.Duration
		}
	case !a.started.IsZero():
		took = now.Sub(a.started)
	}
	as.Elapsed = secs(took)
	as.Rate, as.ByteRate = rate(c.Copied, took), rate(c.Bytes, took)
	ended := finished(a.state)
	as.Percent = percent(c.Bytes, c.BytesTotal, c.Copied, c.MessagesTotal, ended && a.state != fleet.Failed && a.state != fleet.LoginFailed)
	if r := a.result; r != nil {
		code := r.ExitCode
		as.ExitCode = &code
		as.FirstError = b.mask(r.FirstError)
	}
	if len(a.byClass) > 0 {
		as.ErrorsByClass = map[string]int{}
		for k, v := range a.byClass {
			as.ErrorsByClass[b.mask(k)] += v
		}
	}
	for _, n := range a.conns {
		as.Connections += n
	}
	if a.appends > 0 {
		as.AppendAvgMs = float64(a.appendTotal.Microseconds()) / 1000 / float64(a.appends)
	}
	if a.log != "" {
		as.Log = "/log/" + strconv.Itoa(a.Index)
	}
	return as
}

// percent is the progress of a copy, by bytes when their total is known,
// else by messages; 100 for an ended run with nothing left (complete),
// and for one with nothing to copy.
func percent(bytes, bytesTotal, msgs, msgsTotal int64, complete bool) float64 {
	var p float64
	switch {
	case bytesTotal > 0:
		p = 100 * float64(bytes) / float64(bytesTotal)
	case msgsTotal > 0:
		p = 100 * float64(msgs) / float64(msgsTotal)
	case complete:
		p = 100
	}
	p = min(p, 100)
	return float64(int64(p*10)) / 10
}

// rate is n per second over d, rounded to 0.1.
func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(int64(float64(n)/d.Seconds()*10)) / 10
}

func secs(d time.Duration) float64 {
	return float64(d.Milliseconds()) / 1000
}
