package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/imapshift/imapshift/core/message"
)

// Errors of the changes.
var (
	ErrRoot   = errors.New("the message itself cannot be removed")
	ErrOpaque = errors.New("the multipart has parts past the limit of parts; it cannot be changed")
	ErrGone   = errors.New("the part was removed")
)

// SetHeader sets a field of the part's header (as message.Header.Set
// does); an empty value removes the field.
func (p *Part) SetHeader(name, value string) error {
	if value == "" {
		if p.Header.Del(name) > 0 {
			p.Touch()
		}
		return nil
	}
	if err := p.Header.Set(name, value); err != nil {
		return err
	}
	if p.Header.Changed() {
		p.Touch()
	}
	return nil
}

// Remove takes the part out of the tree. With a note, a small text/plain
// part saying note takes its place instead.
func (p *Part) Remove(note string) error {
	parent := p.parent
	if parent == nil {
		return ErrRoot
	}
	i := slices.Index(parent.Children, p)
	if i < 0 {
		return ErrGone
	}
	if note != "" {
		np := newLeaf(parent, p.eol, []string{"Content-Disposition", "inline"}, "text/plain; charset=utf-8", []byte(note), true)
		parent.Children[i] = np
		p.parent = nil
		np.Touch()
		return nil
	}
	if i == 0 && len(parent.delims) > 1 {
		// keep the first delimiter as it was (it may start the body)
		parent.delims = slices.Delete(parent.delims, 1, 2)
	} else {
		parent.delims = slices.Delete(parent.delims, i, i+1)
	}
	parent.Children = slices.Delete(parent.Children, i, i+1)
	p.parent = nil
	parent.Touch()
	return nil
}

// Removed reports whether the part is no longer in its tree (it, or a
// part above it, was removed or replaced).
func (p *Part) Removed() bool { return p.Root().depth > 0 }

func setDepth(p *Part, d int) {
	p.depth = d
	for _, c := range p.Children {
		setDepth(c, d+1)
	}
}

// Replace gives the part a new content of media type ctype (parameters
// allowed; text gets charset=utf-8 unless it names one), encoded as
// needed: 7bit, quoted-printable or base64. Its other header fields stay;
// a multipart replaced by a leaf loses its children.
func (p *Part) Replace(ctype string, content []byte) error {
	typ, params := ParseValue(ctype)
	if typ == "" || !strings.Contains(typ, "/") {
		return errors.New("content type " + ctype + " is not type/subtype")
	}
	if strings.HasPrefix(typ, "multipart/") {
		return errors.New("a part cannot be replaced by a multipart")
	}
	if strings.HasPrefix(typ, "text/") && params["charset"] == "" {
		params["charset"] = "utf-8"
	}
	cte, body := encode(typ, content, p.eol)
	if err := p.Header.Set("Content-Type", mime.FormatMediaType(typ, params)); err != nil {
		return err
	}
	if cte != "7bit" || p.Header.Has("Content-Transfer-Encoding") { // 7bit is the default
		if err := setAfter(p, "Content-Transfer-Encoding", cte, "Content-Type"); err != nil {
			return err
		}
	}
	p.body = body
	p.split, p.opaque = false, false
	for _, c := range p.Children {
		c.parent = nil
	}
	p.Children, p.delims, p.preamble, p.closing, p.epilogue = nil, nil, nil, nil, nil
	p.dirty = false
	p.Touch()
	return nil
}

// newLeaf makes a part to insert under parent: Content-Type ctype, the
// fields given (name, value, name, value...), and content encoded.
func newLeaf(parent *Part, eol string, fields []string, ctype string, content []byte, note bool) *Part {
	typ, _ := ParseValue(ctype)
	cte, body := encode(typ, content, eol)
	if cte == "7bit" && note || note && utf8.Valid(content) && len(content) < 998 && !bytes.ContainsAny(content, "\r\n") {
		// a note of one line, labelled 8bit as mailers do
		cte, body = "8bit", append(content[:len(content):len(content)], eol...)
	}
	h := message.Parse([]byte(eol))
	for i := len(fields) - 2; i >= 0; i -= 2 {
		h.Add(fields[i], fields[i+1])
	}
	h.Add("Content-Transfer-Encoding", cte)
	h.Add("Content-Type", ctype)
	src := h.AppendTo(nil)
	hl := len(src)
	src = append(src, body...)
	np := Parse(src)
	np.src = src
	np.body = src[hl:]
	np.parent = parent
	np.depth = parent.depth + 1
	np.eol = eol
	return np
}

