// Package message reads and edits the header block of an RFC 5322 message
// without re-serialising what is not changed.
//
// A Header keeps the bytes of every field exactly as they came (folding,
// spacing, 8-bit bytes, bare LF line ends, a malformed line). Set, Add and
// Del change the list of fields; Bytes then writes the untouched fields
// verbatim and only the new ones are produced here, with the line ending
// the block already uses. A Header nobody changed returns its input slice,
// so an unchanged message keeps its exact bytes.
//
// Lua scripts (package scripting) and the built-in plugins share this
// package so that they edit headers the same way.
package message

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// Split returns the header block of raw, up to and including the empty line
// that ends it, and the body after it. A message without an empty line is
// all header. The empty line may be CRLF or a bare LF, and a message that
// starts with one has an empty header.
func Split(raw []byte) (header, body []byte) {
	n := headerLen(raw)
	return raw[:n:n], raw[n:]
}

// headerLen is the length of the header block of raw.
func headerLen(raw []byte) int {
	if len(raw) > 0 && raw[0] == '\n' {
		return 1
	}
	if len(raw) > 1 && raw[0] == '\r' && raw[1] == '\n' {
		return 2
	}
	for i := 0; i < len(raw); i++ {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			break
		}
		i += j
		rest := raw[i+1:]
		switch {
		case len(rest) > 0 && rest[0] == '\n':
			return i + 2
		case len(rest) > 1 && rest[0] == '\r' && rest[1] == '\n':
			return i + 3
		}
	}
	return len(raw)
}

// Header is a header block split into fields. The zero value is an empty
// header. A Header is not safe for concurrent use.
type Header struct {
	src     []byte  // the block as given to Parse
	fields  []field // in order
	tail    []byte  // the empty line ending the block, or nothing
	eol     string  // the line ending new fields get
	changed bool
}

// field is one header field with its continuation lines and line ending.
type field struct {
	raw   []byte
	colon int // index of ':' in raw, -1 for a line without one
}

// name is the field name: what precedes the colon, without trailing
// blanks ("Subject" in "Subject : x"). A line without a colon has none.
func (f field) name() []byte {
	if f.colon < 0 {
		return nil
	}
	return bytes.TrimRight(f.raw[:f.colon], " \t")
}

func (f field) is(name string) bool {
	n := f.name()
	return len(n) == len(name) && len(n) > 0 && asciiEqualFold(n, name)
}

// value is the field's value, unfolded and trimmed.
func (f field) value() string {
	v := f.raw[f.colon+1:]
	v = bytes.Trim(v, " \t\r\n")
	if bytes.IndexByte(v, '\n') < 0 {
		return string(v)
	}
	// Unfolding removes the line breaks before continuation lines.
	var b strings.Builder
	b.Grow(len(v))
	for len(v) > 0 {
		i := bytes.IndexByte(v, '\n')
		if i < 0 {
			b.Write(v)
			break
		}
		line := v[:i]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		b.Write(line)
		v = v[i+1:]
	}
	return b.String()
}

