// Command bench measures imapshift against two private Dovecot instances:
// an initial sync of a generated corpus, a resync with nothing to do, and
// a resync after new messages and flag changes. It prints messages/s,
// MB/s and the peak RSS of each run. Run it with `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/dovecot"
)

func main() {
	n := flag.Int("n", 10000, "messages in the corpus")
	parallel := flag.Int("parallel", 4, "imapshift --parallel")
	flag.Parse()
	if err := bench(*n, *parallel); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var folders = []string{"INBOX", "Sent", "Drafts", "Trash", "Archive", "Archive/2019", "Archive/2020", "Archive/2021",
	"Données", "Données/Été 2021", "Projects/Q1 reports", "Clients/Müller & Söhne", "Spaces in name", "日本語", "Lists/go-nuts"}

// corpus generates n messages: mostly 2–20 KB, 10 % with a 20–200 KB
// attachment, 1.5 % with a 1–5 MB one.
func corpus(n int) []dovecot.Folder {
	r := rand.New(rand.NewSource(1))
	out := make([]dovecot.Folder, len(folders))
	for i := range out {
		out[i].Name = folders[i]
	}
	flagsPool := []string{`\Seen`, `\Seen`, `\Seen`, `\Answered`, `\Flagged`, "$Label1"}
	for i := 0; i < n; i++ {
		size := 2000 + r.Intn(18000)
		switch p := r.Float64(); {
		case p < 0.015:
			size = 1<<20 + r.Intn(4<<20)
		case p < 0.115:
			size = 20000 + r.Intn(180000)
		}
		date := time.Date(2015+r.Intn(7), time.Month(1+r.Intn(12)), 1+r.Intn(28), r.Intn(24), r.Intn(60), 0, 0, time.UTC)
		hdr := fmt.Sprintf("Received: from mx%d.example.org by mail.example.org; %s\r\nMessage-ID: <bench-%d@example.org>\r\nDate: %s\r\nFrom: sender%d@example.org\r\nTo: user1@example.com\r\nSubject: message %d\r\n\r\n",
			i%7, date.Format(time.RFC1123Z), i, date.Format(time.RFC1123Z), i%50, i)
		line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
		body := strings.Repeat(line, size/len(line)+1)
		var fl []string
		if k := r.Intn(len(flagsPool) + 2); k < len(flagsPool) {
			fl = []string{flagsPool[k]}
		}
		f := &out[r.Intn(len(out))]
		f.Msgs = append(f.Msgs, dovecot.Message{Raw: []byte(hdr + body[:size]), Flags: fl, Date: date})
	}
	return out
}

type figures struct {
	wall     time.Duration
	rssMB    float64
	msgs     int
	bytes    int64
	exitCode int
}

func bench(n, parallel int) error {
	bin := filepath.Join(os.TempDir(), "imapshift-bench")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/imapshift").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	d1, err := dovecot.Start(dovecot.Options{})
	if err != nil {
		return err
	}
	defer d1.Stop()
	d2, err := dovecot.Start(dovecot.Options{})
	if err != nil {
		return err
	}
	defer d2.Stop()
	t0 := time.Now()
	c := corpus(n)
	var total int64
	for _, f := range c {
		for _, m := range f.Msgs {
			total += int64(len(m.Raw))
		}
	}
	if err := d1.SeedMany("user1", c); err != nil {
		return err
	}
	fmt.Printf("corpus: %d messages, %.0f MB in %d folders, seeded in %.1f s\n", n, float64(total)/1e6, len(folders), time.Since(t0).Seconds())
	// A child's peak RSS starts from this process's at fork: let the
	// corpus go first.
	c = nil
	debug.FreeOSMemory()
	args := []string{"--host1", d1.Host, "--port1", strconv.Itoa(d1.Port), "--user1", "user1", "--password1", "secret1", "--notls1",
		"--host2", d2.Host, "--port2", strconv.Itoa(d2.Port), "--user2", "user1", "--password2", "secret1", "--notls2",
		"--parallel", strconv.Itoa(parallel)}
	fmt.Printf("%-28s %8s %9s %8s %11s\n", "run", "wall s", "msg/s", "MB/s", "peak RSS MB")
	report := func(name string, f figures) {
		fmt.Printf("%-28s %8.2f %9.0f %8.1f %11.1f", name, f.wall.Seconds(), float64(f.msgs)/f.wall.Seconds(), float64(f.bytes)/1e6/f.wall.Seconds(), f.rssMB)
		if f.exitCode != 0 {
			fmt.Printf("  (exit %d)", f.exitCode)
		}
		fmt.Println()
	}
	f, err := runOnce(bin, args)
	if err != nil {
		return err
	}
	f.msgs, f.bytes = n, total
	report("initial sync", f)
	f, err = runOnce(bin, args)
	if err != nil {
		return err
	}
	report("resync, nothing to do", f)
	added, err := mutate(d1, 100, 100)
	if err != nil {
		return err
	}
	f, err = runOnce(bin, args)
	if err != nil {
		return err
	}
	f.msgs, f.bytes = 100, added
	report("resync, 100 new + 100 flags", f)
	return nil
}

// runOnce runs imapshift under /usr/bin/time, whose %M is the peak RSS
// of imapshift alone (a child forked from this process would inherit its
// high-water mark).
func runOnce(bin string, args []string) (figures, error) {
	timeBin := "/usr/bin/time"
	if _, err := os.Stat(timeBin); err != nil {
		return figures{}, fmt.Errorf("%s is needed to measure the peak RSS (apt-get install time)", timeBin)
	}
	cmd := exec.Command(timeBin, append([]string{"-f", "maxrss=%M", bin}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	f := figures{wall: time.Since(t0)}
	if cmd.ProcessState == nil {
		return f, err
	}
	f.exitCode = cmd.ProcessState.ExitCode()
	if i := strings.LastIndex(stderr.String(), "maxrss="); i >= 0 {
		kb, _ := strconv.ParseFloat(strings.TrimSpace(stderr.String()[i+7:]), 64)
		f.rssMB = kb / 1024
	}
	if f.exitCode != 0 {
		fmt.Fprint(os.Stderr, stderr.String())
	}
	return f, nil
}

// mutate appends add new messages to INBOX and flips \Flagged on flag
// existing messages of host1, over IMAP.
func mutate(d *dovecot.Server, add, flag int) (int64, error) {
	c, err := conn.Dial(context.Background(), &conn.Config{Side: 1, Host: d.Host, Port: d.Port, Mode: conn.TLSNone, User: "user1", Password: "secret1"})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var bytes int64
	for i := 0; i < add; i++ {
		raw := []byte(fmt.Sprintf("Message-ID: <new-%d@example.org>\r\nSubject: new %d\r\n\r\n%s\r\n", i, i, strings.Repeat("new message body ", 400)))
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			return 0, err
		}
		bytes += int64(len(raw))
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		return 0, err
	}
	var set imap.SeqSet
	set.AddRange(1, uint32(flag))
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		return 0, err
	}
	return bytes, nil
}
