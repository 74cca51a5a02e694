package verify

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/identity"
)

// folderResult is a folder's report and, for the manifest, one record
// per message.
type folderResult struct {
	FolderReport
	records []Record
}

// compareFolder scans both sides of p at the same time and matches them;
// the result holds manifest records when opts.Manifest is set.
func compareFolder(ctx context.Context, c1, c2 *imapclient.Client, p Pair, opts *Options) folderResult {
	res := folderResult{FolderReport: FolderReport{Folder1: p.Folder1, Folder2: p.Folder2}}
	var (
		m1, m2     []msg
		st1, st2   folderState
		err1, err2 error
		wg         sync.WaitGroup
	)
	wg.Add(2)
	go func() { defer wg.Done(); m1, st1, err1 = scan(ctx, c1, 1, p.Folder1, opts) }()
	go func() { defer wg.Done(); m2, st2, err2 = scan(ctx, c2, 2, p.Folder2, opts) }()
	wg.Wait()
	switch {
	case err1 != nil:
		res.Err = err1
		return res
	case err2 != nil:
		res.Err = err2
		return res
	case st1 == folderMissing:
		res.Err = &FolderError{Side: 1, Folder: p.Folder1}
		return res
	}
	res.Missing2 = st2 == folderMissing
	match(&res, m1, m2, opts, opts.Manifest != nil)
	return res
}

// group is the identity of a message for matching: key and size.
type group struct {
	key  string
	size int64
}

// entry is a host1 message in its group. required is false for a host1
// duplicate that the sync skips and for a message matched by its bytes
// (the sync copies neither, but a host2 copy of them is accepted).
type entry struct {
	m        *msg
	required bool
	first    *msg // the earlier host1 message with the same key, for a skipped duplicate
}

// bodyKey is the matching key of an unidentified message when Bodies:
// its bytes' hash. It cannot collide with an identity key (22 or more
// base64 characters without ':' at that place).
func bodyKey(m *msg) string { return "sha256:" + hashString(m) }