func asciiEqualFold(b []byte, s string) bool {
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Parse splits a header block into fields. block is normally what Split
// returns (or an IMAP BODY[HEADER]); anything after the first empty line
// is kept as it is. Parse never fails: a line that is not a field (no
// colon, or a continuation line at the top) is kept verbatim and matches
// no name. The Header refers to block, which must not change while the
// Header is in use.
func Parse(block []byte) *Header {
	h := &Header{src: block, eol: "\r\n"}
	if n := len(block) / 40; n > 0 { // a guess at the number of fields
		h.fields = make([]field, 0, n)
	}
	eolSeen := false
	for pos := 0; pos < len(block); {
		end := len(block)
		if i := bytes.IndexByte(block[pos:], '\n'); i >= 0 {
			end = pos + i + 1
		}
		line := block[pos:end]
		if !eolSeen && line[len(line)-1] == '\n' {
			eolSeen = true
			if len(line) < 2 || line[len(line)-2] != '\r' {
				h.eol = "\n"
			}
		}
		if line[0] == '\n' || (line[0] == '\r' && len(line) > 1 && line[1] == '\n') {
			h.tail = block[pos:]
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(h.fields) > 0 {
			last := &h.fields[len(h.fields)-1]
			last.raw = last.raw[:len(last.raw)+len(line)]
			pos = end
			continue
		}
		colon := nameEnd(line)
		h.fields = append(h.fields, field{raw: block[pos:end], colon: colon})
		pos = end
	}
	// Continuation lines were appended by reslicing: cap each field at its
	// own end so that later appends never overwrite block.
	for i := range h.fields {
		f := &h.fields[i]
		f.raw = f.raw[:len(f.raw):len(f.raw)]
	}
	return h
}

// nameEnd returns the index of the colon ending the field name at the
// start of line, or -1 when the line does not start with a valid name
// (blanks are allowed between the name and the colon).
func nameEnd(line []byte) int {
	i := 0
	for i < len(line) && line[i] > 32 && line[i] < 127 && line[i] != ':' {
		i++
	}
	if i == 0 {
		return -1
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i < len(line) && line[i] == ':' {
		return i
	}
	return -1
}

// validName reports whether n is a field name: printable US-ASCII but the
// colon, at least one character.
func validName(n []byte) bool {
	if len(n) == 0 {
		return false
	}
	for _, c := range n {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// EOL is the line ending of the block ("\r\n" unless its first line ends
// with a bare "\n").
func (h *Header) EOL() string {
	if h.eol == "" {
		return "\r\n"
	}
	return h.eol
}

// Get returns the value of the first field called name (any case),
// unfolded and without surrounding blanks, and whether there is one.
// Encoded words are not decoded.
func (h *Header) Get(name string) (string, bool) {
	for _, f := range h.fields {
		if f.is(name) {
			return f.value(), true
		}
	}
	return "", false
}

// Has reports whether the header has a field called name.
func (h *Header) Has(name string) bool {
	for _, f := range h.fields {
		if f.is(name) {
			return true
		}
	}
	return false
}

// Values returns the values of every field called name, in order.
func (h *Header) Values(name string) []string {
	var out []string
	for _, f := range h.fields {
		if f.is(name) {
			out = append(out, f.value())
		}
	}
	return out
}

// Names returns the field names in order, as written (duplicates kept).
func (h *Header) Names() []string {
	out := make([]string, 0, len(h.fields))
	for _, f := range h.fields {
		if n := f.name(); n != nil {
			out = append(out, string(n))
		}
	}
	return out
}

// Len is the number of fields (lines that are not fields included).
func (h *Header) Len() int { return len(h.fields) }

// Set gives the field called name the value value: the first such field
// is replaced where it stands and the others are removed; when there is
// none the field is added at the top, as Add does. Setting the value a
// field already has (same bytes once written) changes nothing. See Add for
// how the value is written.
func (h *Header) Set(name, value string) error {
	nf, err := h.newField(name, value)
	if err != nil {
		return err
	}
	first := -1
	for i, f := range h.fields {
		if f.is(name) {
			first = i
			break
		}
	}
	if first < 0 {
		h.insertTop(nf)
		return nil
	}
	old := h.fields[first].raw
	if !hasEOL(old) {
		nf.raw = bytes.TrimRight(nf.raw, "\r\n")
	}
	if !bytes.Equal(old, nf.raw) {
		h.fields[first] = nf
		h.changed = true
	}
	h.delFrom(name, first+1)
	return nil
}

// Add adds a field at the top of the header, above the others. A value
// with line breaks is accepted only when each is followed by a blank
// (folding); they are written with the block's line ending. A value with
// non-ASCII characters is written as RFC 2047 encoded words (UTF-8) in
// unstructured fields (Subject, Comments, Content-Description and X-...),
// and as raw UTF-8 in the others (RFC 6532), where encoding would break
// addresses. Lines longer than 78 characters are folded at a blank when
// there is one.
func (h *Header) Add(name, value string) error {
	nf, err := h.newField(name, value)
	if err != nil {
		return err
	}
	h.insertTop(nf)
	return nil
}

// Del removes every field called name and returns how many there were.
func (h *Header) Del(name string) int {
	return h.delFrom(name, 0)
}

func (h *Header) delFrom(name string, from int) int {
	n := 0
	out := h.fields[:from]
	for _, f := range h.fields[from:] {
		if f.is(name) {
			n++
			continue
		}
		out = append(out, f)
	}
	if n > 0 {
		clear(h.fields[len(out):])
		h.fields = out
		h.changed = true
	}
	return n
}

func (h *Header) insertTop(f field) {
	h.fields = append(h.fields, field{})
	copy(h.fields[1:], h.fields)
	h.fields[0] = f
	h.changed = true
}

func hasEOL(b []byte) bool { return len(b) > 0 && b[len(b)-1] == '\n' }

// Changed reports whether Set, Add or Del changed the header.
func (h *Header) Changed() bool { return h.changed }

// Bytes returns the header block: the slice given to Parse when nothing
// changed, else the fields in order (untouched ones byte for byte)
// followed by the empty line that ended the block.
func (h *Header) Bytes() []byte {
	if !h.changed {
		return h.src
	}
	return h.AppendTo(make([]byte, 0, h.Size()))
}

// Size is the length of the header block Bytes returns.
func (h *Header) Size() int {
	if !h.changed {
		return len(h.src)
	}
	n := len(h.tail)
	for i, f := range h.fields {
		n += len(f.raw)
		if !hasEOL(f.raw) && (i < len(h.fields)-1 || len(h.tail) > 0) {
			n += len(h.EOL())
		}
	}
	return n
}

// AppendTo appends the header block (as Bytes returns it) to out.
func (h *Header) AppendTo(out []byte) []byte {
	if !h.changed {
		return append(out, h.src...)
	}
	for i, f := range h.fields {
		out = append(out, f.raw...)
		if !hasEOL(f.raw) && (i < len(h.fields)-1 || len(h.tail) > 0) {
			out = append(out, h.EOL()...) // a field that was last without a line end
		}
	}
	return append(out, h.tail...)
}

// Subject returns the Subject field decoded to UTF-8 (RFC 2047 encoded
// words in any charset go-message knows), or "" without one. Text that is
// not valid encoded words is returned as it is.
func (h *Header) Subject() string {
	v, _ := h.Get("Subject")
	return Decode(v)
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// Decode decodes the RFC 2047 encoded words of a header value to UTF-8. On
// a malformed word, v is returned unchanged.
func Decode(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// ErrBadName is returned for a field name that RFC 5322 does not allow.
var ErrBadName = errors.New("invalid header field name")

// newField writes name: value with the block's line ending.
func (h *Header) newField(name, value string) (field, error) {
	if !validName([]byte(name)) {
		return field{}, fmt.Errorf("%w %q", ErrBadName, name)
	}
	eol := h.EOL()
	lines, err := splitFolded(value)
	if err != nil {
		return field{}, fmt.Errorf("header %s: %w", name, err)
	}
	if len(lines) == 1 {
		v := lines[0]
		if needsWords(name, v) {
			v = mime.QEncoding.Encode("utf-8", v)
		}
		lines = fold(len(name)+2, v)
	}
	var b bytes.Buffer
	b.Grow(len(name) + 2 + len(value) + len(eol)*len(lines))
	b.WriteString(name)
	b.WriteByte(':')
	if len(lines[0]) > 0 && lines[0][0] != ' ' && lines[0][0] != '\t' {
		b.WriteByte(' ')
	}
	for i, l := range lines {
		if i > 0 {
			b.WriteString(eol)
		}
		b.WriteString(l)
	}
	b.WriteString(eol)
	return field{raw: b.Bytes(), colon: len(name)}, nil
}

// splitFolded splits a value at its line breaks, each of which must be
// followed by a blank (a folded value); a value without is one line.
func splitFolded(v string) ([]string, error) {
	if !strings.ContainsAny(v, "\r\n") {
		return []string{v}, nil
	}
	v = strings.ReplaceAll(v, "\r\n", "\n")
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.ContainsRune(l, '\r') {
			return nil, errors.New("value has a bare CR")
		}
		if i > 0 && (l == "" || (l[0] != ' ' && l[0] != '\t')) {
			return nil, errors.New("value has a line break not followed by a blank (it would start a new field)")
		}
	}
	return lines, nil
}

// needsWords tells whether v is written as encoded words in field name.
func needsWords(name, v string) bool {
	ascii := true
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || !utf8.ValidString(v) {
		return false
	}
	switch strings.ToLower(name) {
	case "subject", "comments", "content-description":
		return true
	}
	return len(name) > 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-'
}

// maxLine is the length above which a new field is folded (RFC 5322 2.1.1).
const maxLine = 78

// fold splits v into lines of at most maxLine characters (the first one
// after a prefix of used characters), breaking before a blank; a word
// longer than a line stays whole.
func fold(used int, v string) []string {
	if used+len(v) <= maxLine {
		return []string{v}
	}
	var lines []string
	for used+len(v) > maxLine {
		cut := -1
		for i := 1; i < len(v) && used+i <= maxLine; i++ {
			if v[i] == ' ' || v[i] == '\t' {
				cut = i
			}
		}
		if cut < 0 { // no blank in reach: break at the next one
			i := strings.IndexAny(v[1:], " \t")
			if i < 0 {
				break
			}
			cut = i + 1
		}
		lines = append(lines, v[:cut])
		v = v[cut:]
		used = 0
	}
	return append(lines, v)
}
