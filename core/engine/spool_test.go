package engine

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestSpoolRoundTrip reads bodies of sizes around the chunk size into the
// spool, in memory and in a file, and checks that Reader (both through
// Read and WriteTo), Bytes and Head give back exactly the bytes read.
func TestSpoolRoundTrip(t *testing.T) {
	s := newSpool(1<<20, t.TempDir()) // bodies of 256 KiB and more go to a file
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17, 256<<10 - 1, 256 << 10, 300 << 10} {
		raw := make([]byte, size)
		for i := range raw {
			raw[i] = byte(i*7 + i/chunkSize)
		}
		b, err := s.read(iotestHalfReader{bytes.NewReader(raw)}, int64(size))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if b.Len() != int64(size) {
			t.Fatalf("size %d: Len %d", size, b.Len())
		}
		if inFile := b.file != nil; inFile != !s.inMemory(int64(size)) {
			t.Fatalf("size %d: in a file %v", size, inFile)
		}
		r, _ := b.Reader()
		got, _ := io.ReadAll(iotestHalfReader{r})
		if !bytes.Equal(got, raw) {
			t.Fatalf("size %d: Read gave %d different bytes", size, len(got))
		}
		r, _ = b.Reader()
		var w bytes.Buffer
		if _, err := io.Copy(&w, r); err != nil || !bytes.Equal(w.Bytes(), raw) {
			t.Fatalf("size %d: WriteTo gave %d different bytes (%v)", size, w.Len(), err)
		}
		if all, _ := b.Bytes(); !bytes.Equal(all, raw) {
			t.Fatalf("size %d: Bytes differ", size)
		}
		for _, n := range []int{10, chunkSize + 5} {
			want := raw[:min(n, size)]
			if h := b.Head(n); !bytes.Equal(h, want) {
				t.Fatalf("size %d: Head(%d) gave %d bytes", size, n, len(h))
			}
		}
		b.free()
	}
}

// TestSpoolReusesChunks checks that the chunks of a freed body serve the
// next one (the heap does not grow with the number of messages) and that
// the spool keeps no more spare chunks than its budget.
func TestSpoolReusesChunks(t *testing.T) {
	s := newSpool(1<<20, t.TempDir())
	raw := []byte(strings.Repeat("x", 5*chunkSize))
	b, _ := s.read(bytes.NewReader(raw), int64(len(raw)))
	first := &b.chunks[0][0]
	b.free()
	if len(s.free) != 5 {
		t.Fatalf("%d spare chunks after freeing a 5-chunk body, want 5", len(s.free))
	}
	b, _ = s.read(bytes.NewReader(raw), int64(len(raw)))
	reused := false
	for _, c := range b.chunks {
		reused = reused || &c[0] == first
	}
	if !reused || len(s.free) != 0 {
		t.Fatalf("chunks not reused (%d spare)", len(s.free))
	}
	var bodies []*body
	for range 2 * s.maxFree / 5 {
		b, _ := s.read(bytes.NewReader(raw), int64(len(raw)))
		bodies = append(bodies, b)
	}
	for _, b := range bodies {
		b.free()
	}
	if len(s.free) != s.maxFree {
		t.Fatalf("%d spare chunks, want the budget's %d", len(s.free), s.maxFree)
	}
	if got, want := s.cost(1), int64(chunkSize); got != want {
		t.Fatalf("cost(1) = %d, want %d", got, want)
	}
	if got := s.cost(s.fileMin); got != 0 {
		t.Fatalf("cost of a body that goes to a file = %d, want 0", got)
	}
}

// TestSpoolCutShort: a literal that ends early is an error, in memory and
// in a file, and its chunks go back to the spool.
func TestSpoolCutShort(t *testing.T) {
	s := newSpool(1<<20, t.TempDir())
	for _, size := range []int64{3 * chunkSize, 512 << 10} {
		if _, err := s.read(bytes.NewReader(make([]byte, size-1)), size); err == nil || !strings.Contains(err.Error(), "cut short") {
			t.Fatalf("size %d: error %v, want cut short", size, err)
		}
	}
	if len(s.free) != 3 {
		t.Fatalf("%d spare chunks after a cut body, want 3", len(s.free))
	}
}

// iotestHalfReader returns at most half of what is asked (at least one
// byte), as a network reader may.
type iotestHalfReader struct{ r io.Reader }

func (h iotestHalfReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:len(p)/2]
	}
	return h.r.Read(p)
}

// TestSpoolFileThreshold: bodies of a quarter of the budget go to a file,
// but a budget that holds two of 4 MiB (the default 8 MiB) keeps those
// under 4 MiB in memory.
func TestSpoolFileThreshold(t *testing.T) {
	for _, tc := range []struct{ budget, fileMin int64 }{
		{1 << 20, 256 << 10},
		{4 << 20, 1 << 20},
		{8 << 20, 4 << 20},
		{16 << 20, 4 << 20},
		{64 << 20, 16 << 20},
	} {
		s := newSpool(tc.budget, t.TempDir())
		if s.fileMin != tc.fileMin {
			t.Errorf("budget %d: bodies go to a file from %d bytes, want %d", tc.budget, s.fileMin, tc.fileMin)
		}
		if !s.inMemory(tc.fileMin-1) || s.inMemory(tc.fileMin) {
			t.Errorf("budget %d: inMemory disagrees with the threshold %d", tc.budget, tc.fileMin)
		}
	}
}
