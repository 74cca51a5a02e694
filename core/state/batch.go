package state

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A Batch collects writes to one folder pair and commits them in one bbolt
// transaction, so a resync of 10,000 messages is a handful of transactions
// (one per Commit). A Batch may be committed several times: each Commit
// writes what was collected since the previous one. It is safe for
// concurrent use.
//
// The UIDVALIDITYs of the pair are written with every commit. If the
// stored ones differ (the folder was recreated on a side since the last
// [Store.Folder]), the stale entries are dropped first, as Folder would.
type Batch struct {
	s    *Store
	p    FolderPair
	name []byte

	mu     sync.Mutex
	ops    []op
	status *[2]Status
	err    error
}

type op struct {
	uid1, uid2 uint32
	key        string
	del        bool
}

// Batch starts a batch of writes to the pair p.
func (s *Store) Batch(p FolderPair) *Batch {
	b := &Batch{s: s, p: p, name: p.bucketName()}
	b.err = p.check()
	return b
}

// Put records that host1 UID uid1 is host2 UID uid2, with identity key
// key. The engine calls it only once host2 has the message: after an
// APPEND that returned APPENDUID, or after header matching found it. A
// later Put or Delete of the same uid1 in the batch wins.
func (b *Batch) Put(uid1, uid2 uint32, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if uid1 == 0 || uid2 == 0 {
		if b.err == nil {
			b.err = fmt.Errorf("state: %s: Put(%d, %d): a UID is never 0", b.p, uid1, uid2)
		}
		return
	}
	b.ops = append(b.ops, op{uid1: uid1, uid2: uid2, key: key})
}

// Delete forgets host1 UID uid1 (expunged on host1, or its host2 copy is
// gone). Deleting an unknown UID is not an error.
func (b *Batch) Delete(uid1 uint32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ops = append(b.ops, op{uid1: uid1, del: true})
}

// SetStatus records the status of both folders, to be written by the next
// Commit. The engine calls it last, when every message of the folder is
// recorded: a commit that changes mappings without a status clears the
// stored one, so an interrupted folder sync is never taken as unchanged.
func (b *Batch) SetStatus(s1, s2 Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status = &[2]Status{s1, s2}
}

// Commit writes the collected writes in one transaction: all of them are
// in the file afterwards, or, after an error or a crash, none. On success
// the batch is empty again; on an error its writes are kept, so Commit may
// be retried. A Put with a zero UID fails every Commit of the batch (an
// engine bug; nothing of the batch is written). Committing an empty batch
// does nothing.
func (b *Batch) Commit() (err error) {
	defer guard(b.s.path, &err)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if len(b.ops) == 0 && b.status == nil {
		return nil
	}
	ops := lastPerUID(b.ops)
	err = b.s.db.Update(func(tx *bolt.Tx) error {
		return b.write(tx, ops)
	})
	if err != nil {
		return fmt.Errorf("state: commit %s: %w", b.p, err)
	}
	b.ops = b.ops[:0]
	b.status = nil
	return nil
}

func (b *Batch) write(tx *bolt.Tx, ops []op) error {
	folders := tx.Bucket(bucketFolders)
	pb, err := folders.CreateBucketIfNotExists(b.name)
	if err != nil {
		return err
	}
	m := meta{validity1: b.p.Validity1, validity2: b.p.Validity2}
	if raw := pb.Get(keyMeta); raw != nil {
		old, err := decodeMeta(raw)
		if err != nil {
			return err
		}
		if old.validity1 == m.validity1 && old.validity2 == m.validity2 {
			m.hasStatus, m.status1, m.status2, m.tag = old.hasStatus, old.status1, old.status2, old.tag
		} else if err := pb.DeleteBucket(bucketUIDs); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
	}
	u, err := pb.CreateBucketIfNotExists(bucketUIDs)
	if err != nil {
		return err
	}
	// UIDs mostly arrive in ascending order: pack the pages fuller than
	// bbolt's default of half.
	u.FillPercent = 0.9
	// One buffer for all keys and values; bbolt needs them until commit.
	n := 0
	for _, o := range ops {
		n += 8 + len(o.key)
	}
	buf := make([]byte, 0, n)
	for _, o := range ops {
		start := len(buf)
		buf = binary.BigEndian.AppendUint32(buf, o.uid1)
		k := buf[start:len(buf):len(buf)]
		if o.del {
			if err := u.Delete(k); err != nil {
				return err
			}
			continue
		}
		buf = binary.BigEndian.AppendUint32(buf, o.uid2)
		buf = append(buf, o.key...)
		if err := u.Put(k, buf[start+4:len(buf):len(buf)]); err != nil {
			return err
		}
	}
	switch {
	case b.status != nil:
		m.hasStatus, m.status1, m.status2, m.tag = true, b.status[0], b.status[1], b.p.Tag
	case len(ops) > 0:
		m.hasStatus, m.status1, m.status2 = false, Status{}, Status{}
	}
	m.updated = time.Now()
	return pb.Put(keyMeta, m.encode())
}

// lastPerUID sorts the operations by host1 UID, keeping the last one of
// each UID in call order.
func lastPerUID(ops []op) []op {
	s := slices.Clone(ops)
	slices.SortStableFunc(s, func(a, b op) int { return cmp.Compare(a.uid1, b.uid1) })
	out := s[:0]
	for i, o := range s {
		if i+1 < len(s) && s[i+1].uid1 == o.uid1 {
			continue
		}
		out = append(out, o)
	}
	return out
}

// CommitAll commits the batches, all of this Store, in one transaction
// (one file sync instead of one per batch): all of their writes are in
// the file afterwards, or none. A batch that cannot be committed (a zero
// UID, see Commit) fails the whole call and nothing is written. On
// success every batch is empty again.
func (s *Store) CommitAll(bs ...*Batch) (err error) {
	defer guard(s.path, &err)
	var todo []*Batch
	for _, b := range bs {
		if b == nil {
			continue
		}
		if b.s != s {
			return fmt.Errorf("state: commit %s: a batch of another state file", b.p)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.err != nil {
			return b.err
		}
		if len(b.ops) > 0 || b.status != nil {
			todo = append(todo, b)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range todo {
			if err := b.write(tx, lastPerUID(b.ops)); err != nil {
				return fmt.Errorf("%s: %w", b.p, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	for _, b := range todo {
		b.ops = b.ops[:0]
		b.status = nil
	}
	return nil
}
