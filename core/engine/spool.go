package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sync/semaphore"
)

// spool holds message bodies between the FETCH on host1 and the APPEND on
// host2. Bodies that fit the memory budget stay in memory; larger ones go
// to a temporary file, so memory never grows with message size.
//
// The budget is reserved for a whole batch before its FETCH is sent, so a
// host1 literal is never left half-read while waiting for memory (go-imap
// blocks its reader goroutine until a literal is consumed).
//
// Bodies in memory are held in chunks of chunkSize bytes that are reused
// from one message to the next: the heap stays at the budget instead of
// churning through a buffer per message (which the garbage collector frees
// late, and the runtime gives back to the system and faults in again).
type spool struct {
	sem     *semaphore.Weighted
	budget  int64
	fileMin int64 // bodies of at least this size go to a file
	tmpDir  string

	mu      sync.Mutex
	free    [][]byte // chunks to reuse
	maxFree int
}

// chunkSize is the unit in which bodies are held in memory.
const chunkSize = 8 << 10

// spillMin is the size from which bodies go to a file when the budget
// holds two of them: the default budget (8 MiB) spills the bodies of
// 4 MiB and more, as the 16 MiB default it replaced did, so that the
// lower budget saves memory without writing more to disk.
const spillMin = 4 << 20

func newSpool(budget int64, tmpDir string) *spool {
	if budget < 1<<20 {
		budget = 1 << 20
	}
	// Bodies of at least a quarter of the budget go to a file (and of at
	// least spillMin when the budget holds two of them).
	fileMin := budget / 4
	if budget >= 2*spillMin {
		fileMin = max(fileMin, spillMin)
	}
	return &spool{
		sem:     semaphore.NewWeighted(budget),
		budget:  budget,
		fileMin: fileMin,
		tmpDir:  tmpDir,
		maxFree: int(budget / chunkSize),
	}
}

// inMemory tells whether a body of this size is kept in memory.
func (s *spool) inMemory(size int64) bool { return size < s.fileMin }

// cost is the memory a body of this size holds: whole chunks when it is
// kept in memory, nothing when it goes to a file.
func (s *spool) cost(size int64) int64 {
	if !s.inMemory(size) {
		return 0
	}
	return (size + chunkSize - 1) / chunkSize * chunkSize
}

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

func (s *spool) chunk() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		c := s.free[n-1]
		s.free = s.free[:n-1]
		return c
	}
	return make([]byte, chunkSize)
}

func (s *spool) putChunks(cs [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		if len(s.free) >= s.maxFree {
			return
		}
		s.free = append(s.free, c[:chunkSize])
	}
}

// body is one spooled message: the bytes fetched from host1, or those a
// rewrite hook produced. It is in chunks, in mem or in file.
type body struct {
	chunks [][]byte // all full but the last
	mem    []byte
	file   *os.File
	size   int64
	sp     *spool
}

// read consumes r into a new body. It fails when r ends before size bytes:
// a literal cut by a lost connection must never be appended.
func (s *spool) read(r io.Reader, size int64) (*body, error) {
	b := &body{sp: s}
	if s.inMemory(size) {
		b.chunks = make([][]byte, 0, (size+chunkSize-1)/chunkSize)
		for b.size < size {
			c := s.chunk()
			n, err := io.ReadFull(r, c[:min(size-b.size, chunkSize)])
			b.chunks = append(b.chunks, c[:n])
			b.size += int64(n)
			if err != nil {
				err = fmt.Errorf("message body cut short: got %d of %d bytes: %w", b.size, size, err)
				b.free()
				return nil, err
			}
		}
		return b, nil
	}
	f, err := os.CreateTemp(s.tmpDir, "imapshift-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	os.Remove(f.Name()) // the open descriptor keeps the data alive
	n, err := copyFull(f, r)
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
	switch {
	case b.file != nil:
		if _, err := b.file.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return io.LimitReader(b.file, b.size), nil
	case b.mem != nil:
		return bytes.NewReader(b.mem), nil
	}
	return &chunkReader{chunks: b.chunks}, nil
}

// Bytes returns the fetched bytes in one slice (a copy unless the body is
// in mem).
func (b *body) Bytes() ([]byte, error) {
	switch {
	case b.file != nil:
		buf := make([]byte, b.size)
		if _, err := b.file.ReadAt(buf, 0); err != nil && err != io.EOF {
			return nil, err
		}
		return buf, nil
	case b.mem != nil:
		return b.mem, nil
	}
	buf := make([]byte, 0, b.size)
	for _, c := range b.chunks {
		buf = append(buf, c...)
	}
	return buf, nil
}

// Head returns up to n bytes from the start of the fetched message, for
// error messages (Subject, Date). The slice may share the body's memory:
// it is valid until free.
func (b *body) Head(n int) []byte {
	switch {
	case b.file != nil:
		buf := make([]byte, n)
		k, _ := b.file.ReadAt(buf, 0)
		return buf[:k]
	case b.mem != nil:
		return b.mem[:min(n, len(b.mem))]
	}
	if len(b.chunks) > 0 && len(b.chunks[0]) >= n {
		return b.chunks[0][:n]
	}
	buf := make([]byte, 0, n)
	for _, c := range b.chunks {
		if len(buf) == n {
			break
		}
		buf = append(buf, c[:min(len(c), n-len(buf))]...)
	}
	return buf
}

// free returns the memory (its chunks to the spool) or removes the file.
// It does not release budget. A nil body is nothing to free.
func (b *body) free() {
	if b == nil {
		return
	}
	if b.chunks != nil && b.sp != nil {
		b.sp.putChunks(b.chunks)
	}
	b.chunks, b.mem = nil, nil
	if b.file != nil {
		b.file.Close()
		b.file = nil
	}
}

// chunkReader reads a body's chunks in order.
type chunkReader struct {
	chunks [][]byte
	off    int // in chunks[0]
}

func (r *chunkReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(r.chunks) > 0 {
		k := copy(p[n:], r.chunks[0][r.off:])
		n += k
		r.off += k
		if r.off == len(r.chunks[0]) {
			r.chunks, r.off = r.chunks[1:], 0
		}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo writes the rest of the chunks to w.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(r.chunks) > 0 {
		k, err := w.Write(r.chunks[0][r.off:])
		total += int64(k)
		if err != nil {
			r.off += k
			return total, err
		}
		r.chunks, r.off = r.chunks[1:], 0
	}
	return total, nil
}

// fileBuf is the size of the writes of a body to its file.
const fileBuf = 64 << 10

// copyFull copies r to w in writes of fileBuf bytes: io.Copy would write
// each read, and a literal comes out of go-imap 4 KiB at a time.
func copyFull(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, fileBuf)
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			k, werr := w.Write(buf[:n])
			total += int64(k)
			if werr != nil {
				return total, werr
			}
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, err
		}
	}
}
