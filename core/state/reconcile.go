package state

import (
	"cmp"
	"slices"
)

// Reconcile applies imapsync's cache_map rule (spec 2.4; the cache_map
// vector of spec 7.6) to a list of mappings, in any order:
//
//  1. a mapping whose host1 UID is not on host1 (has1 false) or whose host2
//     UID is not on host2 (has2 false) is dropped; a nil function means
//     "every UID is present";
//  2. a host1 UID mapped to several host2 UIDs keeps the largest host2 UID;
//  3. a host2 UID claimed by several host1 UIDs keeps the largest host1 UID.
//
// kept is sorted by host1 UID, with unique host1 and host2 UIDs; dropped
// is sorted by host1 UID then host2 UID. The vector
// {130_2301, 130_231, 1601_260, 161_260} gives 130→2301 and 1601→260.
//
// Each step runs over the whole list before the next, so the result does
// not depend on the order of the input (imapsync applies steps 2 and 3
// file by file, in the string order of the file names). A host1 UID that
// loses its largest host2 UID in step 3 is dropped: it does not fall back
// to a smaller host2 UID it was also mapped to.
func Reconcile(mappings []Mapping, has1, has2 func(uid uint32) bool) (kept, dropped []Mapping) {
	all := make([]Mapping, 0, len(mappings))
	for _, m := range mappings {
		if (has1 != nil && !has1(m.UID1)) || (has2 != nil && !has2(m.UID2)) {
			dropped = append(dropped, m)
			continue
		}
		all = append(all, m)
	}
	// Step 2: by host1 UID ascending, host2 UID descending; the first of
	// each host1 UID wins.
	slices.SortStableFunc(all, func(a, b Mapping) int {
		return cmp.Or(cmp.Compare(a.UID1, b.UID1), cmp.Compare(b.UID2, a.UID2))
	})
	uniq := all[:0:0]
	for i, m := range all {
		if i > 0 && m.UID1 == all[i-1].UID1 {
			dropped = append(dropped, m)
			continue
		}
		uniq = append(uniq, m)
	}
	// Step 3.
	kept, lost := reconcileUID2(uniq, indexByUID2(uniq))
	dropped = append(dropped, lost...)
	slices.SortStableFunc(dropped, func(a, b Mapping) int {
		return cmp.Or(cmp.Compare(a.UID1, b.UID1), cmp.Compare(a.UID2, b.UID2))
	})
	return kept, dropped
}

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
