package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The secrets of the sample board: every kind of character that HTML,
// JSON or the Prometheus text format escapes.
const (
	secretPass  = `pa<ss&"w'rd\1`
	secretToken = "ya29.TOKEN-abcdef"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// sampleBoard is a batch of four accounts, seen 90 s after its start: one
// done, one running, one refused at login (its error line quotes the
// password), one queued.
func sampleBoard(t *testing.T) (*Board, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)}
	b := NewBoard()
	b.now = clk.now
	b.start = clk.t
	b.AddSecrets(secretPass, secretToken, "")
	dir := t.TempDir()
	logs := make([]string, 3)
	for i := range logs {
		logs[i] = filepath.Join(dir, fmt.Sprintf("account-%d.log", i))
		os.WriteFile(logs[i], []byte(fmt.Sprintf("log of account %d\nlogin with %s and %s\n", i, secretPass, secretToken)), 0o600)
	}
	b.Planned([]fleet.Account{
		{Index: 0, Line: 2, User1: "alice@example.org", Host1: "old.example.org:143", User2: "alice@example.com", Host2: "new.example.com:993"},
		{Index: 1, Line: 3, User1: "bob@example.org", Host1: "old.example.org:143", User2: "bob@example.com", Host2: "new.example.com:993"},
		{Index: 2, Line: 5, User1: "carol@example.org", Host1: "old.example.org:143", User2: "carol@example.com", Host2: "new.example.com:993"},
		{Index: 3, Line: 6, User1: "dave@example.org", Host1: "old.example.org:143", User2: "dave@example.com", Host2: "new.example.com:993"},
	})
	b.Started(0, logs[0])
	b.Started(1, logs[1])
	b.AccountConnections(0, "old.example.org:143", 2)
	b.AccountConnections(0, "new.example.com:993", 3)
	b.AccountConnections(1, "old.example.org:143", 1)
	b.AccountConnections(1, "new.example.com:993", 2)
	for _, d := range []time.Duration{3 * time.Millisecond, 5 * time.Millisecond, 40 * time.Millisecond} {
		b.Appended(0, d)
	}
	b.Appended(1, 250*time.Millisecond)
	b.Progress(0, fleet.Counts{MessagesTotal: 120, Copied: 60, BytesTotal: 4 << 20, Bytes: 1 << 20})
	clk.t = clk.t.Add(30 * time.Second)
	b.Finished(0, fleet.Result{Status: fleet.OK, Counts: fleet.Counts{MessagesTotal: 120, Copied: 120, Skipped: 7, BytesTotal: 4 << 20, Bytes: 4 << 20, BytesSkipped: 9000},
		Duration: 30 * time.Second, LogPath: logs[0]})
	b.ErrorClass(1, "ERR_APPEND_SIZE")
	b.ErrorClass(1, "ERR_APPEND_SIZE")
	b.ErrorClass(1, "ERR_FLAGS")
	b.Progress(1, fleet.Counts{MessagesTotal: 1000, Copied: 250, Errors: 3, BytesTotal: 50 << 20, Bytes: 10 << 20})
	b.Started(2, logs[2])
	b.Finished(2, fleet.Result{Status: fleet.LoginFailed, ExitCode: 161, Duration: 2 * time.Second,
		FirstError:    "Host1 failure: Error login on [old.example.org] with user [carol@example.org] auth [LOGIN]: 2 NO [AUTHENTICATIONFAILED] Authentication failed for password " + secretPass,
		ErrorsByClass: map[string]int{"ERR_AUTHENTICATION_FAILURE_USER1": 1}, LogPath: logs[2]})
	clk.t = clk.t.Add(60 * time.Second)
	return b, clk
}

