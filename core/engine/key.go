package engine

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"github.com/emersion/go-imap/v2"
)

// ikey is an identity key (identity.Key, or the other forms below) as the
// plan holds it: 16 bytes with no pointer, where a key string took 40
// bytes (its header and its bytes) and had the garbage collector visit
// it. A plan holds one per message, by the million on a large account.
//
// A key of identity.Key's default form, the unpadded base64 of an MD5
// digest (22 characters), is kept as the digest itself: the encoding is
// one to one, so two keys have the same ikey exactly when they are the
// same string. Matching ikeys is then matching keys, with no hash added.
//
// The other forms (--noskipsize's size suffix, --syncduplicates' ranks,
// --useuid's UID keys) are kept as the first 16 bytes of their SHA-256.
// Two different keys could then share an ikey, and a host1 message would
// be taken for one already on host2 (or for a duplicate) and not copied.
// That is safe in practice: for n keys, the chance that any two of them
// share 128 bits of SHA-256 is below n²/2^129, 10^-27 for a million keys,
// and matching is by folder. It is also the very risk the key itself
// already takes: identity.Key calls two messages the same when their
// header lines have the same MD5 digest (128 bits), as imapsync does.
// Where such a key's string is needed again (the state, the journal), it
// is kept apart (folderPlan.oddKeys); only matching uses the hash.
type ikey [16]byte

// keyOf returns the ikey of key k, and whether k has the default form
// (the digest: keyString gives k back from the ikey alone).
func keyOf(k string) (ikey, bool) {
	var d ikey
	if len(k) == base64.RawStdEncoding.EncodedLen(len(d)) {
		if n, err := base64.RawStdEncoding.Strict().Decode(d[:], []byte(k)); err == nil && n == len(d) {
			return d, true
		}
	}
	sum := sha256.Sum256([]byte(k))
	copy(d[:], sum[:])
	return d, false
}

// mustKey is keyOf without the form.
func mustKey(k string) ikey {
	d, _ := keyOf(k)
	return d
}

// digestString is the key of default form whose digest is d.
func (d ikey) digestString() string {
	return base64.RawStdEncoding.EncodeToString(d[:])
}

// hash is the 64-bit hash of the key that the report counts identities
// with (keyHash): 8 bytes of a digest are already uniform.
func (d ikey) hash() uint64 { return binary.LittleEndian.Uint64(d[:8]) }

// keyHash is the 64-bit hash of identity key k (ikey.hash): the report
// counts identities from these, wherever the key came from (the
// analysis, the state, host2 read again).
func keyHash(k string) uint64 { return mustKey(k).hash() }

// setKey sets c's header key to k; a key not of the default form is kept
// in fp.oddKeys, by host1 UID, for keyString.
func (fp *folderPlan) setKey(c *copyItem, k string) {
	var plain bool
	c.hkey, plain = keyOf(k)
	if !plain {
		fp.keepOdd(c.uid, k)
	}
	c.oddKey = !plain
}

// keepOdd records the key string of host1 message uid, a key not of the
// default form (oddKeys).
func (fp *folderPlan) keepOdd(uid imap.UID, k string) {
	fp.oddMu.Lock()
	defer fp.oddMu.Unlock()
	if fp.oddKeys == nil {
		fp.oddKeys = map[imap.UID]string{}
	}
	fp.oddKeys[uid] = k
}

// keyString is the header key of host1 message uid whose ikey is d; odd
// tells that it is not of the default form (see setKey).
func (fp *folderPlan) keyString(uid imap.UID, d ikey, odd bool) string {
	if !odd {
		return d.digestString()
	}
	fp.oddMu.Lock()
	defer fp.oddMu.Unlock()
	return fp.oddKeys[uid]
}

// copyKey is the header key of c, a copy of fp.
func (fp *folderPlan) copyKey(c copyItem) string { return fp.keyString(c.uid, c.hkey, c.oddKey) }

// matchKey is the identity c was matched by: its header key, or under
// --useuid its UID's (not stored: a plan holds copyItems by the million).
func (fp *folderPlan) matchKey(c copyItem) string {
	if c.byUID {
		return uidKey(c.uid)
	}
	return fp.copyKey(c)
}

// matchHash is keyHash of matchKey, without the string for a key of the
// default form.
func (fp *folderPlan) matchHash(c copyItem) uint64 {
	if c.byUID {
		return keyHash(uidKey(c.uid))
	}
	return c.hkey.hash()
}
