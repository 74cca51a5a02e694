package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sync/semaphore"
)

// spool holds message bodies between the FETCH on host1 and the APPEND on
// host2. Bodies that fit the memory budget stay in memory; larger ones go
// to a temporary file, so memory never grows with message size.
//
// The budget is reserved for a whole batch before its FETCH is sent, so a
// host1 literal is never left half-read while waiting for memory (go-imap
// blocks its reader goroutine until a literal is consumed).
type spool struct {
	sem     *semaphore.Weighted
	budget  int64
	fileMin int64 // bodies of at least this size go to a file
	tmpDir  string
}

func newSpool(budget int64, tmpDir string) *spool {
	if budget < 1<<20 {
		budget = 1 << 20
	}
	return &spool{
		sem:     semaphore.NewWeighted(budget),
		budget:  budget,
		fileMin: budget / 4,
		tmpDir:  tmpDir,
	}
}

// inMemory tells whether a body of this size is kept in memory.
func (s *spool) inMemory(size int64) bool { return size < s.fileMin }

// reserve blocks until n bytes of the budget are free.
func (s *spool) reserve(ctx context.Context, n int64) error {
	if n > s.budget {
		n = s.budget
	}
	return s.sem.Acquire(ctx, n)
}

func (s *spool) release(n int64) {
	if n > s.budget {
		n = s.budget
	}
	if n > 0 {
		s.sem.Release(n)
	}
}

// body is one spooled message: the bytes fetched from host1, or those a
// rewrite hook produced.
type body struct {
	mem  []byte
	file *os.File
	size int64
	sp   *spool
}

// read consumes r into a new body. It fails when r ends before size bytes:
// a literal cut by a lost connection must never be appended.
func (s *spool) read(r io.Reader, size int64) (*body, error) {
	b := &body{sp: s}
	if s.inMemory(size) {
		// Exactly the literal's size: what the budget reserved.
		buf := make([]byte, size)
		n, err := io.ReadFull(r, buf)
		b.mem, b.size = buf[:n], int64(n)
		if err != nil {
			err = fmt.Errorf("message body cut short: got %d of %d bytes: %w", n, size, err)
			b.free()
			return nil, err
		}
		return b, nil
	}
	f, err := os.CreateTemp(s.tmpDir, "imapshift-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	os.Remove(f.Name()) // the open descriptor keeps the data alive
	n, err := io.Copy(f, r)
	b.file, b.size = f, n
	if err == nil && n != size {
		err = fmt.Errorf("message body cut short: got %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
	}
	if err != nil {
		b.free()
		return nil, fmt.Errorf("spool: %w", err)
	}
	return b, nil
}

// Len is the number of bytes that will be appended.
func (b *body) Len() int64 { return b.size }

// Reader returns the bytes to append, from the start.
func (b *body) Reader() (io.Reader, error) {
	var rest io.Reader
	if b.mem != nil {
		rest = bytes.NewReader(b.mem)
	} else {
		if _, err := b.file.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		rest = io.LimitReader(b.file, b.size)
	}
	return rest, nil
}

// Head returns up to n bytes from the start of the fetched message, for
// error messages (Subject, Date).
func (b *body) Head(n int) []byte {
	if b.mem != nil {
		m := b.mem
		if len(m) > n {
			m = m[:n]
		}
		return m
	}
	buf := make([]byte, n)
	k, _ := b.file.ReadAt(buf, 0)
	return buf[:k]
}

// free returns the memory or removes the file. It does not release budget.
func (b *body) free() {
	b.mem = nil
	if b.file != nil {
		b.file.Close()
		b.file = nil
	}
}
