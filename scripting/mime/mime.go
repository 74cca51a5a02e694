// Package mime reads a message's MIME tree and writes it back changing
// only what was changed.
//
// Parse splits a message into parts without copying: every part keeps the
// exact bytes of its header block and body, and a multipart keeps its
// preamble, its delimiter lines and its epilogue, all as slices of the
// input. Write of a tree nobody changed returns the input byte for byte. A
// change (a header field set, a body replaced, a part removed or added)
// marks the part and its ancestors; Write then re-serialises only those:
// every other part, the header fields not touched (DKIM signatures
// included), the preamble and the epilogue are copied as they came.
//
// Malformed MIME is read as far as it goes and never makes Parse fail: a
// missing closing delimiter ends the last part at the end of its parent, a
// part without a header is a text/plain part with an empty header, an
// unknown charset or bad base64 gives the bytes that could be decoded, and
// a multipart without any delimiter is a leaf.
//
// # Limits
//
// Parse descends at most MaxDepth multipart levels and lists at most
// MaxParts parts. A multipart at the depth limit is a leaf: its body is one
// opaque block of bytes. Once MaxParts parts are listed, the rest of the
// multipart being split (from the delimiter of the part that would be over
// the limit to the end, epilogue included) is kept as opaque bytes after
// the listed parts. In both cases the bytes are written back unchanged;
// only the parts beyond the limits cannot be seen or changed.
//
// message/rfc822 parts are leaves: a forwarded message is one part.
package mime

import (
	"bytes"
	"strings"

	"github.com/imapshift/imapshift/core/message"
)

// Limits of Parse (see the package documentation).
const (
	MaxDepth = 32
	MaxParts = 1000
)

// Part is one node of a MIME tree: the message itself (the root, depth 0),
// a multipart with children, or a leaf.
type Part struct {
	// Header is the part's header block (for the root, the message's).
	// Changing it through Set, Add or Del is a change of the part: call
	// Touch afterwards (SetHeader does both).
	Header *message.Header

	src  []byte // the whole part as parsed (header block and body)
	body []byte // the body as parsed, or as replaced (encoded)

	// A split multipart: Children are in order; delims[i] is the
	// delimiter (the line break before it included, the one after it
	// too) that precedes Children[i].
	Children []*Part
	boundary string
	preamble []byte
	delims   [][]byte
	closing  []byte // the close delimiter with its line breaks, nil if missing
	epilogue []byte // what follows it (or the opaque rest past MaxParts)
	split    bool

	parent *Part
	depth  int
	eol    string
	dirty  bool // this part or one below changed since Parse
	// opaque is set on a multipart left unsplit by the depth limit, and on
	// one whose later parts are past MaxParts.
	opaque bool

	mediaType string
	params    map[string]string
}

// Parse reads the MIME tree of raw. It never fails; see the package
// documentation for how malformed input is read. The tree refers to raw,
// which must not change while the tree is used.
func Parse(raw []byte) *Part {
	p := &parser{}
	return p.part(raw, 0, nil, "")
}

type parser struct{ count int }

func (ps *parser) part(src []byte, depth int, parent *Part, defType string) *Part {
	hdr, body := message.Split(src)
	p := &Part{src: src, body: body, Header: message.Parse(hdr), parent: parent, depth: depth}
	p.eol = p.Header.EOL()
	if len(hdr) == 0 || !bytes.Contains(hdr, []byte{'\n'}) {
		p.eol = lineEnd(src)
	}
	p.readType(defType)
	ps.count++
	if b := p.params["boundary"]; strings.HasPrefix(p.mediaType, "multipart/") && b != "" {
		if depth >= MaxDepth {
			p.opaque = true
		} else {
			ps.split(p, b)
		}
	}
	return p
}

// lineEnd guesses the line ending of b from its first line.
func lineEnd(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i > 0 && b[i-1] != '\r' {
		return "\n"
	}
	return "\r\n"
}

// split divides the body of p at its delimiter lines.
func (ps *parser) split(p *Part, boundary string) {
	body := p.body
	dash := []byte("--" + boundary)
	var cur int = -1 // start of the current child's bytes
	childType := ""
	if p.mediaType == "multipart/digest" {
		childType = "message/rfc822"
	}
	for pos := 0; pos < len(body); {
		i := bytes.Index(body[pos:], dash)
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + len(dash)
		if at > 0 && body[at-1] != '\n' {
			continue // not at the start of a line
		}
		rest := body[pos:]
		closing := bytes.HasPrefix(rest, []byte("--"))
		n := len(dash)
		if closing {
			n += 2
		}
		end := at + n
		for end < len(body) && (body[end] == ' ' || body[end] == '\t') {
			end++
		}
		switch {
		case end == len(body):
		case body[end] == '\n':
			end++
		case body[end] == '\r' && end+1 < len(body) && body[end+1] == '\n':
			end += 2
		case body[end] == '\r' && end+1 == len(body):
			end++
		default:
			continue // "--boundaryX": a longer line, not a delimiter
		}
		start := at // the line break before the delimiter belongs to it
		if at > 0 {
			start--
			if start > 0 && body[start-1] == '\r' {
				start--
			}
		}
		if start < cur {
			start = cur // "--b\n--b": an empty part, no line break to take
		}
		if cur < 0 {
			p.preamble = body[:start]
		} else {
			p.Children = append(p.Children, ps.part(body[cur:start], p.depth+1, p, childType))
		}
		if closing {
			if cur < 0 { // a close delimiter first: nothing to split
				p.preamble = nil
				return
			}
			p.closing = body[start:end]
			p.epilogue = body[end:]
			p.split = true
			return
		}
		if ps.count >= MaxParts {
			p.opaque = true
			if cur < 0 {
				p.preamble = nil
				return
			}
			p.epilogue = body[start:]
			p.split = true
			return
		}
		p.delims = append(p.delims, body[start:end])
		cur = end
		pos = end
	}
	if cur < 0 {
		p.preamble = nil
		return // no delimiter: a leaf
	}
	p.Children = append(p.Children, ps.part(body[cur:], p.depth+1, p, childType))
	p.split = true
}

