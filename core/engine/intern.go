package engine

import (
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Interning keeps the per-message metadata small: a plan holds one
// []imap.Flag per distinct flag set and one *time.Location per distinct
// zone offset, rather than one of each per message (go-imap parses every
// INTERNALDATE with an offset other than the local zone's into a location
// of its own).
var interned struct {
	mu    sync.Mutex
	flags map[string]*[]imap.Flag
	zones map[int]*time.Location
}

// maxInterned bounds each table: a server with more distinct flag sets or
// zones than that gets the rest unshared, not an ever-growing table.
const maxInterned = 4096

// internFlags returns a shared slice equal to flags. Callers never modify
// the result.
func internFlags(flags []imap.Flag) []imap.Flag {
	if p := internFlagsRef(flags); p != nil {
		return *p
	}
	return nil
}

// internFlagsRef is internFlags as a pointer (8 bytes where a slice takes
// 24); nil for no flags.
func internFlagsRef(flags []imap.Flag) *[]imap.Flag {
	if len(flags) == 0 {
		return nil
	}
	var buf [128]byte
	key := buf[:0]
	for _, f := range flags {
		key = append(key, f...)
		key = append(key, 0)
	}
	interned.mu.Lock()
	defer interned.mu.Unlock()
	if s, ok := interned.flags[string(key)]; ok {
		return s
	}
	if interned.flags == nil {
		interned.flags = map[string]*[]imap.Flag{}
	}
	s := append([]imap.Flag(nil), flags...)
	if len(interned.flags) < maxInterned {
		interned.flags[string(key)] = &s
	}
	return &s
}

// packDate packs t, to the second, with its zone's offset in minutes,
// into an int64; the zero time packs to 0.
func packDate(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	_, off := t.Zone()
	return t.Unix()<<12 | int64(off/60+2048)&0xfff
}

// unpackDate is the time packDate packed, in a fixed zone of its offset
// (UTC for +0000): the same instant, printed the same way in IMAP.
func unpackDate(p int64) time.Time {
	if p == 0 {
		return time.Time{}
	}
	t := time.Unix(p>>12, 0)
	off := int(p&0xfff-2048) * 60
	if off == 0 {
		return t.UTC()
	}
	return internZone(t.In(time.FixedZone("", off)))
}

// internZone returns t in a shared location of the same offset (the same
// instant, printed the same way).
func internZone(t time.Time) time.Time {
	loc := t.Location()
	if loc == time.UTC || loc == time.Local {
		return t
	}
	name, off := t.Zone()
	if name != "" {
		return t // a named zone (not from a numeric offset): kept as is
	}
	interned.mu.Lock()
	defer interned.mu.Unlock()
	z, ok := interned.zones[off]
	if !ok {
		if interned.zones == nil {
			interned.zones = map[int]*time.Location{}
		}
		if len(interned.zones) >= maxInterned {
			return t
		}
		z = time.FixedZone("", off)
		interned.zones[off] = z
	}
	return t.In(z)
}

// trim returns s without its spare capacity, copied when that is more than
// an eighth of its length.
func trim[T any](s []T) []T {
	if cap(s)-len(s) <= len(s)/8 {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}
