// Package identity computes the key that identifies a message on both sides
// of a sync, the way imapsync does it in header mode. docs/identity.md
// describes the key, duplicates and the remembered UID pairs as a whole.
//
// A key is the MD5 (base64, no padding, 22 characters) of the wanted header
// lines of a message, each normalised, sorted and concatenated without a
// separator. Two messages with the same key are "the same message": the
// planner copies a host1 message only when no host2 message of the
// destination folder has its key.
//
// Parsing follows Mail::IMAPClient's header parser, which imapsync relies
// on: lines are split on CRLF or LF, a line holding only blanks is
// ignored, a line "Name: value" starts a field, and any other line is
// appended verbatim to the value of the field before it (folding). Parsing
// stops at the first empty line, so a whole message may be passed too.
// One deliberate difference: the field name ends at the first colon of the
// line (RFC 5322); the Perl parser takes the longest colon-terminated token,
// which only matters for malformed lines like "Message-ID:<a:b@c>".
package identity

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"hash"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultUseHeaders are the header names used when Options.UseHeaders is
// empty (imapsync's default for --useheader).
var DefaultUseHeaders = []string{"Message-Id", "Received"}

// All is the --useheader value that selects every header of a message.
const All = "ALL"

// Options says which headers identify a message and how the key is built.
// The zero value is imapsync's default: Message-Id and Received lines, no
// skipped header, size not part of the key. Options is read-only once in
// use and safe to share between goroutines.
type Options struct {
	// UseHeaders lists the header names to use (case-insensitive). Empty
	// means DefaultUseHeaders; an entry "ALL" (any case) means every header.
	UseHeaders []string
	// SkipHeader drops the normalised lines it matches (they are uppercase,
	// "NAME: VALUE"). imapsync matches case-insensitively: build it with
	// CompileSkipHeader or give it the (?i) flag yourself.
	SkipHeader *regexp.Regexp
	// MessageIDNoDomain keeps only the part of a Message-Id value before
	// the first "@" (--messageidnodomain, on with the --domino presets).
	MessageIDNoDomain bool
	// NoSkipSize appends ":<RFC822.SIZE>" to the key (--noskipsize).
	NoSkipSize bool
}

// CompileSkipHeader compiles a --skipheader expression with imapsync's
// flags: case-insensitive, "." matches newline, ^ and $ match at line
// breaks. Perl's /x flag (blanks in the pattern are ignored) has no RE2
// equivalent, so blanks in expr stay significant.
func CompileSkipHeader(expr string) (*regexp.Regexp, error) {
	return regexp.Compile("(?ims)" + expr)
}

// wanted reports whether every header is wanted, and the names otherwise.
func (o Options) wanted() (all bool, names []string) {
	if len(o.UseHeaders) == 0 {
		return false, DefaultUseHeaders
	}
	for _, h := range o.UseHeaders {
		if strings.EqualFold(h, All) {
			return true, nil
		}
	}
	return false, o.UseHeaders
}

