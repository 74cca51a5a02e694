package state

import (
	"cmp"
	"slices"
)

// indexByUID2 returns the indexes of entries (sorted by unique UID1)
// ordered by UID2, then UID1. Entries appended in UID order on both sides,
// the usual case, are already in that order.
func indexByUID2(entries []Mapping) []int32 {
	idx := make([]int32, len(entries))
	sorted := true
	for i := range entries {
		idx[i] = int32(i)
		if i > 0 && entries[i].UID2 < entries[i-1].UID2 {
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(idx, func(a, b int32) int {
			return cmp.Or(cmp.Compare(entries[a].UID2, entries[b].UID2), cmp.Compare(a, b))
		})
	}
	return idx
}

// hasUID2Conflict reports whether two entries share a host2 UID.
func hasUID2Conflict(entries []Mapping, byUID2 []int32) bool {
	for i := 1; i < len(byUID2); i++ {
		if entries[byUID2[i]].UID2 == entries[byUID2[i-1]].UID2 {
			return true
		}
	}
	return false
}

// reconcileUID2 keeps, among entries sharing a host2 UID, the one with the
// largest host1 UID (the last of its run in byUID2). kept stays sorted by
// host1 UID.
func reconcileUID2(entries []Mapping, byUID2 []int32) (kept, dropped []Mapping) {
	lose := make(map[int32]bool)
	for i := 1; i < len(byUID2); i++ {
		if entries[byUID2[i]].UID2 == entries[byUID2[i-1]].UID2 {
			lose[byUID2[i-1]] = true
		}
	}
	if len(lose) == 0 {
		return entries, nil
	}
	kept = make([]Mapping, 0, len(entries)-len(lose))
	for i, m := range entries {
		if lose[int32(i)] {
			dropped = append(dropped, m)
		} else {
			kept = append(kept, m)
		}
	}
	return kept, dropped
}
