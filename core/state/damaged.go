package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// ErrCorrupt is returned (wrapped, with the path and what is wrong) by
// [Open] for a state file that is not a sound bbolt file: truncated, its
// header pages overwritten, or failing when read. [OpenOrReset] sets such
// a file aside and starts an empty state.
var ErrCorrupt = errors.New("state file is damaged")

// OpenOrReset opens the state file at path like [Open]. When the file is
// damaged ([ErrCorrupt]) it is renamed to <path>.damaged (replacing an
// older one) and an empty state is opened in its place: damaged reports
// what happened, in one line, for the caller to print as a warning, and
// the run compares headers as on a first run. Any other error (a lock
// held by another run, a directory that cannot be created) is returned
// as err, and the file is left alone.
func OpenOrReset(path string) (s *Store, damaged, err error) {
	s, err = Open(path)
	if !errors.Is(err, ErrCorrupt) {
		return s, nil, err
	}
	aside := path + ".damaged"
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, nil, fmt.Errorf("%w; could not set it aside: %v", err, rerr)
	}
	damaged = fmt.Errorf("%w; set aside as %s, starting an empty state (headers are compared this run)", err, aside)
	s, err = Open(path)
	return s, damaged, err
}

// bbolt's file header, as laid out by go.etcd.io/bbolt v1.5 (format
// version 2): every page starts with a 16-byte header; pages 0 and 1 hold
// the two meta records, of which the valid one with the larger
// transaction id is current.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaLen    = 64 // up to and including the checksum
	boltSumLen     = 56 // the bytes the checksum covers
)

// checkFile looks at the header of an existing state file before bbolt
// maps it: a file cut short would make bbolt read past its end, which is
// a fault (SIGBUS) rather than an error. It returns an error wrapping
// ErrCorrupt when no meta page is valid or when the file is shorter than
// the pages the current meta page claims. A missing or empty file is
// fine (bbolt creates it).
func checkFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	corrupt := func(why string, args ...any) error {
		return fmt.Errorf("state: %s: %w (%s)", path, ErrCorrupt, fmt.Sprintf(why, args...))
	}
	head := make([]byte, boltPageHeader+boltMetaLen)
	if _, err := f.ReadAt(head, 0); err != nil {
		return corrupt("%d bytes, too short for a header", size)
	}
	pageSize := int64(binary.NativeEndian.Uint32(head[boltPageHeader+8:]))
	if pageSize < 512 || pageSize > 1<<20 {
		pageSize = int64(os.Getpagesize())
	}
	var best struct {
		ok         bool
		txid, pgid uint64
	}
	for i := int64(0); i < 2; i++ {
		m := make([]byte, boltMetaLen)
		if _, err := f.ReadAt(m, i*pageSize+boltPageHeader); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("state: %w", err)
		}
		if binary.NativeEndian.Uint32(m) != boltMagic || binary.NativeEndian.Uint32(m[4:]) != boltVersion {
			continue
		}
		h := fnv.New64a()
		h.Write(m[:boltSumLen])
		if h.Sum64() != binary.NativeEndian.Uint64(m[boltSumLen:]) {
			continue
		}
		txid, pgid := binary.NativeEndian.Uint64(m[48:]), binary.NativeEndian.Uint64(m[40:])
		if !best.ok || txid > best.txid {
			best.ok, best.txid, best.pgid = true, txid, pgid
		}
	}
	switch {
	case !best.ok:
		return corrupt("no valid header page")
	case int64(best.pgid)*pageSize > size:
		return corrupt("%d bytes where the header claims %d: the file was cut short", size, int64(best.pgid)*pageSize)
	}
	return nil
}

// guard turns a panic of bbolt reading a damaged page into an error
// wrapping ErrCorrupt, stored in *err.
func guard(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("state: %s: %w (%v)", path, ErrCorrupt, r)
	}
}