// HeaderFields returns the header names to request in
// BODY.PEEK[HEADER.FIELDS (...)], without duplicates (case-insensitive,
// first spelling kept). It returns nil when every header is wanted: fetch
// BODY.PEEK[HEADER] then.
func (o Options) HeaderFields() []string {
	all, names := o.wanted()
	if all {
		return nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		dup := false
		for _, m := range out {
			if strings.EqualFold(n, m) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}

// span is a [start, end) range of scratch.buf holding one normalised line.
type span struct{ start, end int }

// scratch holds the per-call buffers of Key; it is pooled so that Key does
// not allocate beyond the returned string.
type scratch struct {
	buf   []byte
	spans []span
	segs  [][]byte
	h     hash.Hash
	sum   [md5.Size]byte
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{buf: make([]byte, 0, 1024), spans: make([]span, 0, 8), segs: make([][]byte, 0, 8), h: md5.New()}
}}

// release returns sc to the pool without keeping the caller's header
// alive, and drops buffers grown by an unusually large header.
func (sc *scratch) release() {
	clear(sc.segs[:cap(sc.segs)])
	if cap(sc.buf) > 64<<10 {
		return
	}
	scratchPool.Put(sc)
}

// Key computes imapsync's key for a raw header block: the answer to
// BODY.PEEK[HEADER.FIELDS (...)] or BODY.PEEK[HEADER], with CRLF or LF line
// ends, folded lines and 8-bit bytes as they come. size is the message's
// RFC822.SIZE, used only with NoSkipSize. ok is false when no wanted header
// line is left (the message is "unidentified": imapsync never copies it
// unless --addheader).
func (o Options) Key(header []byte, size int64) (key string, ok bool) {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	if !o.collect(sc, header) {
		return "", false
	}
	sc.h.Reset()
	for _, s := range sc.spans {
		sc.h.Write(sc.buf[s.start:s.end])
	}
	return o.format(sc.h.Sum(sc.sum[:0]), size), true
}

// collect fills sc with the sorted normalised lines of the wanted headers
// of header and reports whether there is at least one.
func (o Options) collect(sc *scratch, header []byte) bool {
	sc.buf, sc.spans, sc.segs = sc.buf[:0], sc.spans[:0], sc.segs[:0]
	all, names := o.wanted()
	var name []byte // current field if wanted, else nil

	for rest := header; len(rest) > 0; {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
		} else {
			line, rest = rest, nil
		}
		if len(line) == 0 {
			break // end of the header block
		}
		if isSpace(line[0]) && blank(line) {
			continue
		}
		if colon := fieldColon(line); colon > 0 {
			if name != nil {
				o.emit(sc, name)
			}
			name = nil
			if field := bytes.TrimRight(line[:colon], " \t"); all || wantedName(field, names) {
				name = field
				sc.segs = append(sc.segs[:0], line[colon+1:])
			}
			continue
		}
		if isSpace(line[0]) {
			if name != nil { // folded line of a wanted field
				sc.segs = append(sc.segs, line)
			}
			continue
		}
		// A line that is neither a field nor folded (an mbox "From " line,
		// garbage) ends the current field and is ignored, so that a line
		// put on top of such a message (--addheader) keeps its own key.
		if name != nil {
			o.emit(sc, name)
			name = nil
		}
	}
	if name != nil {
		o.emit(sc, name)
	}
	if len(sc.spans) == 0 {
		return false
	}
	buf := sc.buf
	slices.SortFunc(sc.spans, func(a, b span) int {
		return bytes.Compare(buf[a.start:a.end], buf[b.start:b.end])
	})
	return true
}

// format renders an MD5 sum as the key, with the size suffix if wanted.
func (o Options) format(sum []byte, size int64) string {
	var out [64]byte
	b := out[:base64.RawStdEncoding.EncodedLen(len(sum))]
	base64.RawStdEncoding.Encode(b, sum)
	if o.NoSkipSize {
		b = append(b, ':')
		b = strconv.AppendInt(b, size, 10)
	}
	return string(b)
}

// emit appends the normalised line of field name (value in sc.segs) to
// sc.buf and records it, unless SkipHeader drops it.
func (o Options) emit(sc *scratch, name []byte) {
	start := len(sc.buf)
	sc.buf = appendLine(sc.buf, name, sc.segs, o.MessageIDNoDomain && isMessageID(name))
	if o.SkipHeader != nil && o.SkipHeader.Match(sc.buf[start:]) {
		sc.buf = sc.buf[:start]
		return
	}
	sc.spans = append(sc.spans, span{start, len(sc.buf)})
}

