// Package state is imapshift's persistent sync state: for every folder pair
// it remembers which host2 message each host1 message became, and the
// status of both folders at the end of the last complete sync. It backs
// --usecache (remember the pairs found, so a resync skips fetching and
// comparing their headers) and --useuid (no headers at all: the state is
// the identity), and lets a resync skip unchanged folders without
// fetching a single header. See docs/identity.md.
//
// # Why bbolt
//
// The state is a map from (folder pair, host1 UID) to (host2 UID, identity
// key), read whole when a folder starts and written in batches as messages
// are copied. bbolt (go.etcd.io/bbolt) fits that exactly, better than a
// cgo-free SQLite:
//
//   - it is a single-writer copy-on-write B+tree: a commit is atomic and
//     durable (fsync) or not there at all, with no journal or WAL to
//     recover and no schema or SQL layer in between;
//   - point lookups and ordered scans are plain cursor walks over a memory
//     mapped file: loading 10,000 entries takes about a millisecond, and a
//     batch of 10,000 puts is one transaction, written and synced (fsync)
//     in about 10 ms (TestTiming10k);
//   - it is one file, pure Go, with a small dependency footprint, and its
//     file lock (flock, with a timeout) stops two runs on the same account
//     pair from interleaving their writes.
//
// SQLite's strengths (ad hoc queries, several writers through WAL, a
// schema) are not needed here, and the cgo-free SQLite is a machine
// translation of the C library: a far larger dependency that adds a SQL
// layer on top of its own B-tree for what is a key-value workload.
//
// # Layout
//
// A state file is normally one per account pair (see [FileName]) in
// [DefaultDir], which is under the user's cache directory and not in a
// temporary directory: imapsync keeps its cache in tmpdir, which a
// container restart wipes, turning the next --useuid --delete2 run into a
// mass delete and recopy (every host2 message is then "not in cache").
// One file may hold several account pairs too: every folder pair is keyed
// by both hosts, users and folder names.
//
// Inside the file, bucket "folders" holds one bucket per folder pair, named
// by the host, user and folder of both sides. A pair bucket holds a "meta"
// value (both UIDVALIDITYs, the last status of both folders, the time of
// the last write) and a "uids" bucket mapping the host1 UID (4 bytes, big
// endian, so a cursor walks UIDs in order) to the host2 UID (4 bytes) and
// the identity key. UIDVALIDITY is kept in the meta value rather than in
// the bucket name so that a change is detected and the stale entries are
// dropped, instead of lingering under an old name forever.
//
// # UIDVALIDITY
//
// [Store.Folder] compares both UIDVALIDITYs of the [FolderPair] with the
// stored ones. When either differs, the pair's entries and status are
// deleted and [FolderState.Invalidated] is set: the engine falls back to
// header matching for that folder, which finds whatever host2 still has.
// It never deletes and recopies on the strength of a stale map. Other
// folders are not affected. imapsync reads UIDVALIDITY but never checks
// it, so a server that renumbers a folder makes its cache wrong. A zero
// UIDVALIDITY (a server that does not report one) is refused with
// [ErrNoUIDValidity]: UIDs without it cannot be remembered safely, so the
// engine syncs such a folder without state.
//
// # Crash safety
//
// The contract between the engine and this package:
//
//  1. The engine Puts a mapping only after host2 confirmed the APPEND and
//     returned the new UID (APPENDUID), or after header matching found the
//     message on host2.
//  2. [Batch.Commit] is one bbolt transaction: after a crash, either all
//     of a batch is in the file or none of it is. A batch that was never
//     committed leaves no trace.
//
// So the state never claims a message host2 does not have; at worst it
// misses a few that host2 has, which the next run finds by header matching
// (or, with --useuid, copies again: the same window imapsync has).
//
//  3. The engine calls [Batch.SetStatus] in the last batch of a folder,
//     after every message of the folder is recorded. A commit that changes
//     mappings without SetStatus clears the stored status, so a crash in
//     the middle of a folder leaves no status, and the next run does not
//     skip that folder as unchanged ([FolderState.Unchanged] is false).
//
// For the status to be trustworthy, the host1 status should be the one
// read when the folder sync started (SELECT or STATUS before listing the
// UIDs): a message arriving on host1 during the sync then moves UIDNEXT
// past the stored value and the next run looks at the folder. The host2
// status must be read after the last APPEND, since imapshift's own APPENDs
// move it. Without CONDSTORE (HIGHESTMODSEQ 0 on a side), a flag change
// does not move any status field, so an unchanged status does not prove
// the flags are unchanged on that side.
//
// # Concurrency
//
// A [Store] is safe for concurrent use by several goroutines, typically one
// per folder pair: reads run in parallel, and commits are serialised by
// bbolt's single writer. A [Batch] is safe for concurrent use too (its
// pending writes are guarded by a mutex). A second [Open] of the same file,
// from another process or from this one, waits for the file lock and fails
// with [ErrLocked] after the timeout.
//
// # cache_map rule
//
// imapsync reconciles its cache when loading it: a host1 UID mapped to
// several host2 UIDs keeps the largest host2 UID, and a host2 UID claimed
// by several host1 UIDs keeps the largest host1 UID. Here a host1 UID is a
// bbolt key, so it maps to one host2 UID at most and only the second half
// can apply: [Store.Folder] applies it to what it loads, deletes the
// losers from the file and reports them in [FolderState.Conflicts].
// [FolderState.Prune] applies the other half of imapsync's load rule:
// dropping entries whose host1 or host2 UID no longer exists; the engine
// then removes those UIDs from the file with [Batch.Delete].
package state
