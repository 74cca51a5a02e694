package statuspage

import (
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The metrics /metrics serves. The counts come from the board's snapshot
// at each scrape (a collector), so they always agree with the page;
// only the APPEND latency is a histogram the board fills as it goes.
var (
	descMessages = prometheus.NewDesc("imapshift_account_messages_total",
		"Messages of an account by outcome: copied, skipped (already on host2) or failed.",
		[]string{"account", "user", "outcome"}, nil)
	descBytes = prometheus.NewDesc("imapshift_account_bytes_total",
		"Bytes of an account by outcome: copied, skipped (already on host2), failed (planned and not copied by the end of the account's run).",
		[]string{"account", "user", "outcome"}, nil)
	descPlanned = prometheus.NewDesc("imapshift_account_planned_bytes",
		"Bytes an account's plan copies (0 until known).",
		[]string{"account", "user"}, nil)
	descErrors = prometheus.NewDesc("imapshift_errors_total",
		"Errors of all accounts by class (ERR_...).",
		[]string{"class"}, nil)
	descAccounts = prometheus.NewDesc("imapshift_accounts",
		"Accounts by state.",
		[]string{"state"}, nil)
	descConns = prometheus.NewDesc("imapshift_connections",
		"Connections open to a server (host:port), all accounts together.",
		[]string{"host"}, nil)
)

// Registry returns a new Prometheus registry holding the board's
// metrics (and none of the process-wide default ones).
func (b *Board) Registry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collector{b}, b.append)
	return r
}

// collector exports a Board's snapshot as metrics.
type collector struct{ b *Board }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descBytes, descPlanned, descErrors, descAccounts, descConns} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.b.Status()
	classes := map[string]int{}
	for _, a := range st.Accounts {
		id := strconv.Itoa(a.Index)
		for _, v := range []struct {
			outcome      string
			msgs, nbytes int64
		}{
			{"copied", a.Copied, a.Bytes},
			{"skipped", a.Skipped, a.BytesSkipped},
			{"failed", a.Errors, a.bytesFailed},
		} {
			ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(v.msgs), id, a.User1, v.outcome)
			ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(v.nbytes), id, a.User1, v.outcome)
		}
		ch <- prometheus.MustNewConstMetric(descPlanned, prometheus.GaugeValue, float64(a.BytesTotal), id, a.User1)
		for k, n := range a.ErrorsByClass {
			classes[k] += n
		}
	}
	names := make([]string, 0, len(classes))
	for k := range classes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(classes[k]), k)
	}
	for _, s := range st.States {
		ch <- prometheus.MustNewConstMetric(descAccounts, prometheus.GaugeValue, float64(s.Count), s.State)
	}
	for _, h := range st.Connections {
		ch <- prometheus.MustNewConstMetric(descConns, prometheus.GaugeValue, float64(h.Open), h.Host)
	}
}
