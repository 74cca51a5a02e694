package identity

import "strconv"

// Ranker numbers the copies of a key inside one folder for
// --syncduplicates: the first message with a key keeps it, the
// k-th extra copy gets "key#k". Used on both sides, it pairs host1 and host2
// copies by rank, so a folder with three identical messages ends with three
// on host2 and reruns copy nothing.
//
// The zero value is ready to use. Use one Ranker per folder and side, fed in
// FETCH order (normally ascending UID); it is not safe for concurrent use.
type Ranker struct {
	seen map[string]int
}

// Rank returns the ranked key for the next message with key, and its rank:
// 0 for the first occurrence, k for the k-th duplicate.
func (r *Ranker) Rank(key string) (ranked string, rank int) {
	if r.seen == nil {
		r.seen = make(map[string]int)
	}
	rank = r.seen[key]
	r.seen[key] = rank + 1
	if rank == 0 {
		return key, 0
	}
	return key + "#" + strconv.Itoa(rank), rank
}
