package verify

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Dialer opens a logged-in connection to host1 (side 1) or host2
// (side 2). CompareParallel closes the clients it gets.
type Dialer func(ctx context.Context, side int) (*imapclient.Client, error)

// CompareParallel is Compare with up to concurrency folder pairs compared
// at the same time, each worker on its own pair of connections opened
// with dial (so 2 × concurrency connections in all; concurrency below 1
// means 1). The report lists the folders in the order of pairs, and the
// manifest gets them in that order too.
//
// A worker whose folder failed for any reason other than a refused
// command or a missing host1 folder reconnects and tries that folder
// once more, so that a dropped connection costs one folder's work, not
// the rest of the run. Errors are reported per folder as with Compare;
// CompareParallel returns an error only when ctx is done or writing the
// manifest fails; the report then lists the folders finished before the
// first unfinished one.
func CompareParallel(ctx context.Context, dial Dialer, concurrency int, pairs []Pair, opts Options) (*Report, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MaxHeader <= 0 {
		opts.MaxHeader = 8 << 20
	}
	concurrency = max(1, min(concurrency, len(pairs)))
	rep := &Report{Bodies: opts.Bodies, Started: time.Now()}
	var man *manifest
	if opts.Manifest != nil {
		man = newManifest(opts.Manifest)
	}

	results := make([]*folderResult, len(pairs))
	var (
		mu      sync.Mutex
		written int   // results[:written] went to the manifest
		manErr  error // first manifest write error
	)
	// flush writes the finished results that follow the ones written, in
	// the order of pairs, and drops their records.
	flush := func() {
		for written < len(results) && results[written] != nil {
			fr := results[written]
			if man != nil && manErr == nil && fr.Err == nil {
				manErr = man.write(*fr)
			}
			fr.records = nil
			written++
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w pairWorker
			defer w.close()
			for i := range next {
				fr := w.compare(ctx, dial, pairs[i], &opts)
				mu.Lock()
				results[i] = &fr
				flush()
				if manErr != nil {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range pairs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	for _, fr := range results {
		if fr == nil {
			break
		}
		rep.Folders = append(rep.Folders, fr.FolderReport)
	}
	rep.Elapsed = time.Since(rep.Started)
	if manErr != nil {
		return rep, manErr
	}
	return rep, ctx.Err()
}

// pairWorker holds one connection to each side.
type pairWorker struct {
	c1, c2 *imapclient.Client
}

// compare compares one folder pair, connecting first when needed, and
// retries it once on fresh connections after a failure that may be the
// connection's.
func (w *pairWorker) compare(ctx context.Context, dial Dialer, p Pair, opts *Options) folderResult {
	var fr folderResult
	for attempt := 0; attempt < 2; attempt++ {
		if err := w.connect(ctx, dial); err != nil {
			fr = folderResult{FolderReport: FolderReport{Folder1: p.Folder1, Folder2: p.Folder2, Err: err}}
		} else {
			fr = compareFolder(ctx, w.c1, w.c2, p, opts)
		}
		if fr.Err == nil || ctx.Err() != nil || !retryable(fr.Err) {
			break
		}
		w.close()
	}
	return fr
}

// retryable tells whether a folder error may go away on a new
// connection: not a missing host1 folder, not a refused command.
func retryable(err error) bool {
	var fe *FolderError
	var ie *imap.Error
	if errors.As(err, &fe) {
		return false
	}
	if errors.As(err, &ie) {
		return ie.Type == imap.StatusResponseTypeBye
	}
	return true
}

func (w *pairWorker) connect(ctx context.Context, dial Dialer) error {
	var err error
	if w.c1 == nil {
		if w.c1, err = dial(ctx, 1); err != nil {
			w.c1 = nil
			return err
		}
	}
	if w.c2 == nil {
		if w.c2, err = dial(ctx, 2); err != nil {
			w.c2 = nil
			return err
		}
	}
	return nil
}

func (w *pairWorker) close() {
	for _, c := range []*imapclient.Client{w.c1, w.c2} {
		if c != nil {
			c.Close()
		}
	}
	w.c1, w.c2 = nil, nil
}
