// Package verify compares host1 and host2 folder by folder without
// changing either side: it is what `imapshift verify` runs after a sync,
// for an auditor or a cut-over checklist.
//
// Both sides are opened read-only (EXAMINE) and read with FETCH and
// BODY.PEEK only, so not even \Seen changes. Messages are matched the way
// a sync matches them: by the identity key of package identity, and in
// addition by RFC822.SIZE, so that two distinct messages sharing a
// Message-Id are not taken for one another. For every folder pair the
// comparison reports the host1 messages missing on host2, the host2
// messages that match no host1 message (extra), the surplus copies of a
// host1 message on host2 (duplicated), and for matched pairs the flags
// (\Recent ignored) and internal dates that differ. With Options.Bodies
// it also hashes every message's full bytes (SHA-256) on both sides,
// streaming each literal into the hash, and reports pairs whose bytes
// differ. A manifest of every message can be written as JSON lines.
//
// What a sync deliberately leaves behind is listed but does not make the
// report unequal: a host1 message with the identity key of an earlier
// one (skipped unless --syncduplicates), and a message without any
// identity header (never copied unless --addheader). With Bodies, such a
// message whose exact bytes are on the other side is matched to them.
//
// Metadata is fetched in batches of Options.BatchSize messages, so memory
// holds one small record per message (key, size, flags, date, hash) and
// never a whole message.
package verify

import (
	"context"
	"io"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/identity"
)

// DefaultBatchSize is the number of messages per metadata FETCH when
// Options.BatchSize is zero.
const DefaultBatchSize = 1000

// Pair names one folder on each side: Folder1 on host1 is expected to be
// copied to Folder2 on host2. The names are given as the IMAP client
// takes them (UTF-8; go-imap encodes them in modified UTF-7).
type Pair struct{ Folder1, Folder2 string }

// Options says how messages are identified and what is compared. The
// zero value compares with imapsync's default identity (Message-Id and
// Received), without bodies and without a manifest.
type Options struct {
	// Identity is the identity a sync of these folders uses: the same
	// headers, skipped headers and size suffix, so that verify matches
	// exactly the messages the sync considers the same.
	Identity identity.Options
	// AddHeader mirrors the sync's --addheader: a host1 message without
	// any identity header is expected on host2 with the line
	// identity.AddHeaderLine(uid) prepended, so its key is
	// Identity.AddHeaderKey, its expected size grows by that line, and
	// with Bodies its host1 hash covers the line followed by the message.
	// Without AddHeader such messages are counted as unidentified and
	// are not required on host2 (a sync does not copy them); with Bodies
	// one whose exact bytes a host2 message has is matched to it.
	AddHeader bool
	// SyncDuplicates mirrors the sync's --syncduplicates. Without it, a
	// host1 message whose identity key an earlier host1 message of the
	// folder already has (the sync skips it) is not required on host2;
	// a host2 copy of it is still accepted. With it, every host1 message
	// is required.
	SyncDuplicates bool
	// Bodies also fetches every message's full bytes (BODY.PEEK[]) on both
	// sides, hashes them with SHA-256 while they stream in, and reports
	// matched pairs whose hashes differ.
	Bodies bool
	// Manifest, when not nil, receives one JSON object per line per
	// message (see Record), folder after folder, as each folder is done.
	Manifest io.Writer
	// BatchSize is the number of messages per FETCH command; zero means
	// DefaultBatchSize.
	BatchSize int
	// MaxHeader caps the bytes of a fetched header block that are kept to
	// compute the identity key (a message without an empty line is all
	// header); zero means 8 MiB. Both sides are cut at the same length,
	// so matching stays consistent.
	MaxHeader int
}

// Compare compares every pair of folders, one after the other (see
// CompareParallel for several at once), reading
// host1 through c1 and host2 through c2 at the same time (one goroutine
// per side; each client is used by that goroutine alone while Compare
// runs). It never modifies either side: folders are opened with EXAMINE
// and bodies fetched with BODY.PEEK. It leaves a folder selected on each
// client.
//
// A folder that cannot be compared (host1 folder missing, connection
// lost, a refused command) gets FolderReport.Err and Compare goes on with
// the next pair; a host2 folder that does not exist is not an error: all
// its host1 messages are missing. Compare returns an error only when ctx
// is done (checked between folders and between FETCH batches; close the
// clients to abort a FETCH in progress) or when writing the manifest
// fails; the report then holds the folders finished so far.
func Compare(ctx context.Context, c1, c2 *imapclient.Client, pairs []Pair, opts Options) (*Report, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MaxHeader <= 0 {
		opts.MaxHeader = 8 << 20
	}
	rep := &Report{Bodies: opts.Bodies, Started: time.Now()}
	var man *manifest
	if opts.Manifest != nil {
		man = newManifest(opts.Manifest)
	}
	for _, p := range pairs {
		if err := ctx.Err(); err != nil {
			rep.Elapsed = time.Since(rep.Started)
			return rep, err
		}
		fr := compareFolder(ctx, c1, c2, p, &opts)
		rep.Folders = append(rep.Folders, fr.FolderReport)
		if man != nil && fr.Err == nil {
			if err := man.write(fr); err != nil {
				rep.Elapsed = time.Since(rep.Started)
				return rep, err
			}
		}
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep, ctx.Err()
}
