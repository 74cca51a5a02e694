package state

import (
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Summary is what the state holds of a pair besides its mappings
// ([Store.Scan]): the statuses of the last complete sync, as in
// [FolderState], and the number of mappings.
type Summary struct {
	HasStatus        bool
	Status1, Status2 Status
	Len              int
}

// Unchanged is [FolderState.Unchanged] for a summary.
func (s Summary) Unchanged(s1, s2 Status) bool {
	return s.HasStatus && s.Status1 == s1 && s.Status2 == s2
}

// Scan is [Store.Folder] for a caller that needs the mappings once, in
// passing, not to look them up: it reads the pair's status, asks want
// whether to go on (Len is not known yet), and then calls each with every
// mapping in ascending host1 UID order, without keeping them (key is only
// valid during the call). Nothing is allocated per mapping, where Folder
// copies every key.
//
// ok is false when the caller must use Folder instead, having discarded
// what each was given: want said no, the pair is unknown, a UIDVALIDITY
// differs from the stored one, or two mappings share a host2 UID (Folder
// invalidates the pair, or fixes it, and reports it). Scan only reads;
// want and each must not use the Store.
func (s *Store) Scan(p FolderPair, want func(Summary) bool, each func(uid1, uid2 uint32, key []byte)) (sum Summary, ok bool, err error) {
	defer guard(s.path, &err)
	if err := p.check(); err != nil {
		return sum, false, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFolders).Bucket(p.bucketName())
		if b == nil {
			return nil
		}
		m, err := decodeMeta(b.Get(keyMeta))
		if err != nil {
			return err
		}
		if m.validity1 != p.Validity1 || m.validity2 != p.Validity2 {
			return nil
		}
		sum = Summary{HasStatus: m.hasStatus && m.tag == p.Tag, Status1: m.status1, Status2: m.status2}
		if !want(sum) {
			return nil
		}
		var uid2s []uint32
		if u := b.Bucket(bucketUIDs); u != nil {
			uid2s = make([]uint32, 0, min(max(m.status1.Messages, m.status2.Messages), 1<<20))
			c := u.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if len(k) != 4 || len(v) < 4 {
					return fmt.Errorf("bad entry (key %d bytes, value %d bytes)", len(k), len(v))
				}
				uid2 := binary.BigEndian.Uint32(v)
				uid2s = append(uid2s, uid2)
				each(binary.BigEndian.Uint32(k), uid2, v[4:])
			}
		}
		if !slices.IsSorted(uid2s) {
			slices.Sort(uid2s)
		}
		for i := 1; i < len(uid2s); i++ {
			if uid2s[i] == uid2s[i-1] {
				return nil // a conflict: Folder fixes it
			}
		}
		sum.Len, ok = len(uid2s), true
		return nil
	})
	if err != nil {
		return Summary{}, false, fmt.Errorf("state: load %s: %w", p, err)
	}
	return sum, ok, nil
}