// readType reads the Content-Type of p (def, or text/plain, without one).
func (p *Part) readType(def string) {
	v, ok := p.Header.Get("Content-Type")
	if !ok || strings.TrimSpace(v) == "" {
		if def == "" {
			def = "text/plain"
		}
		p.mediaType, p.params = def, map[string]string{}
		return
	}
	p.mediaType, p.params = ParseValue(v)
	if p.mediaType == "" || !strings.Contains(p.mediaType, "/") {
		p.mediaType = "text/plain"
	}
}

// Write returns the message: the input of Parse when nothing changed,
// else the changed parts re-serialised and the rest copied.
func (p *Part) Write() []byte {
	if !p.dirty {
		return p.src
	}
	return p.AppendTo(make([]byte, 0, p.Size()))
}

// AppendTo appends the part (header block and body) to out.
func (p *Part) AppendTo(out []byte) []byte {
	if !p.dirty {
		return append(out, p.src...)
	}
	out = p.Header.AppendTo(out)
	if !p.split {
		return append(out, p.body...)
	}
	out = append(out, p.preamble...)
	for i, c := range p.Children {
		out = append(out, p.delims[i]...)
		out = c.AppendTo(out)
	}
	out = append(out, p.closing...)
	return append(out, p.epilogue...)
}

// Size is the length of what AppendTo writes.
func (p *Part) Size() int {
	if !p.dirty {
		return len(p.src)
	}
	n := p.Header.Size()
	if !p.split {
		return n + len(p.body)
	}
	n += len(p.preamble) + len(p.closing) + len(p.epilogue)
	for i, c := range p.Children {
		n += len(p.delims[i]) + c.Size()
	}
	return n
}

// Changed reports whether the part or one below it was changed.
func (p *Part) Changed() bool { return p.dirty }

// Touch marks the part changed (after a change of its Header) and re-reads
// its Content-Type.
func (p *Part) Touch() {
	for q := p; q != nil && !q.dirty; q = q.parent {
		q.dirty = true
	}
	def := ""
	if p.parent != nil && p.parent.mediaType == "multipart/digest" {
		def = "message/rfc822"
	}
	bound := p.params["boundary"]
	p.readType(def)
	if p.split && p.params["boundary"] != bound {
		// the boundary was changed by hand: the children keep theirs
		p.params["boundary"] = bound
	}
}

// Walk returns the tree depth first, p first.
func (p *Part) Walk() []*Part {
	var out []*Part
	var walk func(*Part)
	walk = func(q *Part) {
		out = append(out, q)
		for _, c := range q.Children {
			walk(c)
		}
	}
	walk(p)
	return out
}

// MediaType is the lower-case media type ("text/plain" without a
// Content-Type).
func (p *Part) MediaType() string { return p.mediaType }

// Params are the Content-Type parameters, names in lower case, values
// decoded (RFC 2231 and encoded words). The map must not be changed.
func (p *Part) Params() map[string]string { return p.params }

// Depth is 0 for the root, 1 for its children, and so on.
func (p *Part) Depth() int { return p.depth }

// Parent is the multipart holding p, nil for the root.
func (p *Part) Parent() *Part { return p.parent }

// Opaque reports whether a limit left some of the part's bytes unsplit.
func (p *Part) Opaque() bool { return p.opaque }

// Multipart reports whether the part was split into children.
func (p *Part) Multipart() bool { return p.split }

// EOL is the line ending of the part.
func (p *Part) EOL() string { return p.eol }

// Raw is the body as it stands, still transfer-encoded (for a multipart,
// everything after its header block).
func (p *Part) Raw() []byte {
	if !p.dirty || !p.split {
		return p.body
	}
	w := p.AppendTo(nil)
	return w[p.Header.Size():]
}

// BodySize is the length of the encoded body.
func (p *Part) BodySize() int {
	if !p.dirty || !p.split {
		return len(p.body)
	}
	return p.Size() - p.Header.Size()
}

// Disposition returns the Content-Disposition type in lower case ("" when
// there is none) and its parameters, decoded.
func (p *Part) Disposition() (string, map[string]string) {
	v, ok := p.Header.Get("Content-Disposition")
	if !ok {
		return "", map[string]string{}
	}
	return ParseValue(v)
}

// Filename is the part's file name, decoded to UTF-8: the filename
// parameter of Content-Disposition, else the name parameter of
// Content-Type; "" without either.
func (p *Part) Filename() string {
	_, dp := p.Disposition()
	if f := dp["filename"]; f != "" {
		return f
	}
	return p.params["name"]
}

// IsAttachment reports whether the part is an attachment: one with
// Content-Disposition attachment, or a leaf that is not text with a file
// name.
func (p *Part) IsAttachment() bool {
	if p.split {
		return false
	}
	d, _ := p.Disposition()
	if d == "attachment" {
		return true
	}
	if p.parent == nil || strings.HasPrefix(p.mediaType, "multipart/") {
		return false
	}
	return !strings.HasPrefix(p.mediaType, "text/") && p.Filename() != ""
}
