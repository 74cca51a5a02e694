package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/statuspage"
	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// requireChromiumEnv, when "1" (make test sets it), turns a missing
// Chromium into a failure instead of a skip.
const requireChromiumEnv = "IMAPSHIFT_REQUIRE_CHROMIUM"

// screenshotDirEnv, when set, is a directory the status page tests also
// save their screenshots in (to refresh docs/status-page.png).
const screenshotDirEnv = "IMAPSHIFT_SCREENSHOT_DIR"

// chromiumPath finds headless Chromium, or skips the test (fails it under
// IMAPSHIFT_REQUIRE_CHROMIUM=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("SKIP: chromium not available (%s)", t.Name())
	if os.Getenv(requireChromiumEnv) == "1" {
		t.Fatalf("chromium not available (%s=1 forbids skipping; make test installs it)", requireChromiumEnv)
	}
	if p := os.Getenv(dovecot.SkipLogEnv); p != "" {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintln(f, msg)
			f.Close()
		}
	}
	t.Skip(msg)
	return ""
}

// chromium runs headless Chromium on url with extra arguments
// (--dump-dom, --screenshot=...) and returns its standard output.
func chromium(t *testing.T, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, extra...)
	cmd := exec.CommandContext(ctx, chromiumPath(t), append(args, url)...)
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, errb.String())
	}
	return out.String()
}

// screenshot saves a PNG of url, width x height, in the test's temporary
// directory (and in $IMAPSHIFT_SCREENSHOT_DIR when set), checks that it
// is a PNG of that size, and returns its path.
func screenshot(t *testing.T, url, name string, width, height int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	chromium(t, url, "--screenshot="+path, fmt.Sprintf("--window-size=%d,%d", width, height))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != width || cfg.Height != height {
		t.Fatalf("screenshot %s: %dx%d, %v; want a %dx%d PNG", path, cfg.Width, cfg.Height, err, width, height)
	}
	if dir := os.Getenv(screenshotDirEnv); dir != "" {
		// Compressed harder than Chromium does, for the README.
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var small bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&small, paletted(img)); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), small.Bytes(), 0o644)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(data))
	return path
}

