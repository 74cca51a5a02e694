package main

import (
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
		host, _ := os.Hostname()
		snap := res.Snapshot
		snap.Errors = res.Errors.Count()
		raw := report.EmailReport{User1: o.Host1.User, Host1: o.Host1.Host, User2: o.Host2.User, Host2: o.Host2.Host,
			To: cfg.User, Hostname: host, Date: time.Now(), Stats: snap, Errors: res.Errors}.Message()
		if err := appendInbox(ctx, cfg, raw); err != nil {
			fmt.Fprintf(out, "%s: could not append the email report into INBOX: %v\n", cfg.Name(), err)
			continue
		}
		fmt.Fprintf(out, "%s: email report appended into INBOX (%d bytes)\n", cfg.Name(), len(raw))
	}
}

// appendInbox appends raw into the INBOX of cfg's account.
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