// appendLine appends imapsync's normalised form of one header occurrence,
// UPPERCASE("name: value"), to dst. The value is the concatenation of segs
// (the rest of the first line, then continuation lines as they are). In
// order: bytes 0x80-0xFF become 'X', blanks (tab included) are trimmed at
// both ends and runs of them become one space, and with nodomain the value
// is cut before its first '@' unless it starts with '@'.
func appendLine(dst, name []byte, segs [][]byte, nodomain bool) []byte {
	n := len(name) + 2
	for _, seg := range segs {
		n += len(seg)
	}
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	i := 0
	for _, c := range name {
		out[i] = upper(c)
		i++
	}
	out[i], out[i+1] = ':', ' '
	i += 2
	valStart := i
	pending := false
	for _, seg := range segs {
		for _, c := range seg {
			m := norm[c]
			if m > ' ' && m != '@' && !pending { // the common case
				out[i] = m
				i++
				continue
			}
			if m == ' ' {
				pending = i > valStart
				continue
			}
			if m == '@' && nodomain {
				if i > valStart {
					if pending {
						out[i] = ' '
						i++
					}
					return dst[:len(dst)+i]
				}
				nodomain = false // a value starting with '@' is kept whole
			}
			if pending {
				out[i] = ' '
				i++
				pending = false
			}
			out[i] = m
			i++
		}
	}
	return dst[:len(dst)+i]
}

// norm maps a value byte to its normalised form: 0x80-0xFF to 'X', ASCII
// letters to upper case, and every blank of Perl's \s to ' '.
var norm = func() (t [256]byte) {
	for c := range 256 {
		switch {
		case c >= 0x80:
			t[c] = 'X'
		case isSpace(byte(c)):
			t[c] = ' '
		default:
			t[c] = upper(byte(c))
		}
	}
	return t
}()

// fieldColon returns the index of the colon ending the field name of line,
// or -1 when line does not start a field (no colon, or a blank before it).
// fieldColon returns the index of the colon ending a field name, or -1
// when line is not a field. Blanks between the name and the colon are
// accepted (RFC 5322's obsolete syntax, seen in the wild: "Message-ID  :").
func fieldColon(line []byte) int {
	i := 0
	for i < len(line) && line[i] != ':' && !isSpace(line[i]) {
		i++
	}
	if i == 0 {
		return -1
	}
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i < len(line) && line[i] == ':' {
		return i
	}
	return -1
}

func wantedName(name []byte, names []string) bool {
	for _, n := range names {
		if equalFoldASCII(name, n) {
			return true
		}
	}
	return false
}

func isMessageID(name []byte) bool { return equalFoldASCII(name, "Message-Id") }

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if upper(b[i]) != upper(s[i]) {
			return false
		}
	}
	return true
}

// isSpace is Perl's \s on a byte string.
func isSpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r') // \t \n \v \f \r
}

func blank(line []byte) bool {
	for _, c := range line {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// AddHeaderLine returns the header line --addheader prepends to a host1
// message that has no wanted header: "Message-Id: <UID@imapsync>\r\n", with
// "mistake" in place of a zero UID. The "imapsync" domain is kept so that
// runs of imapsync and imapshift recognise each other's copies.
func AddHeaderLine(uid uint32) []byte {
	id := "mistake"
	if uid != 0 {
		id = strconv.FormatUint(uint64(uid), 10)
	}
	return []byte("Message-Id: <" + id + "@imapsync>\r\n")
}

// AddHeaderKey returns the key of an unidentified host1 message under
// --addheader, which is the key its host2 copy (with AddHeaderLine(uid)
// prepended) gets. The line is normalised like any other, so
// MessageIDNoDomain applies; UseHeaders and SkipHeader do not. size is the
// host1 RFC822.SIZE: with NoSkipSize the suffix is the size of the copy,
// size+len(AddHeaderLine(uid)), so that reruns match (imapsync uses the
// host1 size and recopies such messages on every run).
func (o Options) AddHeaderKey(uid uint32, size int64) string {
	line := AddHeaderLine(uid)
	value := line[len("Message-Id:") : len(line)-2]
	buf := appendLine(make([]byte, 0, 48), []byte("Message-Id"), [][]byte{value}, o.MessageIDNoDomain)
	sum := md5.Sum(buf)
	return o.format(sum[:], size+int64(len(line)))
}