// paletted returns img with its 256 most frequent colours, each other
// pixel taking the nearest of them (a page is mostly flat colours).
func paletted(img image.Image) *image.Paletted {
	count := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := make([]color.RGBA, 0, len(count))
	for c := range count {
		colors = append(colors, c)
	}
	sort.Slice(colors, func(i, j int) bool { return count[colors[i]] > count[colors[j]] })
	pal := make(color.Palette, 0, 256)
	for _, c := range colors[:min(256, len(colors))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	draw.Draw(out, b, img, b.Min, draw.Src)
	return out
}

// renderedDOM loads url in Chromium and returns the DOM after load,
// between two readings of /api/status that agree on the accounts' counts
// (APPENDs sent before a gate closed may still be being confirmed), and
// that status.
func renderedDOM(t *testing.T, base string) (string, statuspage.Status) {
	t.Helper()
	counts := func(st statuspage.Status) string {
		var b strings.Builder
		for _, a := range st.Accounts {
			fmt.Fprintf(&b, "%d:%s:%d/%d:%d:%d ", a.Index, a.State, a.Copied, a.MessagesTotal, a.Errors, a.Bytes)
		}
		return b.String()
	}
	before := statusOf(t, base)
	for try := 0; ; try++ {
		dom := chromium(t, base, "--dump-dom")
		after := statusOf(t, base)
		if counts(after) == counts(before) {
			return dom, after
		}
		if try == 5 {
			t.Fatalf("the status never stood still: %s then %s", counts(before), counts(after))
		}
		before = after
	}
}

// domRow returns the table row of account index in dom ("" when
// absent).
func domRow(dom string, index int) string {
	re := regexp.MustCompile(`(?s)<tr class="account [^"]*" id="account-` + strconv.Itoa(index) + `"[^>]*>.*?</tr>`)
	return re.FindString(dom)
}

// TestStatusPageInChromium runs a real sync between two Dovecots with
// --http, held in the middle of its copy by a gate in front of host2;
// headless Chromium loads the page: the rendered DOM shows the account's
// row with the counts /api/status gives and no password, and a
// screenshot is saved. Released, the sync ends with host2 equal to host1.
func TestStatusPageInChromium(t *testing.T) {
	chromiumPath(t)
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var folders []dovecot.Folder
	for f, name := range []string{"INBOX", "Archive", "Projects", "Sent"} {
		var msgs []dovecot.Message
		for i := range 25 {
			raw := msg(fmt.Sprintf("f%dm%d", f, i), fmt.Sprintf("%s %d", name, i))
			raw = append(raw, []byte(strings.Repeat("status page line of text.\r\n", 100))...)
			msgs = append(msgs, dovecot.Message{Raw: raw, Flags: []string{`\Seen`}, Date: date.Add(time.Duration(i) * time.Hour)})
		}
		folders = append(folders, dovecot.Folder{Name: name, Msgs: msgs})
	}
	if err := d1.SeedMany("user1", folders); err != nil {
		t.Fatal(err)
	}
	gate := startGateProxy(t, d2.Addr(), 3)
	args := append(dovecotSide(1, d1, "user1", "secret1", "--notls1"),
		"--host2", "127.0.0.1", "--port2", strconv.Itoa(gate.port()), "--user2", "user2", "--password2", "secret2", "--notls2",
		"--nofoldersizes", "--http", "127.0.0.1:0", "--logdir", t.TempDir(), "--tmpdir", t.TempDir())
	r := startRun(args...)
	base := r.statusURL(t)
	<-gate.held
	waitStatus(t, base, func(st statuspage.Status) bool { return len(st.Accounts) == 1 && st.Accounts[0].Copied > 0 })

	dom, st := renderedDOM(t, base)
	a := st.Accounts[0]
	if a.State != "running" || a.MessagesTotal != 100 || a.Copied < 1 || a.Copied >= 100 {
		t.Fatalf("the account while held: %+v", a)
	}
	row := domRow(dom, 0)
	for _, want := range []string{
		`data-state="running"`,
		`<span class="user1">user1</span>`,
		`<span class="user2">user2</span>`,
		fmt.Sprintf(`<span class="copied">%d</span> / 100`, a.Copied),
		`<a href="/log/0">log</a>`,
	} {
		if !strings.Contains(row, want) {
			t.Errorf("the rendered row lacks %s:\n%s", want, row)
		}
	}
	for _, want := range []string{
		`<b id="accounts-ended">0</b> of <b id="accounts-total">1</b>`,
		fmt.Sprintf(`<b id="copied">%d</b> of <b>100</b>`, a.Copied),
		`<p id="no-failures">`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %s", want)
		}
	}
	for _, secret := range []string{"secret1", "secret2"} {
		if strings.Contains(dom, secret) {
			t.Errorf("the rendered page shows the password %q", secret)
		}
	}
	screenshot(t, base, "status-page-sync.png", 1000, 420)

	gate.release()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, r.out.String(), r.errb.String())
	}
	want, _ := contents(t, dovecotClient(t, d1, "user1", "secret1"))
	got, _ := contents(t, dovecotClient(t, d2, "user2", "secret2"))
	for box, msgs := range want {
		if !slices.Equal(got[box], msgs) {
			t.Errorf("%s on host2 differs from host1: %d messages, want %d", box, len(got[box]), len(msgs))
		}
	}
}

