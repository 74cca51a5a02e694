// Package journal is the write-ahead record of the APPENDs in flight to
// host2. A pipelined APPEND that was written to host2's socket may still be
// stored by host2 after the process that sent it died: the server reads
// what is already in its socket buffer and stores it. A run that starts
// after such a death must know which host2 folders may still be receiving
// messages, and which identity keys those messages carry, so that it can
// wait for the folders to settle before reading them and remove the extra
// copies that the two runs together may have left.
//
// The journal is one append-only file per account pair. Before a batch of
// APPENDs is written to host2, [Journal.Sending] records the folder, the
// folder's UIDVALIDITY and UIDNEXT when the run started writing to it, the
// batch's identity keys and the writer's PID, and syncs the file to disk.
// When host2 has answered for the batch, [Journal.Settled] records that.
// [Load] replays the file and returns what is still in doubt: the keys sent
// and never settled, per folder. A run that ends cleanly removes the file
// with [Journal.Close].
//
// Records are JSON lines. A line cut short by a crash is ignored, as is a
// line that follows it: the file's valid prefix is what was recorded.
package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Folder is what one host2 folder may still receive from a dead run.
type Folder struct {
	Name string // host2 folder name (UTF-8)
	// Validity and UIDNext are host2's UIDVALIDITY and UIDNEXT when the run
	// started writing to the folder: every message it appended has a UID
	// at or above UIDNext.
	Validity, UIDNext uint32
	// Keys are the identity keys sent and never settled, sorted, each once.
	Keys []string
}

// Pending is what a journal file holds in doubt.
type Pending struct {
	PID     int      // the process that wrote the journal last
	Folders []Folder // sorted by name; only folders with keys in doubt
}

// Empty reports whether nothing is in doubt.
func (p *Pending) Empty() bool { return p == nil || len(p.Folders) == 0 }

// Keys returns the number of messages in doubt.
func (p *Pending) Keys() (n int) {
	if p == nil {
		return 0
	}
	for _, f := range p.Folders {
		n += len(f.Keys)
	}
	return n
}

// record is one line of the file.
type record struct {
	Op       string   `json:"op"` // "send" or "settle"
	PID      int      `json:"pid"`
	Folder   string   `json:"folder"`
	Validity uint32   `json:"validity,omitempty"`
	UIDNext  uint32   `json:"uidnext,omitempty"`
	Batch    uint64   `json:"batch"`
	Keys     []string `json:"keys,omitempty"`
}

// Load reads the journal at path. A missing file is an empty journal.
func Load(path string) (*Pending, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Pending{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	type folderState struct {
		validity, uidnext uint32
		keys              map[string]int // key -> batches in doubt holding it
	}
	folders := map[string]*folderState{}
	batches := map[uint64]record{}
	p := &Pending{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			break // a line cut by a crash ends the valid prefix
		}
		p.PID = r.PID
		switch r.Op {
		case "send":
			fs := folders[r.Folder]
			if fs == nil || fs.validity != r.Validity {
				fs = &folderState{validity: r.Validity, uidnext: r.UIDNext, keys: map[string]int{}}
				folders[r.Folder] = fs
			}
			if r.UIDNext < fs.uidnext {
				fs.uidnext = r.UIDNext
			}
			for _, k := range r.Keys {
				fs.keys[k]++
			}
			batches[r.Batch] = r
		case "settle":
			b, ok := batches[r.Batch]
			if !ok {
				continue
			}
			delete(batches, r.Batch)
			if fs := folders[b.Folder]; fs != nil && fs.validity == b.Validity {
				for _, k := range b.Keys {
					if fs.keys[k]--; fs.keys[k] <= 0 {
						delete(fs.keys, k)
					}
				}
			}
		}
	}
	for name, fs := range folders {
		if len(fs.keys) == 0 {
			continue
		}
		f := Folder{Name: name, Validity: fs.validity, UIDNext: fs.uidnext}
		for k := range fs.keys {
			f.Keys = append(f.Keys, k)
		}
		slices.Sort(f.Keys)
		p.Folders = append(p.Folders, f)
	}
	slices.SortFunc(p.Folders, func(a, b Folder) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return p, nil
}

// Journal is an open journal file, written by one run. Its methods are
// safe for concurrent use.
type Journal struct {
	path string
	pid  int
	mu   sync.Mutex
	f    *os.File
	next uint64
	err  error
}

// Open opens (creating it and its directory) the journal at path for
// appending. Records already there are kept: they stay in doubt until
// [Journal.Clear] or [Journal.Close] with done.
func Open(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{path: path, pid: os.Getpid(), f: f}, nil
}

// Path returns the file's path.
func (j *Journal) Path() string { return j.path }

// Batch identifies a batch recorded by Sending.
type Batch uint64

// Sending records, durably, that the messages with keys are about to be
// appended to host2's folder (UIDVALIDITY validity, UIDNEXT uidnext when
// the run started writing to it). It returns once the record is on disk;
// an error means nothing may be sent.
func (j *Journal) Sending(folder string, validity, uidnext uint32, keys []string) (Batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	id := j.next
	return Batch(id), j.write(record{Op: "send", PID: j.pid, Folder: folder, Validity: validity, UIDNext: uidnext, Batch: id, Keys: keys})
}

// Sends is one batch of SendingMany: messages with Keys about to be
// appended to host2's Folder, as for Sending.
type Sends struct {
	Folder            string
	Validity, UIDNext uint32
	Keys              []string
}

// SendingMany is Sending for several batches, with one sync to disk for
// all: it returns their Batches, in order, once the records are on disk.
func (j *Journal) SendingMany(batches []Sends) ([]Batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ids := make([]Batch, len(batches))
	for i, b := range batches {
		j.next++
		ids[i] = Batch(j.next)
		if err := j.put(record{Op: "send", PID: j.pid, Folder: b.Folder, Validity: b.Validity, UIDNext: b.UIDNext, Batch: j.next, Keys: b.Keys}); err != nil {
			return nil, err
		}
	}
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("journal: %w", err)
		return nil, j.err
	}
	return ids, nil
}

// Settled records that host2 answered for every message of batch b
// (stored or refused: either way nothing of it is still in flight). It is
// not synced to disk: a settle record lost in a crash only makes the next
// run check a folder that needed no check.
func (j *Journal) Settled(b Batch) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.write(record{Op: "settle", PID: j.pid, Batch: uint64(b)})
}

func (j *Journal) write(r record) error {
	if err := j.put(r); err != nil {
		return err
	}
	if r.Op == "send" {
		if err := j.f.Sync(); err != nil {
			j.err = fmt.Errorf("journal: %w", err)
			return j.err
		}
	}
	return nil
}

// put writes r, without syncing it.
func (j *Journal) put(r record) error {
	if j.err != nil {
		return j.err
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		j.err = fmt.Errorf("journal: %w", err)
		return j.err
	}
	return nil
}

// Clear forgets every record: what was in doubt has been checked. The file
// is truncated and synced.
func (j *Journal) Clear() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return j.f.Sync()
}

// Close closes the file. With done (nothing is in flight any more and
// what was in doubt has been checked), the file is removed; otherwise it
// stays for the next run.
func (j *Journal) Close(done bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.f.Close()
	if done && j.err == nil {
		if rerr := os.Remove(j.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	}
	return err
}
