// Package verifyrun is what `imapshift verify` does once its options are
// parsed: it pairs the folders with the engine's own naming, read-only,
// compares each pair with package verify and prints the report.
package verifyrun

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/verify"
)

// notApplied are the options that select or rewrite messages in a sync
// and that verify does not apply.
var notApplied = []string{"maxage", "minage", "maxsize", "minsize", "search", "search1", "search2",
	"skipmess", "regexmess", "pipemess", "truncmess", "maxlinelength", "disarmreadreceipts", "skipcrossduplicates"}

// Run pairs the folders with the engine's own naming, read-only,
// compares the pairs and prints the report. It returns an error with
// exit code 121 when host2 differs.
func Run(ctx context.Context, s *config.Settings, out io.Writer) error {
	// Dry keeps EngineOptions from opening the state file for writing.
	s.Dry = true
	o, cleanup, err := s.EngineOptions(ctx, out)
	if err != nil {
		return err
	}
	defer cleanup()
	for _, n := range notApplied {
		if s.IsSet(n) {
			fmt.Fprintf(out, "Note: verify compares whole folders: --%s is not applied, so the messages a sync leaves out or rewrites because of it show as differences\n", n)
		}
	}
	switch {
	case s.IDateFromHeader:
		fmt.Fprintln(out, "Note: with --idatefromheader a sync sets host2's internal dates from the Date header: where host1's differ, they show as differences")
	case s.IsSet("syncinternaldates") && !s.SyncInternalDates:
		fmt.Fprintln(out, "Note: with --nosyncinternaldates a sync does not copy internal dates: they show as differences")
	}
	pairs, err := verifyPairs(ctx, o, out)
	if err != nil {
		return err
	}

	opts := verify.Options{Identity: o.Identity, AddHeader: o.AddHeader, SyncDuplicates: o.SyncDuplicates, Bodies: s.Bodies}
	var manifest *bufio.Writer
	var manifestFile *os.File
	if s.JSON != "" {
		w := out
		if s.JSON != "-" {
			if manifestFile, err = os.Create(s.JSON); err != nil {
				return exitcode.Wrap(exitcode.CatchAll, fmt.Errorf("--json: %w", err))
			}
			defer manifestFile.Close()
			w = manifestFile
		}
		manifest = bufio.NewWriterSize(w, 64<<10)
		opts.Manifest = manifest
	}
	dial := func(ctx context.Context, side int) (*imapclient.Client, error) {
		cfg := o.Host1
		if side == 2 {
			cfg = o.Host2
		}
		c, err := conn.Dial(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return c.Client, nil
	}
	bodies := ""
	if s.Bodies {
		bodies = ", message bytes included (--bodies)"
	}
	fmt.Fprintf(out, "Comparing %d folder pairs%s\n", len(pairs), bodies)
	rep, err := verify.CompareParallel(ctx, dial, o.Parallel, pairs, opts)
	if manifest != nil {
		if ferr := manifest.Flush(); err == nil && ferr != nil {
			err = ferr
		}
		if manifestFile != nil {
			if cerr := manifestFile.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}
		if err == nil && manifestFile != nil {
			fmt.Fprintf(out, "Manifest written to %s\n", s.JSON)
		}
	}
	if rep != nil {
		if s.SkipEmptyFolders {
			dropSkippedEmpty(rep, out)
		}
		rep.Print(out)
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return exitcode.Wrap(exitcode.CatchAll, fmt.Errorf("--json: %w", err))
	}
	if !rep.Equal() {
		return exitcode.New(exitcode.VerifyDiffers, "%s", strings.TrimPrefix(rep.Verdict(), "verify: "))
	}
	return nil
}

// verifyPairs logs in and works out the folder pairs exactly as a sync
// would (engine.NewPlan with Dry and JustFolders: nothing is created or
// changed), printing the login lines and the folders skipped.
func verifyPairs(ctx context.Context, o engine.Options, out io.Writer) ([]verify.Pair, error) {
	o.Dry, o.JustFolders = true, true
	o.JustFolderSizes, o.JustFolderLists, o.JustAutomap = false, false, false
	o.FolderSizes, o.FolderSizesAtEnd = false, false
	o.Delete2Folders, o.Delete1EmptyFolders = false, false
	o.Journal = ""
	o.Out = out
	p, err := engine.NewPlan(ctx, o)
	if err != nil {
		return nil, err
	}
	res := p.Result()
	p.Close()
	var pairs []verify.Pair
	from := map[string]string{} // host2 folder -> the first host1 folder paired with it
	for _, f := range res.Folders {
		// A deletion names one side only; a skipped folder (its line was
		// printed by the engine) is not synced, so not compared.
		if f.Host1 == "" || f.Host2 == "" || f.Skip != "" {
			continue
		}
		if prev, ok := from[f.Host2]; ok {
			fmt.Fprintf(out, "Note: host1 folders %s and %s both go to host2 folder %s: each is compared with all of it, so the other's messages show as extra\n",
				mailbox.Display(prev), mailbox.Display(f.Host1), mailbox.Display(f.Host2))
		} else {
			from[f.Host2] = f.Host1
		}
		pairs = append(pairs, verify.Pair{Folder1: f.Host1, Folder2: f.Host2})
	}
	return pairs, nil
}

// dropSkippedEmpty removes from rep the host1 folders that are empty and
// absent on host2: with --skipemptyfolders a sync does not create them,
// so they are no difference.
func dropSkippedEmpty(rep *verify.Report, out io.Writer) {
	kept := rep.Folders[:0]
	for _, f := range rep.Folders {
		if f.Err == nil && f.Missing2 && f.Messages1 == 0 {
			fmt.Fprintf(out, "Folder %s is empty on host1 and not on host2, as --skipemptyfolders leaves it: not compared\n", mailbox.Display(f.Folder1))
			continue
		}
		kept = append(kept, f)
	}
	rep.Folders = kept
}