// TestBatchStatusPageInChromium runs `imapshift batch --jobs 3 --http`
// over eight account lines between two Dovecots (a wrong password and an
// unreachable port first, then six good accounts), held in the middle by
// a gate in front of host2: headless Chromium's rendered page shows every
// account's row with the state and counts /api/status gives, the two
// failures with their reasons and exit codes, and no password; the
// metrics agree. Released, the batch ends with the six accounts synced
// exactly.
func TestBatchStatusPageInChromium(t *testing.T) {
	chromiumPath(t)
	const good = 6
	f := startFleet(t, good+1, good, 30)
	gate := startGateProxy(t, f.d2.Addr(), 5)
	const wrong = "Wr0ng-Pa55-unique"
	lines := []string{
		"# two broken lines first, so that their failures show while the others are held",
		fmt.Sprintf("127.0.0.1;%s;%s;127.0.0.1;%s;%s;--port1 %d --port2 %d", dovecot.ManyUser(good), wrong, dovecot.ManyUser(good), dovecot.ManyPassword(good), f.d1.Port, gate.port()),
		fmt.Sprintf("127.0.0.1;%s;%s;127.0.0.1;%s;%s;--port1 %s --port2 %d", dovecot.ManyUser(0), dovecot.ManyPassword(0), dovecot.ManyUser(1), dovecot.ManyPassword(1), closedPort(t), gate.port()),
	}
	for a := range good {
		lines = append(lines, batchLine(a, "127.0.0.1", f.d1.Port, "127.0.0.1", gate.port()))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startRun("batch", file, "--jobs", "3", "--outdir", filepath.Join(dir, "out"), "--notls1", "--notls2",
		"--nofoldersizes", "--nofoldersizesatend", "--http", "127.0.0.1:0")
	base := r.statusURL(t)
	<-gate.held
	// Held: the broken lines ended, three accounts run (each held at an
	// APPEND), the others wait for a job.
	waitStatus(t, base, func(st statuspage.Status) bool {
		n := map[string]int{}
		for _, s := range st.States {
			n[s.State] = s.Count
		}
		return len(st.Accounts) == good+2 && len(st.Failures) == 2 && n["running"] == 3 && st.Total.Copied > 0
	})
	dom, st := renderedDOM(t, base)

	host2 := "127.0.0.1:" + strconv.Itoa(gate.port())
	for _, a := range st.Accounts {
		row := domRow(dom, a.Index)
		if row == "" {
			t.Errorf("no rendered row for account %d", a.Index)
			continue
		}
		wants := []string{fmt.Sprintf(`data-state="%s"`, a.State), `<span class="user1">` + a.User1 + `</span>`, `<small>` + host2 + `</small>`}
		if a.MessagesTotal > 0 {
			wants = append(wants, fmt.Sprintf(`<span class="copied">%d</span> / %d`, a.Copied, a.MessagesTotal))
		}
		for _, want := range wants {
			if !strings.Contains(row, want) {
				t.Errorf("account %d's rendered row lacks %s:\n%s", a.Index, want, row)
			}
		}
	}
	if st.Accounts[0].State != "login failed" || st.Accounts[1].State != "failed" {
		t.Errorf("the broken lines: %q and %q", st.Accounts[0].State, st.Accounts[1].State)
	}
	for _, tc := range []struct {
		index  int
		code   string
		reason string
	}{{0, "161", "Error login"}, {1, "101", "can not open imap connection"}} {
		re := regexp.MustCompile(`(?s)<tr class="failure [^"]*" id="failure-` + strconv.Itoa(tc.index) + `">.*?</tr>`)
		row := re.FindString(dom)
		if !strings.Contains(row, `data-label="Exit">`+tc.code+`<`) || !strings.Contains(row, tc.reason) {
			t.Errorf("failure %d: want exit %s and %q:\n%s", tc.index, tc.code, tc.reason, row)
		}
	}
	for _, secret := range []string{wrong, dovecot.ManyPassword(0), dovecot.ManyPassword(1), dovecot.ManyPassword(good)} {
		if strings.Contains(dom, secret) {
			t.Errorf("the rendered page shows the password %q", secret)
		}
		for _, path := range []string{"api/status", "metrics", "log/0", "log/2"} {
			if strings.Contains(fetch(t, base+path), secret) {
				t.Errorf("/%s shows the password %q", path, secret)
			}
		}
	}
	fams := metricsOf(t, base)
	for _, tc := range []struct {
		state string
		want  float64
	}{{"running", 3}, {"login failed", 1}, {"failed", 1}} {
		if got := sample(fams, "imapshift_accounts", map[string]string{"state": tc.state}); got != tc.want {
			t.Errorf("imapshift_accounts{state=%q} = %v, want %v", tc.state, got, tc.want)
		}
	}
	if got := sample(fams, "imapshift_connections", map[string]string{"host": host2}); got < 3 {
		t.Errorf("connections to host2 %v, want at least one per running account", got)
	}
	if got := sample(fams, "imapshift_errors_total", map[string]string{"class": "ERR_AUTHENTICATION_FAILURE_USER1"}); got != 1 {
		t.Errorf("login errors of host1 %v, want 1", got)
	}
	screenshot(t, base, "status-page-batch.png", 1000, 830)

	gate.release()
	if code := r.wait(t); code != 101 {
		t.Fatalf("exit %d, want 101 (one 161, one 101: the lowest of equals)\n%s%s", code, r.out.String(), r.errb.String())
	}
	f.checkAccounts(t, seq(good), false)
}
