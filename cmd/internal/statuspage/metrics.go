package statuspage

import (
	"bufio"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The metrics /metrics serves, in Prometheus' text exposition format
// (version 0.0.4). The counts come from the board's snapshot at each
// scrape, so they always agree with the page; only the APPEND latency is
// a histogram the board fills as it goes.
//
// They are written here rather than with prometheus/client_golang: that
// library registers, when its package is initialised, a default registry
// with the process and Go collectors, and with the protobuf code it
// links it added 3 MB to the resident memory of every run, --http or not.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// family is one metric's name, help text and type.
type family struct{ name, help, kind string }

var (
	famMessages = family{"imapshift_account_messages_total",
		"Messages of an account by outcome: copied, skipped (already on host2) or failed.", "counter"}
	famBytes = family{"imapshift_account_bytes_total",
		"Bytes of an account by outcome: copied, skipped (already on host2), failed (planned and not copied by the end of the account's run).", "counter"}
	famPlanned = family{"imapshift_account_planned_bytes",
		"Bytes an account's plan copies (0 until known).", "gauge"}
	famErrors = family{"imapshift_errors_total",
		"Errors of all accounts by class (ERR_...).", "counter"}
	famAccounts = family{"imapshift_accounts",
		"Accounts by state.", "gauge"}
	famConns = family{"imapshift_connections",
		"Connections open to a server (host:port), all accounts together.", "gauge"}
	famAppend = family{"imapshift_append_duration_seconds",
		"Time from an APPEND (or a MULTIAPPEND batch) to host2's answer.", "histogram"}
)

// appendBuckets are the upper bounds of the APPEND latency histogram:
// 1 ms, then each 2.5 times the previous, 14 in all (up to about 150 s).
var appendBuckets = func() []float64 {
	b := make([]float64, 14)
	for i, v := 0, 0.001; i < len(b); i, v = i+1, v*2.5 {
		b[i] = v
	}
	return b
}()

// histogram counts observations per bucket (not cumulated: the
// exposition cumulates them), with their sum. It is safe for concurrent
// use; the zero value has no buckets but +Inf.
type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []uint64 // counts[i]: observations in (bounds[i-1], bounds[i]]; the last is +Inf
	sum    float64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Observe records one value.
func (h *histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // the first bound >= v
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.mu.Unlock()
}

// WriteMetrics writes the board's metrics to w in Prometheus' text
// exposition format (metricsContentType). Each family appears once, its
// samples together, sorted by label values; label values are masked like
// the page (Status) and escaped as the format requires.
func (b *Board) WriteMetrics(w io.Writer) error {
	st := b.Status()
	out := bufio.NewWriter(w)
	var samples []sample
	flush := func(f family) {
		writeFamily(out, f, samples)
		samples = samples[:0]
	}
	classes := map[string]int{}
	for _, f := range []family{famMessages, famBytes} {
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
				n := v.msgs
				if f == famBytes {
					n = v.nbytes
				}
				samples = append(samples, sample{labels: []string{"account", id, "user", a.User1, "outcome", v.outcome}, value: float64(n)})
			}
		}
		flush(f)
	}
	for _, a := range st.Accounts {
		samples = append(samples, sample{labels: []string{"account", strconv.Itoa(a.Index), "user", a.User1}, value: float64(a.BytesTotal)})
		for k, n := range a.ErrorsByClass {
			classes[k] += n
		}
	}
	flush(famPlanned)
	for k, n := range classes {
		samples = append(samples, sample{labels: []string{"class", k}, value: float64(n)})
	}
	flush(famErrors)
	for _, s := range st.States {
		samples = append(samples, sample{labels: []string{"state", s.State}, value: float64(s.Count)})
	}
	flush(famAccounts)
	for _, h := range st.Connections {
		samples = append(samples, sample{labels: []string{"host", h.Host}, value: float64(h.Open)})
	}
	flush(famConns)
	b.append.write(out, famAppend)
	return out.Flush()
}

// sample is one line of a family: label names and values alternating.
type sample struct {
	labels []string
	value  float64
}

// writeFamily writes f's HELP and TYPE lines, then its samples sorted by
// their label values.
func writeFamily(w *bufio.Writer, f family, samples []sample) {
	sort.Slice(samples, func(i, j int) bool {
		a, b := samples[i].labels, samples[j].labels
		for k := 1; k < len(a) && k < len(b); k += 2 {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	writeHeader(w, f)
	for _, s := range samples {
		writeSample(w, f.name, s.labels, s.value)
	}
}

func writeHeader(w *bufio.Writer, f family) {
	w.WriteString("# HELP " + f.name + " " + helpEscaper.Replace(f.help) + "\n")
	w.WriteString("# TYPE " + f.name + " " + f.kind + "\n")
}

// writeSample writes one line: name{label="value",...} value.
func writeSample(w *bufio.Writer, name string, labels []string, v float64) {
	w.WriteString(name)
	for k := 0; k+1 < len(labels); k += 2 {
		if k == 0 {
			w.WriteByte('{')
		} else {
			w.WriteByte(',')
		}
		w.WriteString(labels[k] + `="` + labelEscaper.Replace(labels[k+1]) + `"`)
	}
	if len(labels) > 0 {
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatValue(v))
	w.WriteByte('\n')
}

// write writes the histogram as family f: its cumulative buckets (le),
// the +Inf bucket, the sum and the count.
func (h *histogram) write(w *bufio.Writer, f family) {
	h.mu.Lock()
	counts := append([]uint64(nil), h.counts...)
	sum := h.sum
	h.mu.Unlock()
	writeHeader(w, f)
	var cum uint64
	for i, n := range counts {
		cum += n
		le := math.Inf(1)
		if i < len(h.bounds) {
			le = h.bounds[i]
		}
		writeSample(w, f.name+"_bucket", []string{"le", formatValue(le)}, float64(cum))
	}
	writeSample(w, f.name+"_sum", nil, sum)
	writeSample(w, f.name+"_count", nil, float64(cum))
}

// formatValue is a sample value as the format writes it: the shortest
// decimal that reads back the same, or +Inf, -Inf, NaN.
func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	// A label value escapes backslash, double quote and line feed; a
	// HELP text backslash and line feed.
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)
