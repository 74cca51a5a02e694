package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedFileIsSetAside: a state file cut short, shrunk below two
// pages, or with its header pages overwritten is refused by Open with
// ErrCorrupt (never a fault or a panic), and OpenOrReset renames it to
// <name>.damaged, byte for byte, and opens an empty state that works:
// no folder is known, and new writes survive a reopen. An empty file is
// not damaged: bbolt makes it a new state.
func TestDamagedFileIsSetAside(t *testing.T) {
	p := pair("INBOX", 7, 9)
	for _, tt := range []struct {
		name    string
		damage  func(t *testing.T, path string, size int64)
		damaged bool
	}{
		{"truncated in the middle", func(t *testing.T, path string, size int64) { truncate(t, path, size/2) }, true},
		{"truncated after the header pages", func(t *testing.T, path string, _ int64) { truncate(t, path, 3*int64(os.Getpagesize())) }, true},
		{"shorter than the header", func(t *testing.T, path string, _ int64) { truncate(t, path, 100) }, true},
		{"header pages overwritten", func(t *testing.T, path string, _ int64) {
			overwrite(t, path, 0, bytes.Repeat([]byte{0xA5}, 2*os.Getpagesize()))
		}, true},
		{"emptied", func(t *testing.T, path string, _ int64) { truncate(t, path, 0) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, s, p, 5000)
			fill(t, s, pair("Archive", 3, 4), 5000)
			s.Close()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, path, fi.Size())
			before, _ := os.ReadFile(path)

			s0, err := Open(path)
			if got := errors.Is(err, ErrCorrupt); got != tt.damaged {
				t.Fatalf("Open: %v, ErrCorrupt %v, want %v", err, got, tt.damaged)
			}
			if !tt.damaged {
				if err != nil {
					t.Fatal(err)
				}
				if f := mustFolder(t, s0, p); f.Len() != 0 {
					t.Errorf("an emptied file knows %d entries", f.Len())
				}
				s0.Close()
				return
			}
			s, damaged, err := OpenOrReset(path)
			if err != nil {
				t.Fatalf("OpenOrReset: %v", err)
			}
			defer s.Close()
			if damaged == nil || !errors.Is(damaged, ErrCorrupt) || strings.Contains(damaged.Error(), "\n") ||
				!strings.Contains(damaged.Error(), path+".damaged") {
				t.Errorf("damaged = %v, want one line naming %s.damaged", damaged, path)
			}
			aside, err := os.ReadFile(path + ".damaged")
			if err != nil || !bytes.Equal(aside, before) {
				t.Errorf("the damaged file was not kept as it was (%v)", err)
			}
			f := mustFolder(t, s, p)
			if f.Len() != 0 || f.HasStatus || f.Invalidated {
				t.Errorf("fresh state knows %d entries, status %v", f.Len(), f.HasStatus)
			}
			b := s.Batch(p)
			b.Put(1, 2, "k")
			mustCommit(t, b)
			s.Close()
			s, err = Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := all(mustFolder(t, s, p)); len(got) != 1 || got[0] != (Mapping{1, 2, "k"}) {
				t.Errorf("after reopen: %v", got)
			}
		})
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func overwrite(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