// newBoundary returns a boundary that does not occur in b, derived from
// b's digest so that the same change gives the same bytes.
func newBoundary(b []byte) string {
	sum := sha256.Sum256(b)
	for i := 0; ; i++ {
		s := "=_imapshift_" + hex.EncodeToString(sum[:12])
		if i > 0 {
			s += "_" + strconv.Itoa(i)
		}
		if !bytes.Contains(b, []byte(s)) {
			return s
		}
	}
}

// setAfter sets field name to value; a new field goes right after the
// field after (or at the top without one), where readers expect it.
func setAfter(p *Part, name, value, after string) error {
	if p.Header.Has(name) || !p.Header.Has(after) {
		return p.Header.Set(name, value)
	}
	block := p.Header.Bytes()
	pos := 0
	found := false
	for pos < len(block) {
		end := bytes.IndexByte(block[pos:], '\n')
		if end < 0 {
			end = len(block)
		} else {
			end += pos + 1
		}
		line := block[pos:end]
		isCont := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
		if found && !isCont {
			break
		}
		if !found && len(line) > len(after) && strings.EqualFold(string(line[:len(after)]), after) && strings.HasPrefix(strings.TrimLeft(string(line[len(after):]), " \t"), ":") {
			found = true
		}
		pos = end
	}
	tmp := message.Parse([]byte(p.eol))
	if err := tmp.Add(name, value); err != nil {
		return err
	}
	field := tmp.Bytes()
	field = field[:len(field)-len(p.eol)]
	nb := make([]byte, 0, len(block)+len(field))
	nb = append(append(append(nb, block[:pos]...), field...), block[pos:]...)
	*p.Header = *message.Parse(nb) // in place: msg:header shares the root's
	return nil
}

// appendChild adds c at the end of multipart p.
func (p *Part) appendChild(c *Part) error {
	if p.opaque {
		return ErrOpaque
	}
	return p.insertChild(len(p.Children), c)
}

func (p *Part) insertChild(i int, c *Part) error {
	if p.opaque {
		return ErrOpaque
	}
	b := p.params["boundary"]
	d := []byte(p.eol + "--" + b + p.eol)
	if i == 0 && len(p.delims) > 0 {
		// the new part takes the first delimiter, the old first gets a new one
		p.delims = slices.Insert(p.delims, 1, d)
	} else {
		if len(p.delims) == 0 && len(p.preamble) == 0 {
			d = d[len(p.eol):]
		}
		p.delims = slices.Insert(p.delims, i, d)
	}
	p.Children = slices.Insert(p.Children, i, c)
	c.parent = p
	setDepth(c, p.depth+1)
	if p.closing == nil {
		p.closing = []byte(p.eol + "--" + b + "--" + p.eol)
	}
	c.Touch()
	return nil
}