func TestStatusGolden(t *testing.T) {
	b, _ := sampleBoard(t)
	got, err := json.MarshalIndent(b.Status(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "status.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("/api/status differs from %s (go test -update to rewrite):\n%s", golden, got)
	}
}

// get fetches path from the server and returns its body.
func get(t *testing.T, base, path string) string {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	return string(body)
}

// scrape fetches /metrics and parses it with Prometheus' text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(get(t, base, "/metrics")))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels
// include want; ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsScrape(t *testing.T) {
	b, _ := sampleBoard(t)
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	fams := scrape(t, srv.URL)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"imapshift_account_messages_total", map[string]string{"account": "0", "user": "alice@example.org", "outcome": "copied"}, 120},
		{"imapshift_account_messages_total", map[string]string{"account": "0", "outcome": "skipped"}, 7},
		{"imapshift_account_messages_total", map[string]string{"account": "1", "outcome": "copied"}, 250},
		{"imapshift_account_messages_total", map[string]string{"account": "1", "outcome": "failed"}, 3},
		{"imapshift_account_bytes_total", map[string]string{"account": "0", "outcome": "copied"}, 4 << 20},
		{"imapshift_account_bytes_total", map[string]string{"account": "0", "outcome": "skipped"}, 9000},
		{"imapshift_account_bytes_total", map[string]string{"account": "0", "outcome": "failed"}, 0},
		{"imapshift_account_bytes_total", map[string]string{"account": "1", "outcome": "copied"}, 10 << 20},
		{"imapshift_account_planned_bytes", map[string]string{"account": "1"}, 50 << 20},
		{"imapshift_errors_total", map[string]string{"class": "ERR_APPEND_SIZE"}, 2},
		{"imapshift_errors_total", map[string]string{"class": "ERR_FLAGS"}, 1},
		{"imapshift_errors_total", map[string]string{"class": "ERR_AUTHENTICATION_FAILURE_USER1"}, 1},
		{"imapshift_accounts", map[string]string{"state": "ok"}, 1},
		{"imapshift_accounts", map[string]string{"state": "running"}, 1},
		{"imapshift_accounts", map[string]string{"state": "login failed"}, 1},
		{"imapshift_accounts", map[string]string{"state": "queued"}, 1},
		{"imapshift_accounts", map[string]string{"state": "failed"}, 0},
		// Account 0 ended: its connections are no longer counted.
		{"imapshift_connections", map[string]string{"host": "old.example.org:143"}, 1},
		{"imapshift_connections", map[string]string{"host": "new.example.com:993"}, 2},
		{"imapshift_append_duration_seconds", nil, 4},
	} {
		got, ok := value(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (found %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	h := fams["imapshift_append_duration_seconds"].GetMetric()[0].GetHistogram()
	if got := h.GetSampleSum(); got < 0.297 || got > 0.299 {
		t.Errorf("APPEND latency sum = %v s, want 0.298", got)
	}
	// 3 ms and 5 ms fall under the 6.25 ms bucket, 40 ms and 250 ms not.
	for _, bk := range h.GetBucket() {
		if bk.GetUpperBound() == 0.00625 && bk.GetCumulativeCount() != 2 {
			t.Errorf("bucket le=0.00625 holds %d, want 2", bk.GetCumulativeCount())
		}
	}
	// Counts only grow: a later scrape after more progress is higher.
	b.Progress(1, fleet.Counts{MessagesTotal: 1000, Copied: 400, Errors: 3, BytesTotal: 50 << 20, Bytes: 20 << 20})
	if got, _ := value(scrape(t, srv.URL), "imapshift_account_messages_total", map[string]string{"account": "1", "outcome": "copied"}); got != 400 {
		t.Errorf("after more progress, copied = %v, want 400", got)
	}
	// An account that could not start has the class of its exit code.
	b.Finished(3, fleet.Result{Status: fleet.Failed, ExitCode: 101, FirstError: "Host1 failure: can not open imap connection"})
	if got, _ := value(scrape(t, srv.URL), "imapshift_errors_total", map[string]string{"class": "ERR_CONNECTION_FAILURE_HOST1"}); got != 1 {
		t.Errorf("ERR_CONNECTION_FAILURE_HOST1 = %v, want 1", got)
	}
}

// TestNoSecretShown: the password and the token the board was told of
// appear nowhere it serves, in any escaping, though an error line and
// the log files hold them.
func TestNoSecretShown(t *testing.T) {
	b, _ := sampleBoard(t)
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	jsonEsc := func(s string) string { q, _ := json.Marshal(s); return strings.Trim(string(q), `"`) }
	for _, path := range []string{"/", "/api/status", "/metrics", "/log/0", "/log/2"} {
		body := get(t, srv.URL, path)
		for _, secret := range []string{secretPass, secretToken} {
			for _, form := range []string{secret, html.EscapeString(secret), jsonEsc(secret), strings.ReplaceAll(secret, `\`, `\\`), "pa&lt;ss", "pa\\u003css", "rd\\1", "abcdef"} {
				if strings.Contains(body, form) {
					t.Errorf("%s shows a secret (%q)", path, form)
				}
			}
		}
		if path != "/metrics" && !strings.Contains(body, Mask) {
			t.Errorf("%s: no %q where a secret was", path, Mask)
		}
	}
	if !strings.Contains(get(t, srv.URL, "/api/status"), "Authentication failed for password "+Mask) {
		t.Error("the failure's reason is not shown with its secret masked")
	}
}

func TestPage(t *testing.T) {
	b, clk := sampleBoard(t)
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		fmt.Sprintf(`<meta http-equiv="refresh" content="%d">`, RefreshSeconds),
		`@media (max-width: 700px)`,
		`<b id="accounts-ended">2</b> of <b id="accounts-total">4</b>`,
		`<b id="copied">370</b> of <b>1120</b>`,
		`<tr class="account ok" id="account-0" data-state="ok">`,
		`<tr class="account running" id="account-1" data-state="running">`,
		`<tr class="account login-failed" id="account-2" data-state="login failed">`,
		`<tr class="account queued" id="account-3" data-state="queued">`,
		`<span class="copied">250</span> / 1000`,
		`<td class="n errors" data-label="Errors">3</td>`,
		`<div style="width:20.0%">`, // account 1: 10 of 50 MiB
		`<a href="/log/0">log</a>`,
		`<tr class="failure login-failed" id="failure-2">`,
		`<td class="n" data-label="Exit">161</td>`,
		`Authentication failed for password *****`,
		`new.example.com:993: 2 connections`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// No external assets: no src at all, links only to the server itself.
	if regexp.MustCompile(`(?i)\bsrc\s*=`).MatchString(page) {
		t.Error("the page loads an asset")
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
			t.Errorf("the page links outside the server: %s", m[1])
		}
	}
	if got := get(t, srv.URL, "/log/1"); !strings.Contains(got, "log of account 1") {
		t.Errorf("/log/1 = %q", got)
	}
	for _, path := range []string{"/log/3", "/log/9", "/log/x", "/nothing"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}

	// Once every account ended, the page stops reloading itself.
	clk.t = clk.t.Add(time.Minute)
	b.Finished(1, fleet.Result{Status: fleet.Errors, ExitCode: 114, FirstError: "- msg INBOX/7 {99} could not append", Duration: time.Minute})
	b.Finished(3, fleet.Result{Status: fleet.Done})
	page = get(t, srv.URL, "/")
	if strings.Contains(page, `http-equiv="refresh"`) {
		t.Error("a finished run's page still reloads itself")
	}
	if !strings.Contains(page, `id="failure-1"`) || !strings.Contains(page, "could not append") {
		t.Error("the account that ended with errors is not among the failures")
	}
}

func TestResolveAddr(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{":8080", "127.0.0.1:8080", ""},
		{"8080", "127.0.0.1:8080", ""},
		{":0", "127.0.0.1:0", ""},
		{"127.0.0.1:9", "127.0.0.1:9", ""},
		{"0.0.0.0:8080", "0.0.0.0:8080", ""},
		{"[::]:8080", "[::]:8080", ""},
		{"localhost:80", "localhost:80", ""},
		{"", "", "empty address"},
		{"host:port", "", "port must be a number"},
		{":70000", "", "port must be a number"},
		{"a:b:c", "", "is not HOST:PORT"},
		{"my host:80", "", "is not a host name"},
	} {
		got, err := ResolveAddr(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ResolveAddr(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ResolveAddr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestServe(t *testing.T) {
	b, _ := sampleBoard(t)
	url, stop, err := Serve(context.Background(), ":0", b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("url %q: not on the loopback", url)
	}
	if !strings.Contains(get(t, strings.TrimSuffix(url, "/"), "/api/status"), `"user1": "bob@example.org"`) {
		t.Error("/api/status lacks an account")
	}
	// The port is taken: a second server cannot listen on it.
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	if _, _, err := Serve(context.Background(), addr, b); !errors.Is(err, ErrListen) {
		t.Errorf("a second Serve on %s: %v, want ErrListen", addr, err)
	}
	stop()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the server still listens after stop")
	}
	if _, _, err := Serve(context.Background(), "nohost:x", b); err == nil || errors.Is(err, ErrListen) {
		t.Errorf("a malformed address: %v, want an error that is not ErrListen", err)
	}
}

// TestBoardConcurrent calls the observer from many goroutines while the
// page, the JSON and the metrics are read (run with -race).
func TestBoardConcurrent(t *testing.T) {
	b := NewBoard()
	b.AddSecrets("s3cret")
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	var accounts []fleet.Account
	for i := range 8 {
		accounts = append(accounts, fleet.Account{Index: i, User1: fmt.Sprintf("u%d", i)})
	}
	b.Planned(accounts)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b.Started(i, "")
			for n := range 200 {
				b.Progress(i, fleet.Counts{MessagesTotal: 200, Copied: int64(n + 1)})
				b.Appended(i, time.Millisecond)
				b.AccountConnections(i, "h:143", 1)
				b.ErrorClass(i, "ERR_APPEND")
				b.AccountConnections(i, "h:143", -1)
			}
			b.Finished(i, fleet.Result{Status: fleet.OK, Counts: fleet.Counts{MessagesTotal: 200, Copied: 200}})
		})
	}
	for range 5 {
		get(t, srv.URL, "/")
		scrape(t, srv.URL)
	}
	wg.Wait()
	st := b.Status()
	if !st.Finished || st.Total.Copied != 1600 || len(st.Connections) != 1 || st.Connections[0].Open != 0 {
		t.Errorf("after the run: finished %v, copied %d, connections %+v", st.Finished, st.Total.Copied, st.Connections)
	}
	fams := scrape(t, srv.URL)
	if got, _ := value(fams, "imapshift_errors_total", map[string]string{"class": "ERR_APPEND"}); got != 1600 {
		t.Errorf("ERR_APPEND = %v, want 1600", got)
	}
	if got, _ := value(fams, "imapshift_append_duration_seconds", nil); got != 1600 {
		t.Errorf("APPENDs observed = %v, want 1600", got)
	}
}

// TestPageOfAThousandAccounts: past MaxRows accounts the page shows
// MaxRows rows, the running accounts and the failures among them, and
// says how many it left out; /api/status still lists every account.
func TestPageOfAThousandAccounts(t *testing.T) {
	b := NewBoard()
	var accts []fleet.Account
	for i := range 1000 {
		accts = append(accts, fleet.Account{Index: i, User1: fmt.Sprintf("u%04d", i)})
	}
	b.Planned(accts)
	clk := &clock{t: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)}
	b.now = clk.now
	for i := range 600 {
		clk.t = clk.t.Add(time.Second)
		b.Started(i, "")
		b.Finished(i, fleet.Result{Status: fleet.OK})
	}
	b.Started(700, "")
	b.Finished(700, fleet.Result{Status: fleet.LoginFailed, ExitCode: 161, FirstError: "Host1 failure: Error login"})
	b.Started(990, "")
	b.Started(991, "")
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	page := get(t, srv.URL, "/")
	if n := strings.Count(page, `<tr class="account `); n != MaxRows {
		t.Errorf("%d rows, want %d", n, MaxRows)
	}
	for _, want := range []string{`id="account-990"`, `id="account-991"`, `id="account-700"`, `id="account-599"`, `id="failure-700"`,
		fmt.Sprintf(`<p id="omitted">%d more accounts`, 1000-MaxRows)} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, `id="account-800"`) {
		t.Error("a queued account is shown before ended ones")
	}
	var st Status
	if err := json.Unmarshal([]byte(get(t, srv.URL, "/api/status")), &st); err != nil || len(st.Accounts) != 1000 {
		t.Errorf("/api/status: %v, %d accounts", err, len(st.Accounts))
	}
}

// TestMetricsFormat: /metrics is Prometheus' text format 0.0.4, as a
// scraper reads it: its content type, a user whose name holds a quote, a
// backslash and a line feed read back unchanged from the label, every
// family appears once with HELP and TYPE, and the histogram's buckets
// are cumulative up to +Inf, which equals the count.
func TestMetricsFormat(t *testing.T) {
	b := NewBoard()
	odd := "o\"dd\\user\nname@example.org"
	b.Planned([]fleet.Account{{Index: 0, Line: 1, User1: odd, Host1: "a:143", User2: "x", Host2: "b:143"}})
	b.Started(0, "")
	b.Progress(0, fleet.Counts{MessagesTotal: 10, Copied: 4, Bytes: 4096})
	for _, d := range []time.Duration{time.Microsecond, 2 * time.Millisecond, 10 * time.Minute} {
		b.Appended(0, d)
	}
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	text := get(t, srv.URL, "/metrics")
	fams := scrape(t, srv.URL)
	if got, ok := value(fams, "imapshift_account_messages_total", map[string]string{"user": odd, "outcome": "copied"}); !ok || got != 4 {
		t.Errorf("copied of the odd user = %v (found %v), want 4", got, ok)
	}
	for name := range fams {
		if n := strings.Count(text, "# TYPE "+name+" "); n != 1 {
			t.Errorf("%s has %d TYPE lines", name, n)
		}
		if !strings.Contains(text, "# HELP "+name+" ") {
			t.Errorf("%s has no HELP line", name)
		}
	}
	h := fams["imapshift_append_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Errorf("count %d, want 3", h.GetSampleCount())
	}
	want := map[float64]uint64{0.001: 1, 0.0025: 2, 0.00625: 2}
	var last uint64
	for _, bk := range h.GetBucket() {
		if math.IsInf(bk.GetUpperBound(), 1) {
			continue
		}
		if bk.GetCumulativeCount() < last {
			t.Errorf("bucket le=%v holds %d, less than the one before", bk.GetUpperBound(), bk.GetCumulativeCount())
		}
		last = bk.GetCumulativeCount()
		if w, ok := want[bk.GetUpperBound()]; ok && bk.GetCumulativeCount() != w {
			t.Errorf("bucket le=%v holds %d, want %d", bk.GetUpperBound(), bk.GetCumulativeCount(), w)
		}
	}
	// 10 minutes is above the last bound: only +Inf counts it.
	if last != 2 || !strings.Contains(text, `imapshift_append_duration_seconds_bucket{le="+Inf"} 3`) {
		t.Errorf("the last finite bucket holds %d (want 2), or +Inf is not 3:\n%s", last, text)
	}
}
