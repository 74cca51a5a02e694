package state

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long [Open] waits for the file lock of a state
// file held by another process (or another Store of this process).
const DefaultLockTimeout = 3 * time.Second

// formatVersion is the layout version written in the "info" bucket. Open
// refuses a file written by a newer, unknown layout.
const formatVersion = 1

var (
	bucketInfo    = []byte("info")
	bucketFolders = []byte("folders")
	keyVersion    = []byte("version")
	keyMeta       = []byte("meta")
	bucketUIDs    = []byte("uids")
)

// ErrLocked is returned (wrapped, with the path and the time waited) by
// [Open] when another process, or another Store in this process, holds
// the state file.
var ErrLocked = errors.New("state file is locked by another imapshift run")

// ErrNoUIDValidity is returned when a [FolderPair] has a zero UIDVALIDITY:
// without it, UIDs cannot be remembered safely.
var ErrNoUIDValidity = errors.New("folder has no UIDVALIDITY")

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
}

// DefaultDir returns the default state directory,
// <user cache dir>/imapshift/state (for example ~/.cache/imapshift/state
// on Linux). It is not created here; [Open] creates the directory of the
// file it opens.
func DefaultDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("state: no user cache directory: %w", err)
	}
	return filepath.Join(cache, "imapshift", "state"), nil
}

// FileName returns the file name of the state of one account pair, for use
// in [DefaultDir] or a directory chosen by the user: the hosts and users,
// made safe for any file system, then a short hash of the exact values so
// that two pairs that differ only in replaced characters do not share a
// file. Hosts are compared case-insensitively, users exactly.
func FileName(host1, user1, host2, user2 string) string {
	host1, host2 = strings.ToLower(host1), strings.ToLower(host2)
	h := sha256.New()
	for _, s := range []string{host1, user1, host2, user2} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	sum := hex.EncodeToString(h.Sum(nil)[:6])
	return safeName(host1) + "_" + safeName(user1) + "__" +
		safeName(host2) + "_" + safeName(user2) + "_" + sum + ".db"
}

// safeName keeps ASCII letters, digits, '.', '-' and '@', replaces any other
// byte by '_', and caps the length so the whole name stays well under the
// usual 255-byte limit.
func safeName(s string) string {
	const max = 48
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '@':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Open opens or creates the state file at path, creating its directory
// (mode 0700; the file is 0600: it names users and folders). It waits
// [DefaultLockTimeout] for the file lock; see [OpenTimeout].
func Open(path string) (*Store, error) {
	return OpenTimeout(path, DefaultLockTimeout)
}

// OpenTimeout is [Open] with a chosen lock timeout (at least 1 ms; bbolt
// would read zero as "wait forever").
//
// A damaged file (cut short, or with no valid header page) gives an error
// wrapping [ErrCorrupt]; [OpenOrReset] sets it aside.
func OpenTimeout(path string, timeout time.Duration) (_ *Store, err error) {
	defer guard(path, &err)
	if timeout < time.Millisecond {
		timeout = time.Millisecond
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	start := time.Now()
	opts := &bolt.Options{
		Timeout: timeout,
		// The hashmap freelist avoids the array freelist's slowdown on
		// fragmented files; the state file is rewritten often.
		FreelistType: bolt.FreelistMapType,
	}
	db, err := bolt.Open(path, 0o600, opts)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("state: %s: %w (waited %s; is another imapshift running on the same accounts?)",
			path, ErrLocked, time.Since(start).Round(time.Millisecond))
	}
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || (err != nil && strings.Contains(err.Error(), "file size too small")) {
		return nil, fmt.Errorf("state: %s: %w (%v)", path, ErrCorrupt, err)
	}
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.safeInit(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// safeInit is init, with a panic of bbolt on a damaged page turned into
// an error wrapping ErrCorrupt.
func (s *Store) safeInit() (err error) {
	defer guard(s.path, &err)
	return s.init()
}

// init creates the top-level buckets and checks the layout version.
func (s *Store) init() error {
	// A file already set up needs no write transaction (and no sync):
	// opening the state costs a read.
	ready := false
	if err := s.db.View(func(tx *bolt.Tx) error {
		info := tx.Bucket(bucketInfo)
		if info == nil || tx.Bucket(bucketFolders) == nil {
			return nil
		}
		v := info.Get(keyVersion)
		if v != nil && (len(v) != 1 || v[0] > formatVersion) {
			return fmt.Errorf("written by a newer imapshift (layout %v, this one knows %d)", v, formatVersion)
		}
		ready = v != nil
		return nil
	}); err != nil {
		return fmt.Errorf("state: %s: %w", s.path, err)
	}
	if ready {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		info, err := tx.CreateBucketIfNotExists(bucketInfo)
		if err != nil {
			return err
		}
		if v := info.Get(keyVersion); v != nil {
			if len(v) != 1 || v[0] > formatVersion {
				return fmt.Errorf("written by a newer imapshift (layout %v, this one knows %d)", v, formatVersion)
			}
		} else if err := info.Put(keyVersion, []byte{formatVersion}); err != nil {
			return err
		}
		_, err = tx.CreateBucketIfNotExists(bucketFolders)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: %s: %w", s.path, err)
	}
	return nil
}

// Close waits for running transactions and closes the file, releasing its
// lock. Batches not committed are lost, by design.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("state: close %s: %w", s.path, err)
	}
	return nil
}