// wrap turns p into a multipart/sub whose first child is p's old content
// (its Content-* fields and body, or children); the caller adds the
// others. MIME-Version is added to a root that lacks it.
func (p *Part) wrap(sub string) {
	inner := *p
	inner.Header = message.Parse([]byte(p.eol))
	names := p.Header.Names()
	for i := len(names) - 1; i >= 0; i-- {
		if strings.HasPrefix(strings.ToLower(names[i]), "content-") {
			vals := p.Header.Values(names[i])
			// Values lists every field of that name: add the one for
			// this position (counting from the end).
			k := 0
			for _, n := range names[i+1:] {
				if strings.EqualFold(n, names[i]) {
					k++
				}
			}
			inner.Header.Add(names[i], vals[len(vals)-1-k])
		}
	}
	inner.parent = p
	inner.dirty = true
	for _, c := range inner.Children {
		c.parent = &inner
	}
	setDepth(&inner, p.depth+1)
	for _, n := range names {
		if l := strings.ToLower(n); strings.HasPrefix(l, "content-") && l != "content-type" {
			p.Header.Del(n)
		}
	}
	all := p.AppendTo(nil)
	b := newBoundary(all)
	p.Header.Set("Content-Type", mime.FormatMediaType("multipart/"+sub, map[string]string{"boundary": b}))
	if p.parent == nil && !p.Header.Has("MIME-Version") {
		p.Header.Add("MIME-Version", "1.0")
	}
	p.mediaType = "multipart/" + sub
	p.params = map[string]string{"boundary": b}
	p.split, p.opaque = true, false
	p.Children = []*Part{&inner}
	p.delims = [][]byte{[]byte("--" + b + p.eol)}
	p.preamble = nil
	p.closing = []byte(p.eol + "--" + b + "--" + p.eol)
	p.epilogue = nil
	p.body = nil
	p.dirty = false
	inner.Touch()
	p.Touch()
	p.params = map[string]string{"boundary": b}
}

// AddAttachment adds a part with Content-Disposition attachment and the
// file name given at the end of the message: in the root when it is a
// multipart/mixed, else the root becomes one holding the old content and
// the attachment. It returns the new part.
func (p *Part) AddAttachment(filename, ctype string, content []byte) (*Part, error) {
	root := p.Root()
	typ, params := ParseValue(ctype)
	if typ == "" || !strings.Contains(typ, "/") || strings.HasPrefix(typ, "multipart/") {
		return nil, errors.New("content type " + ctype + " is not a leaf type/subtype")
	}
	if filename != "" {
		params["name"] = filename
	}
	ct := mime.FormatMediaType(typ, params)
	disp := "attachment"
	if filename != "" {
		disp = mime.FormatMediaType("attachment", map[string]string{"filename": filename})
	}
	if root.mediaType != "multipart/mixed" || !root.split {
		root.wrap("mixed")
	}
	np := newLeaf(root, root.eol, []string{"Content-Disposition", disp}, ct, content, false)
	if err := root.appendChild(np); err != nil {
		return nil, err
	}
	return np, nil
}

// Root is the top of p's tree.
func (p *Part) Root() *Part {
	for p.parent != nil {
		p = p.parent
	}
	return p
}

// Body finds the message's text/plain (kind "plain") or text/html body:
// the first leaf of that type that is not an attachment. nil when none.
func (p *Part) Body(kind string) *Part {
	for _, q := range p.Root().Walk() {
		if q.split || q.mediaType != "text/"+kind {
			continue
		}
		if d, _ := q.Disposition(); d == "attachment" {
			continue
		}
		return q
	}
	return nil
}

// SetBody gives the message a text/plain (kind "plain") or text/html body.
// The existing one is replaced; a message with only the other kind gets a
// multipart/alternative in its place holding both; a message with neither
// gets the new body first in a multipart/mixed.
func (p *Part) SetBody(kind string, content []byte) error {
	ct := "text/" + kind + "; charset=utf-8"
	if b := p.Body(kind); b != nil {
		return b.Replace(ct, content)
	}
	other := "html"
	if kind == "html" {
		other = "plain"
	}
	root := p.Root()
	if o := p.Body(other); o != nil && (o.parent == nil || o.parent.mediaType != "multipart/alternative") {
		o.wrap("alternative")
		np := newLeaf(o, o.eol, nil, ct, content, false)
		if kind == "plain" {
			return o.insertChild(0, np)
		}
		return o.appendChild(np)
	} else if o != nil {
		np := newLeaf(o.parent, o.eol, nil, ct, content, false)
		if kind == "plain" {
			return o.parent.insertChild(0, np)
		}
		return o.parent.appendChild(np)
	}
	if root.mediaType != "multipart/mixed" || !root.split {
		root.wrap("mixed")
	}
	return root.insertChild(0, newLeaf(root, root.eol, nil, ct, content, false))
}
