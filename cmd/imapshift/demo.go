package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/progress"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// newDemoCommand is `imapshift demo`.
func (a *app) newDemoCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "demo [args]",
		Short:              "Run a self-contained demonstration against in-process servers",
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			a.ran = true
			return runDemo(c.Context(), c.OutOrStdout(), args)
		},
	}
}

// runDemo starts two in-process IMAP servers, fills the first with the
// demo mailbox of testdata/, syncs it to the second with the real engine
// and shows both sides before and after.
func runDemo(ctx context.Context, out io.Writer, args []string) error {
	s1, err := imapmem.Start(imapmem.Options{})
	if err != nil {
		return err
	}
	defer s1.Close()
	s2, err := imapmem.Start(imapmem.Options{})
	if err != nil {
		return err
	}
	defer s2.Close()
	u1 := s1.AddUser("alice", "demo-secret-1")
	u2 := s2.AddUser("bob", "demo-secret-2")
	if err := u1.SeedDemo(); err != nil {
		return fmt.Errorf("demo: loading the demo mailbox: %w", err)
	}
	fmt.Fprintf(out, "imapshift demo: host1 %s (user alice) holds the demo mailbox; host2 %s (user bob) is empty.\n", s1.Addr(), s2.Addr())
	fmt.Fprintf(out, "Both are in-process IMAP servers; the sync below is the real engine.\n\n")
	fmt.Fprintln(out, "Before:")
	showSides(out, u1, u2)
	fmt.Fprintln(out)

	tmp, err := os.MkdirTemp("", "imapshift-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	side := func(n int, s *imapmem.Server, user, pass string) *conn.Config {
		return &conn.Config{Side: n, Host: s.Host(), Port: s.Port(), Mode: conn.TLSNone, User: user, Password: pass,
			Timeout: 30 * time.Second, KeepAlive: true, ID: true, TryLogin: true}
	}
	opts := engine.Options{
		Host1: side(1, s1, "alice", "demo-secret-1"), Host2: side(2, s2, "bob", "demo-secret-2"),
		Selection: mailbox.Selection{CheckFoldersExist: true},
		FixSlash2: true, FixInboxINBOX: true, Subscribe: true, MixFolders: true, CheckSelectable: true,
		SyncInternalDates: true, ResyncFlags: true, AddHeader: true,
		FolderSizes: true, FolderSizesAtEnd: true,
		Parallel: 4, BodyBudget: 64 << 20, MultiAppend: true, TmpDir: tmp, ErrorsMax: 50,
		ReconnectRetry1: 3, ReconnectRetry2: 3, Out: out,
	}
	end := progress.Attach(&opts, out)
	res, err := engine.Run(ctx, opts)
	end()
	if err != nil {
		return err
	}
	ferr := finishRun(out, res, finishOptions{ErrorsMax: opts.ErrorsMax, ErrorsDump: true})
	fmt.Fprintln(out, "\nAfter:")
	showSides(out, u1, u2)
	return ferr
}

// showSides prints, per host1 folder, the message counts on both sides
// and whether every distinct host1 message is on host2 byte for byte with
// the flags and internal date of one of its copies (duplicates inside a
// folder are copied once).
func showSides(out io.Writer, u1, u2 *imapmem.User) {
	boxes, _ := u1.Mailboxes()
	mailbox.Sort(boxes)
	fmt.Fprintf(out, "  %-28s %7s %7s  %s\n", "folder", "host1", "host2", "identical on host2")
	for _, b := range boxes {
		m1, _ := u1.Messages(b)
		m2, _ := u2.Messages(b)
		have := map[string]bool{}
		for _, m := range m2 {
			have[fingerprint(m)] = true
		}
		found := map[string]bool{} // content hash -> one copy matched
		for _, m := range m1 {
			content, _, _ := strings.Cut(fingerprint(m), "|")
			found[content] = found[content] || have[fingerprint(m)]
		}
		missing := 0
		for _, ok := range found {
			if !ok {
				missing++
			}
		}
		verdict := "yes"
		switch {
		case len(m1) == 0 && len(m2) == 0:
			verdict = "-"
		case missing > 0:
			verdict = fmt.Sprintf("no, %d missing", missing)
		}
		fmt.Fprintf(out, "  %-28s %7d %7d  %s\n", b, len(m1), len(m2), verdict)
	}
}

// fingerprint identifies a stored message by its bytes, flags and date.
// The "Message-Id: <UID@imapsync>" line that --addheader puts on top of a
// message without one is left out, so such a copy matches its original.
func fingerprint(m imapmem.StoredMessage) string {
	raw := m.Raw
	if bytes.HasPrefix(raw, []byte("Message-Id: <")) {
		if i := bytes.IndexByte(raw, '\n'); i > 0 && bytes.HasSuffix(bytes.TrimRight(raw[:i], "\r"), []byte("@imapsync>")) {
			raw = raw[i+1:]
		}
	}
	var flags []string
	for _, f := range m.Flags {
		if f != `\Recent` {
			flags = append(flags, string(f))
		}
	}
	slices.Sort(flags)
	return fmt.Sprintf("%x|%v|%d", sha256.Sum256(raw), flags, m.InternalDate.Unix())
}
