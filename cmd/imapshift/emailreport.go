package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/report"
)

// sendEmailReports appends the run's final report as a message into the
// INBOX of host1 (--emailreport1) and/or host2 (--emailreport2), as
// imapsync does. Dry and folder-only runs send none. A failure is
// reported and does not change the exit code.
func sendEmailReports(ctx context.Context, s *Settings, o *engine.Options, res *engine.Result, out io.Writer) {
	if o.Dry || o.JustFolders || o.JustFolderSizes {
		return
	}
	for n, on := range []bool{s.Host1.EmailReport, s.Host2.EmailReport} {
		if !on {
			continue
		}
		cfg := o.Host1
		if n == 1 {
			cfg = o.Host2
		}
		raw := reportMessage(o, res, cfg.User)
		if err := appendInbox(ctx, cfg, raw); err != nil {
			fmt.Fprintf(out, "%s: could not append the email report into INBOX: %v\n", cfg.Name(), err)
			continue
		}
		fmt.Fprintf(out, "%s: email report appended into INBOX (%d bytes)\n", cfg.Name(), len(raw))
	}
}

// reportMessage builds the report message: the statistics block and the
// error listing as plain text.
func reportMessage(o *engine.Options, res *engine.Result, to string) []byte {
	var body bytes.Buffer
	snap := res.Snapshot
	snap.Errors = res.Errors.Count()
	report.WriteStatistics(&body, snap, report.StatsOptions{System: report.SampleSystem()})
	if res.Errors.Count() > 0 {
		res.Errors.WriteListing(&body)
	}
	host, _ := os.Hostname()
	now := time.Now()
	var m bytes.Buffer
	fmt.Fprintf(&m, "From: imapshift <imapshift@%s>\r\n", host)
	fmt.Fprintf(&m, "To: %s\r\n", to)
	fmt.Fprintf(&m, "Subject: [imapshift] %s on %s to %s on %s: %d errors\r\n", o.Host1.User, o.Host1.Host, o.Host2.User, o.Host2.Host, res.Errors.Count())
	fmt.Fprintf(&m, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&m, "Message-Id: <imapshift-report-%d@%s>\r\n", now.UnixNano(), host)
	m.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	m.Write(bytes.ReplaceAll(body.Bytes(), []byte("\n"), []byte("\r\n")))
	return m.Bytes()
}

func appendInbox(ctx context.Context, cfg *conn.Config, raw []byte) error {
	c, err := conn.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err = cmd.Wait()
	c.Logout().Wait()
	return err
}
