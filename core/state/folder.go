package state

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FolderPair identifies a folder pair: host1 (host, user, folder,
// UIDVALIDITY) and host2 (host, user, folder, UIDVALIDITY). Hosts are
// compared case-insensitively; users and folder names (as sent on the
// wire) exactly.
type FolderPair struct {
	Host1, User1, Folder1 string
	Validity1             uint32
	Host2, User2, Folder2 string
	Validity2             uint32
	// Tag is a fingerprint of the options the stored status holds for
	// (those that decide which messages are identified and copied). It is
	// not part of the pair's identity: the status saved under another Tag
	// is not reported (HasStatus false), while the mappings stay.
	Tag uint64
}

func (p FolderPair) String() string {
	return fmt.Sprintf("%s@%s/%q (%d) -> %s@%s/%q (%d)",
		p.User1, p.Host1, p.Folder1, p.Validity1, p.User2, p.Host2, p.Folder2, p.Validity2)
}

// bucketName encodes the identity of the pair without the UIDVALIDITYs:
// each field length-prefixed, so no two pairs share a name.
func (p FolderPair) bucketName() []byte {
	fields := [...]string{strings.ToLower(p.Host1), p.User1, p.Folder1, strings.ToLower(p.Host2), p.User2, p.Folder2}
	n := 0
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func (p FolderPair) check() error {
	if p.Validity1 == 0 || p.Validity2 == 0 {
		return fmt.Errorf("state: %s: %w", p, ErrNoUIDValidity)
	}
	return nil
}

// Status is the status of a folder as last seen: UIDNEXT, MESSAGES and
// HIGHESTMODSEQ (0 without CONDSTORE).
type Status struct {
	UIDNext, Messages uint32
	HighestModSeq     uint64
}

// meta is the "meta" value of a pair bucket.
type meta struct {
	validity1, validity2 uint32
	hasStatus            bool
	status1, status2     Status
	updated              time.Time
	tag                  uint64 // FolderPair.Tag of the status
}

// metaLen is the length of a meta record without its tag, which older
// files lack (read as tag 0).
const metaLen = 1 + 4 + 4 + 1 + 2*(4+4+8) + 8

func (m meta) encode() []byte {
	b := make([]byte, 0, metaLen)
	b = append(b, formatVersion)
	b = binary.BigEndian.AppendUint32(b, m.validity1)
	b = binary.BigEndian.AppendUint32(b, m.validity2)
	if m.hasStatus {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, s := range [2]Status{m.status1, m.status2} {
		b = binary.BigEndian.AppendUint32(b, s.UIDNext)
		b = binary.BigEndian.AppendUint32(b, s.Messages)
		b = binary.BigEndian.AppendUint64(b, s.HighestModSeq)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(m.updated.UnixNano()))
	return binary.BigEndian.AppendUint64(b, m.tag)
}

func decodeMeta(b []byte) (meta, error) {
	var m meta
	if len(b) < metaLen || b[0] != formatVersion {
		return m, fmt.Errorf("bad meta record (%d bytes)", len(b))
	}
	m.validity1 = binary.BigEndian.Uint32(b[1:])
	m.validity2 = binary.BigEndian.Uint32(b[5:])
	m.hasStatus = b[9] == 1
	o := 10
	for _, s := range [2]*Status{&m.status1, &m.status2} {
		s.UIDNext = binary.BigEndian.Uint32(b[o:])
		s.Messages = binary.BigEndian.Uint32(b[o+4:])
		s.HighestModSeq = binary.BigEndian.Uint64(b[o+8:])
		o += 16
	}
	m.updated = time.Unix(0, int64(binary.BigEndian.Uint64(b[o:])))
	if len(b) >= metaLen+8 {
		m.tag = binary.BigEndian.Uint64(b[metaLen:])
	}
	return m, nil
}

// uidKey is the bbolt key of a host1 UID: big endian, so keys sort as UIDs.
func uidKey(uid uint32) []byte { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), uid) }

// Mapping is one entry of the state: host1 UID, host2 UID, identity key.
type Mapping struct {
	UID1, UID2 uint32
	Key        string
}

// FolderState is a snapshot of the state of one folder pair, as loaded by
// [Store.Folder]. Later batches do not change it. Its methods may be
// called from several goroutines, except [FolderState.Prune], which
// modifies it.
type FolderState struct {
	// Invalidated is set when a UIDVALIDITY of the pair differed from the
	// stored one: the entries and status were dropped, and the engine
	// must fall back to header matching for this folder.
	Invalidated bool

	// HasStatus tells that Status1 and Status2 are the statuses at the end
	// of the last complete sync of the folder (see [FolderState.Unchanged]).
	HasStatus bool
	// Status last seen on each side, to skip unchanged folders on resync.
	Status1, Status2 Status

	// Updated is the time of the last commit to the pair (zero if none).
	Updated time.Time

	// Conflicts are the host1 UIDs dropped when loading because another,
	// larger host1 UID claimed the same host2 UID (imapsync's cache_map
	// rule). They were deleted from the file too.
	Conflicts []uint32

	entries []Mapping // sorted by UID1, unique UID1 and UID2
	byUID2  []int32   // indexes into entries, sorted by UID2
}

// Lookup returns the host2 UID and the identity key stored for a host1 UID.
func (f *FolderState) Lookup(uid1 uint32) (uid2 uint32, key string, ok bool) {
	i, found := slices.BinarySearchFunc(f.entries, uid1, func(m Mapping, u uint32) int { return cmpU32(m.UID1, u) })
	if !found {
		return 0, "", false
	}
	return f.entries[i].UID2, f.entries[i].Key, true
}

// LookupUID2 returns the host1 UID and the identity key stored for a host2
// UID (for --useuid --delete2: a host2 message not in the state is "not in
// cache").
func (f *FolderState) LookupUID2(uid2 uint32) (uid1 uint32, key string, ok bool) {
	i, found := slices.BinarySearchFunc(f.byUID2, uid2, func(j int32, u uint32) int { return cmpU32(f.entries[j].UID2, u) })
	if !found {
		return 0, "", false
	}
	m := f.entries[f.byUID2[i]]
	return m.UID1, m.Key, true
}

// Len returns the number of mappings.
func (f *FolderState) Len() int { return len(f.entries) }

// Range calls fn for every mapping in ascending host1 UID order, until fn
// returns false.
func (f *FolderState) Range(fn func(uid1, uid2 uint32, key string) bool) {
	for _, m := range f.entries {
		if !fn(m.UID1, m.UID2, m.Key) {
			return
		}
	}
}

// Unchanged reports whether a status was stored at the end of the last
// complete sync and both current statuses equal it, so the folder can be
// skipped. It is false after an invalidation, for a new pair, and after a
// sync that did not finish.
func (f *FolderState) Unchanged(s1, s2 Status) bool {
	return f.HasStatus && !f.Invalidated && f.Status1 == s1 && f.Status2 == s2
}

// Prune drops from the snapshot the mappings whose host1 UID is not on
// host1 or whose host2 UID is not on host2 (a nil function means "all
// present"), the other half of imapsync's cache load rule. It returns the
// dropped host1 UIDs, in ascending order, for the engine to Delete in a
// batch.
func (f *FolderState) Prune(has1, has2 func(uid uint32) bool) []uint32 {
	var dropped []uint32
	kept := f.entries[:0:0]
	for _, m := range f.entries {
		if (has1 != nil && !has1(m.UID1)) || (has2 != nil && !has2(m.UID2)) {
			dropped = append(dropped, m.UID1)
			continue
		}
		kept = append(kept, m)
	}
	if dropped != nil {
		f.entries = kept
		f.byUID2 = indexByUID2(kept)
	}
	return dropped
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Folder returns the stored mapping of a pair. When either UIDVALIDITY
// differs from what is stored for that folder pair, the pair's entries and
// status are dropped and Invalidated is reported (the engine then falls
// back to header matching: never a mass delete and recopy). A pair never
// seen gives an empty state. Entries that break the cache_map rule are
// dropped and reported in Conflicts.
//
// Folder only reads, except in those two rare cases, where it writes the
// fix in one transaction.
func (s *Store) Folder(p FolderPair) (_ *FolderState, err error) {
	defer guard(s.path, &err)
	if err := p.check(); err != nil {
		return nil, err
	}
	name := p.bucketName()
	var st *FolderState
	var fix bool
	err = s.db.View(func(tx *bolt.Tx) error {
		var invalid, conflict bool
		var err error
		st, invalid, conflict, err = load(tx.Bucket(bucketFolders).Bucket(name), p)
		fix = invalid || conflict
		return err
	})
	if err == nil && fix {
		// Rare: redo the load in a write transaction and fix the file.
		err = s.db.Update(func(tx *bolt.Tx) error {
			var err error
			st, err = loadFix(tx.Bucket(bucketFolders), name, p)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("state: load %s: %w", p, err)
	}
	return st, nil
}

// load reads a pair bucket (nil for a new pair). invalid is set, and st is
// nil, when a UIDVALIDITY differs; conflict is set when two entries share
// a host2 UID.
func load(b *bolt.Bucket, p FolderPair) (st *FolderState, invalid, conflict bool, err error) {
	st = &FolderState{}
	if b == nil {
		return st, false, false, nil
	}
	m, err := decodeMeta(b.Get(keyMeta))
	if err != nil {
		return nil, false, false, err
	}
	if m.validity1 != p.Validity1 || m.validity2 != p.Validity2 {
		return nil, true, false, nil
	}
	st.HasStatus, st.Status1, st.Status2, st.Updated = m.hasStatus && m.tag == p.Tag, m.status1, m.status2, m.updated
	u := b.Bucket(bucketUIDs)
	if u == nil {
		return st, false, false, nil
	}
	// The messages of the last complete sync: as many entries, usually.
	st.entries, err = readEntries(u, int(min(max(m.status1.Messages, m.status2.Messages), 1<<20)))
	if err != nil {
		return nil, false, false, err
	}
	st.byUID2 = indexByUID2(st.entries)
	return st, false, hasUID2Conflict(st.entries, st.byUID2), nil
}

// loadFix is load in a write transaction: it drops an invalidated pair,
// and deletes the losers of the cache_map rule.
func loadFix(folders *bolt.Bucket, name []byte, p FolderPair) (*FolderState, error) {
	st, invalid, conflict, err := load(folders.Bucket(name), p)
	switch {
	case err != nil:
		return nil, err
	case invalid:
		if err := folders.DeleteBucket(name); err != nil {
			return nil, err
		}
		return &FolderState{Invalidated: true}, nil
	case !conflict:
		return st, nil
	}
	kept, dropped := reconcileUID2(st.entries, st.byUID2)
	u := folders.Bucket(name).Bucket(bucketUIDs)
	for _, d := range dropped {
		if err := u.Delete(uidKey(d.UID1)); err != nil {
			return nil, err
		}
		st.Conflicts = append(st.Conflicts, d.UID1)
	}
	st.entries = kept
	st.byUID2 = indexByUID2(kept)
	return st, nil
}

// readEntries walks the uids bucket in UID order. The keys are copied into
// one string shared by all entries: two allocations instead of one per
// entry (bbolt's memory is only valid inside the transaction), and no
// copy of that string (a strings.Builder hands its bytes over). hint is
// the number of entries expected, to size the slices at once.
func readEntries(u *bolt.Bucket, hint int) ([]Mapping, error) {
	entries := make([]Mapping, 0, hint)
	ends := make([]int, 0, hint)
	var arena strings.Builder
	arena.Grow(hint * 64)
	c := u.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 4 || len(v) < 4 {
			return nil, fmt.Errorf("bad entry (key %d bytes, value %d bytes)", len(k), len(v))
		}
		entries = append(entries, Mapping{UID1: binary.BigEndian.Uint32(k), UID2: binary.BigEndian.Uint32(v)})
		arena.Write(v[4:])
		ends = append(ends, arena.Len())
	}
	keys := arena.String()
	start := 0
	for i, end := range ends {
		entries[i].Key = keys[start:end]
		start = end
	}
	return entries, nil
}