// match compares the messages of one folder pair (each sorted by UID)
// and fills res.
func match(res *folderResult, m1, m2 []msg, opts *Options, records bool) {
	res.Messages1, res.Messages2 = len(m1), len(m2)
	f1, f2 := res.Folder1, res.Folder2
	add := func(d Difference) { res.Differences = append(res.Differences, d) }
	rec := func(r Record) {
		if records {
			r.Folder1, r.Folder2 = f1, f2
			res.records = append(res.records, r)
		}
	}
	unidentified1 := func(m *msg) {
		add(Difference{Kind: Unidentified1, UID1: m.uid, MessageID: m.msgID, Size: m.size})
		rec(Record{UID1: uint32(m.uid), MessageID: m.msgID, Size: m.size, Hash1: hashString(m), Status: StatusUnidentified})
	}
	unidentified2 := func(m *msg) {
		add(Difference{Kind: Unidentified2, UID2: m.uid, MessageID: m.msgID, Size: m.size})
		rec(Record{UID2: uint32(m.uid), MessageID: m.msgID, Size: m.size, Hash2: hashString(m), Status: StatusUnidentified})
	}

	// Host1: group by key and expected host2 size, in UID order, marking
	// the duplicates a sync skips. Unidentified messages are grouped by
	// their bytes when those were hashed, and otherwise not compared.
	groups := make(map[group][]entry)
	var order []group
	firstByKey := make(map[string]*msg)
	for i := range m1 {
		m := &m1[i]
		var e entry
		var g group
		switch {
		case m.key != "":
			e = entry{m: m, required: true}
			if first, ok := firstByKey[m.key]; ok && !opts.SyncDuplicates {
				e.required, e.first = false, first
				res.Duplicates1++
			} else if !ok {
				firstByKey[m.key] = m
			}
			g = group{m.key, expectedSize(m)}
		case m.hashed:
			res.Unidentified1++
			e, g = entry{m: m}, group{bodyKey(m), m.size}
		default:
			res.Unidentified1++
			unidentified1(m)
			continue
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], e)
	}
	// Required messages are paired first.
	for _, g := range order {
		slices.SortStableFunc(groups[g], func(a, b entry) int {
			switch {
			case a.required == b.required:
				return 0
			case a.required:
				return -1
			}
			return 1
		})
	}

	on2 := make(map[group][]*msg)
	for i := range m2 {
		m := &m2[i]
		g := group{m.key, m.size}
		if m.key == "" {
			res.Unidentified2++
			if !m.hashed {
				unidentified2(m)
				continue
			}
			g.key = bodyKey(m)
		}
		on2[g] = append(on2[g], m)
	}

	for _, g := range order {
		l1, l2 := groups[g], on2[g]
		for i, e := range l1 {
			a := e.m
			if i >= len(l2) {
				switch {
				case e.required:
					add(Difference{Kind: Missing, UID1: a.uid, MessageID: a.msgID, Size: a.size})
					rec(Record{UID1: uint32(a.uid), Key: a.key, MessageID: a.msgID, Size: a.size, Hash1: hashString(a), Status: StatusMissing})
				case e.first != nil:
					add(Difference{Kind: SkippedDuplicate1, UID1: a.uid, MessageID: a.msgID, Size: a.size, FirstUID: e.first.uid, FirstSize: e.first.size})
					rec(Record{UID1: uint32(a.uid), Key: a.key, MessageID: a.msgID, Size: a.size, Hash1: hashString(a), Status: StatusSkippedDuplicate})
				default:
					unidentified1(a)
				}
				continue
			}
			b := l2[i]
			res.Matched++
			r := Record{UID1: uint32(a.uid), UID2: uint32(b.uid), Key: a.key, MessageID: a.msgID, Size: a.size, Hash1: hashString(a), Hash2: hashString(b), Status: StatusOK}
			if b.size != a.size {
				r.Size2 = b.size
			}
			if !sameFlags(a.flags, b.flags) {
				add(Difference{Kind: FlagsDiffer, UID1: a.uid, UID2: b.uid, MessageID: a.msgID, Size: a.size, Flags1: a.flags, Flags2: b.flags})
				r.Differs = append(r.Differs, "flags")
			}
			if a.date.Unix() != b.date.Unix() {
				add(Difference{Kind: DateDiffers, UID1: a.uid, UID2: b.uid, MessageID: a.msgID, Size: a.size, Date1: a.date, Date2: b.date})
				r.Differs = append(r.Differs, "date")
			}
			if opts.Bodies && a.hash != b.hash {
				add(Difference{Kind: BodyDiffers, UID1: a.uid, UID2: b.uid, MessageID: a.msgID, Size: a.size, Hash1: hashString(a), Hash2: hashString(b)})
				r.Differs = append(r.Differs, "body")
			}
			if len(r.Differs) > 0 {
				r.Status = StatusDiffers
			}
			rec(r)
		}
		// Host2 copies beyond the host1 messages of the group.
		for i := len(l1); i < len(l2); i++ {
			b, of := l2[i], l1[0].m
			if b.key == "" {
				unidentified2(b)
				continue
			}
			add(Difference{Kind: Duplicated, UID1: of.uid, UID2: b.uid, MessageID: b.msgID, Size: b.size})
			rec(Record{UID1: uint32(of.uid), UID2: uint32(b.uid), Key: b.key, MessageID: b.msgID, Size: b.size, Hash2: hashString(b), Status: StatusDuplicated})
		}
		delete(on2, g)
	}

	// Host2 messages matching no host1 message, in UID order.
	var extra []*msg
	for _, l := range on2 {
		extra = append(extra, l...)
	}
	slices.SortFunc(extra, func(a, b *msg) int { return cmpUID(a.uid, b.uid) })
	for _, b := range extra {
		if b.key == "" {
			unidentified2(b)
			continue
		}
		add(Difference{Kind: Extra, UID2: b.uid, MessageID: b.msgID, Size: b.size})
		rec(Record{UID2: uint32(b.uid), Key: b.key, MessageID: b.msgID, Size: b.size, Hash2: hashString(b), Status: StatusExtra})
	}

	slices.SortStableFunc(res.Differences, func(a, b Difference) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		if c := cmpUID(a.UID1, b.UID1); c != 0 {
			return c
		}
		return cmpUID(a.UID2, b.UID2)
	})
	slices.SortStableFunc(res.records, func(a, b Record) int {
		// host1 messages by UID, then host2-only ones by UID.
		ka, kb := int64(a.UID1), int64(b.UID1)
		if ka == 0 {
			ka = 1 << 32
		}
		if kb == 0 {
			kb = 1 << 32
		}
		if ka != kb {
			return int(ka - kb)
		}
		return int(int64(a.UID2) - int64(b.UID2))
	})
}

// expectedSize is the size a host1 message has on host2.
func expectedSize(m *msg) int64 {
	if m.added {
		return m.size + int64(len(identity.AddHeaderLine(uint32(m.uid))))
	}
	return m.size
}

// sameFlags compares flag lists as sets, case-insensitively (servers
// differ in how they spell keywords), ignoring \Recent, which no client
// can set.
func sameFlags(a, b []imap.Flag) bool {
	return slices.Equal(normFlags(a), normFlags(b))
}

func normFlags(fs []imap.Flag) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		s := strings.ToLower(string(f))
		if s == `\recent` {
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hashString is the hex SHA-256 of a message, empty when not hashed.
func hashString(m *msg) string {
	if !m.hashed {
		return ""
	}
	return hex.EncodeToString(m.hash[:])
}
