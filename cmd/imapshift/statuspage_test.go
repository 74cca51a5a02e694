package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/imapshift/imapshift/cmd/internal/statuspage"
)

// liveRun is an imapshift command line running in-process.
type liveRun struct {
	out  *lockedBuffer
	errb *lockedBuffer
	done chan int // its exit code
}

func startRun(args ...string) *liveRun {
	r := &liveRun{out: &lockedBuffer{}, errb: &lockedBuffer{}, done: make(chan int, 1)}
	go func() { r.done <- run(args, strings.NewReader(""), r.out, r.errb) }()
	return r
}

// wait returns the run's exit code (failing the test after a minute).
func (r *liveRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(2 * time.Minute):
		t.Fatalf("the run did not end\n%s", r.out.String())
		return -1
	}
}

var pageURL = regexp.MustCompile(`Live status page on (http://\S+/) \(--http\)`)

// statusURL waits for the run to print its status page's address.
func (r *liveRun) statusURL(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if m := pageURL.FindStringSubmatch(r.out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-r.done:
			t.Fatalf("the run ended (exit %d) without a status page\n%s%s", code, r.out.String(), r.errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no status page address\n%s", r.out.String())
	return ""
}

// fetch returns the body of url.
func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

// statusOf fetches /api/status.
func statusOf(t *testing.T, base string) statuspage.Status {
	t.Helper()
	var st statuspage.Status
	if err := json.Unmarshal([]byte(fetch(t, base+"api/status")), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitStatus polls /api/status until ok holds (a minute at most).
func waitStatus(t *testing.T, base string, ok func(statuspage.Status) bool) statuspage.Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := statusOf(t, base)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status never got there: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricsOf scrapes /metrics and parses it with Prometheus' text parser.
func metricsOf(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(fetch(t, base+"metrics")))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// sample returns the value of family name's sample with labels want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
next:
	for _, m := range fams[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestStatusPageDuringSync: `imapshift --http 127.0.0.1:0` serves the
// page, the JSON and the metrics while the sync runs (held in the middle
// of its copy by a proxy in front of host2), none of them shows a
// password, and the sync then ends complete.
func TestStatusPageDuringSync(t *testing.T) {
	p := newPairSized(t, "alice", "bob", 60, 2000)
	gate := startGateProxy(t, "127.0.0.1:"+strconv.Itoa(p.dst.Port()), 3)
	args := append(hostArgs(1, strconv.Itoa(p.src.Port()), p.u1.Name(), pass1), hostArgs(2, strconv.Itoa(gate.port()), p.u2.Name(), pass2)...)
	args = append(args, "--http", "127.0.0.1:0", "--logdir", t.TempDir(), "--tmpdir", t.TempDir())
	r := startRun(args...)
	base := r.statusURL(t)
	<-gate.held
	st := waitStatus(t, base, func(st statuspage.Status) bool {
		return len(st.Accounts) == 1 && st.Accounts[0].Copied > 0
	})
	a := st.Accounts[0]
	if a.State != "running" || a.User1 != "alice" || a.User2 != "bob" || a.MessagesTotal != 60 || a.Copied >= 60 || a.Log != "/log/0" {
		t.Errorf("the account while held: %+v", a)
	}
	if !strings.HasSuffix(a.Host2, ":"+strconv.Itoa(gate.port())) {
		t.Errorf("host2 %q, want the proxy's address", a.Host2)
	}
	// The APPENDs before the held one may still be being confirmed: read
	// the page and the metrics between two equal readings of the JSON.
	var page string
	var fams map[string]*dto.MetricFamily
	for {
		page, fams = fetch(t, base), metricsOf(t, base)
		again := statusOf(t, base).Accounts[0]
		if again.Copied == a.Copied {
			break
		}
		a = again
	}
	if got := sample(fams, "imapshift_account_messages_total", map[string]string{"account": "0", "user": "alice", "outcome": "copied"}); got != float64(a.Copied) {
		t.Errorf("copied in /metrics %v, in /api/status %d", got, a.Copied)
	}
	if got := sample(fams, "imapshift_accounts", map[string]string{"state": "running"}); got != 1 {
		t.Errorf("running accounts %v, want 1", got)
	}
	if got := sample(fams, "imapshift_connections", map[string]string{"host": a.Host2}); got < 1 {
		t.Errorf("connections to host2 %v, want at least 1", got)
	}
	if got := sample(fams, "imapshift_append_duration_seconds", nil); got < 1 {
		t.Errorf("APPENDs timed %v, want at least 1", got)
	}
	for _, want := range []string{`<tr class="account running" id="account-0"`, `<span class="copied">` + strconv.FormatInt(a.Copied, 10) + `</span> / 60`, `http-equiv="refresh"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, path := range []string{"", "api/status", "metrics", "log/0"} {
		body := fetch(t, base+path)
		if strings.Contains(body, pass1) || strings.Contains(body, pass2) {
			t.Errorf("/%s shows a password", path)
		}
	}

	gate.release()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, r.out.String(), r.errb.String())
	}
	if ids := p.messageIDs(t); len(ids) != 60 {
		t.Errorf("host2 holds %d distinct messages, want 60", len(ids))
	} else {
		for id, n := range ids {
			if n != 1 {
				t.Errorf("%s is %d times on host2", id, n)
			}
		}
	}
	// The page is gone with the run.
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the status page still listens after the run")
	}
}

// TestHTTPOptionErrors: a malformed --http address is a usage error
// (64), an address in use is EX_UNAVAILABLE (69); each is one line on
// stderr, and nothing is copied.
func TestHTTPOptionErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		addr string
		code int
		want string
	}{
		{"localhost:http", 64, "imapshift: --http: \"localhost:http\": the port must be a number from 0 to 65535\n"},
		{"", 64, "imapshift: --http: an empty address"},
		{busy.Addr().String(), 69, "imapshift: --http: cannot listen on " + busy.Addr().String() + ": address already in use\n"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			p := newPair(t, "alice", "bob", 3)
			r := runArgs(t, nil, append(p.args(), "--http", tc.addr, "--logdir", t.TempDir(), "--tmpdir", t.TempDir())...)
			if r.code != tc.code || !strings.HasPrefix(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.code, r.stderr, tc.code, tc.want)
			}
			oneErrorLine(t, r)
			if ids := p.messageIDs(t); len(ids) != 0 {
				t.Errorf("%d messages copied", len(ids))
			}

			// The same for a batch.
			dir := t.TempDir()
			file := filepath.Join(dir, "accounts.txt")
			line := fmt.Sprintf("127.0.0.1;alice;%s;127.0.0.1;bob;%s;--port1 %d --port2 %d\n", pass1, pass2, p.src.Port(), p.dst.Port())
			if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			r = runArgs(t, nil, "batch", file, "--outdir", filepath.Join(dir, "out"), "--http", tc.addr)
			if r.code != tc.code || !strings.HasPrefix(r.stderr, tc.want) {
				t.Errorf("batch: exit %d, stderr %q; want %d, %q", r.code, r.stderr, tc.code, tc.want)
			}
			oneErrorLine(t, r)
			if ids := p.messageIDs(t); len(ids) != 0 {
				t.Errorf("batch: %d messages copied", len(ids))
			}
		})
	}
}

// TestBatchLineWithHTTP: --http on an account line is a bad line (one
// status page serves the whole batch), reported before anything starts.
func TestBatchLineWithHTTP(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts.txt")
	if err := os.WriteFile(file, []byte("a.invalid;joe;pw1;b.invalid;joe;pw2\na.invalid;ann;pw1;b.invalid;ann;pw2;--http :0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, nil, "batch", file, "--outdir", filepath.Join(dir, "out"))
	if r.code != 64 || !strings.Contains(r.stderr, "accounts.txt:2: --http is an option of the whole batch") || strings.Contains(r.stderr, "accounts.txt:1:") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}
