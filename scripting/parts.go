package scripting

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/scripting/mime"
)

// The MIME API of msg: msg:parts(), msg:attachments(), msg:text(),
// msg:html(), msg.structure and, in rewrite, msg:add_attachment,
// msg:set_text and msg:set_html; part objects (partRef) with their fields
// and methods. The tree is parsed from the whole message on first use
// (which fetches it), once per call, and shares the message's header with
// msg:header and msg:set_header. A rewrite that changed the tree is
// written back by commitTree, which re-serialises only the changed parts.

// mimeWords are the msg methods that need the body; a script mentioning
// one of them is not header-only.
var mimeWords = []string{"parts", "attachments", "text", "html", "add_attachment", "set_text", "set_html"}

func init() {
	for name, fn := range map[string]lua.LGFunction{
		"parts": func(L *lua.LState) int {
			d := checkMsg(L)
			L.Push(d.partList(L, d.tree2(L, "parts").Walk()))
			return 1
		},
		"attachments": func(L *lua.LState) int {
			d := checkMsg(L)
			var out []*mime.Part
			for _, p := range d.tree2(L, "attachments").Walk() {
				if p.IsAttachment() {
					out = append(out, p)
				}
			}
			L.Push(d.partList(L, out))
			return 1
		},
		"text": func(L *lua.LState) int { return pushBodyText(L, "plain") },
		"html": func(L *lua.LState) int { return pushBodyText(L, "html") },
		"add_attachment": func(L *lua.LState) int {
			d := checkRewrite(L, "add_attachment")
			t := d.tree2(L, "add_attachment")
			p, err := t.AddAttachment(L.CheckString(2), L.CheckString(3), []byte(L.CheckString(4)))
			if err != nil {
				L.RaiseError("msg:add_attachment: %v", err)
			}
			L.Push(d.partObject(L, p))
			return 1
		},
		"set_text": func(L *lua.LState) int { return setBodyText(L, "plain", "set_text") },
		"set_html": func(L *lua.LState) int { return setBodyText(L, "html", "set_html") },
	} {
		msgMethods[name] = fn
	}
}

func pushBodyText(L *lua.LState, kind string) int {
	d := checkMsg(L)
	p := d.tree2(L, kind).Body(kind)
	if p == nil {
		L.Push(lua.LNil)
		return 1
	}
	b, _ := p.Text("")
	L.Push(lua.LString(b))
	return 1
}

func setBodyText(L *lua.LState, kind, method string) int {
	d := checkRewrite(L, method)
	if err := d.tree2(L, method).SetBody(kind, []byte(L.CheckString(2))); err != nil {
		L.RaiseError("msg:%s: %v", method, err)
	}
	return 0
}

// tree2 returns the message's MIME tree, parsing it (and fetching the
// message) on first use.
func (d *msgData) tree2(L *lua.LState, method string) *mime.Part {
	if d.tree != nil {
		return d.tree
	}
	if d.bodySet {
		L.RaiseError("msg:%s cannot be used after msg:set_body in the same call", method)
	}
	raw, err := d.m.Raw()
	if err != nil {
		L.RaiseError("msg:%s: fetching the message: %v", method, err)
	}
	t := mime.Parse(raw)
	if d.hdr != nil {
		// one header for msg:header and the tree, with the changes made
		t.Header = d.hdr
		if d.hdr.Changed() {
			t.Touch()
		}
	} else {
		d.hdr, d.hdrSrc = t.Header, t.Header.Bytes()
	}
	d.tree = t
	return t
}

// commitTree applies a rewrite's changes made through the tree.
func (d *msgData) commitTree() error {
	if d.hdr.Changed() && !d.tree.Changed() {
		d.tree.Touch()
	}
	if !d.tree.Changed() {
		return nil
	}
	raw, err := d.m.Raw()
	if err != nil {
		return err
	}
	if out := d.tree.Write(); !bytes.Equal(out, raw) {
		d.m.SetRaw(out)
	}
	return nil
}

// partRef is what a part object refers to.
type partRef struct {
	d *msgData
	p *mime.Part
}

const partType = "imapshift.part"

func (d *msgData) partObject(L *lua.LState, p *mime.Part) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = &partRef{d: d, p: p}
	ud.Metatable = partMetatable(L)
	return ud
}

func (d *msgData) partList(L *lua.LState, ps []*mime.Part) *lua.LTable {
	t := L.CreateTable(len(ps), 0)
	for _, p := range ps {
		t.Append(d.partObject(L, p))
	}
	return t
}

func checkPart(L *lua.LState) *partRef {
	ud := L.CheckUserData(1)
	r, ok := ud.Value.(*partRef)
	if !ok {
		L.ArgError(1, "part expected")
	}
	if r.d.m == nil || r.d.tree == nil {
		L.RaiseError("a part is only valid during the hook call that got it")
	}
	return r
}

// checkPartRewrite refuses changes outside rewrite and on removed parts.
func checkPartRewrite(L *lua.LState, method string) *partRef {
	r := checkPart(L)
	if r.d.mode != kindRewrite {
		L.RaiseError("part:%s can only be called in rewrite, not in %s", method, hookNames[r.d.mode])
	}
	if r.p.Removed() {
		L.RaiseError("part:%s: the part was removed or replaced", method)
	}
	return r
}

var partMethods = map[string]lua.LGFunction{
	// part:header(name): the first value of the field, unfolded, or nil.
	"header": func(L *lua.LState) int {
		r := checkPart(L)
		if v, ok := r.p.Header.Get(L.CheckString(2)); ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	},
	// part:body([charset]): the decoded content; text in UTF-8 (from
	// charset when given, else the declared one). A second result says
	// what could not be decoded.
	"body": func(L *lua.LState) int {
		r := checkPart(L)
		b, err := r.p.Text(L.OptString(2, ""))
		L.Push(lua.LString(b))
		if err != nil {
			L.Push(lua.LString(err.Error()))
			return 2
		}
		return 1
	},
	// part:raw(): the body as it stands, still encoded.
	"raw": func(L *lua.LState) int {
		r := checkPart(L)
		L.Push(lua.LString(r.p.Raw()))
		return 1
	},
	// part:sha256(): the hex SHA-256 of the content with its transfer
	// encoding undone (the file an attachment holds), and its size.
	"sha256": func(L *lua.LState) int {
		r := checkPart(L)
		b, _ := r.p.Decoded()
		sum := sha256.Sum256(b)
		L.Push(lua.LString(hex.EncodeToString(sum[:])))
		L.Push(lua.LNumber(len(b)))
		return 2
	},
	"remove": func(L *lua.LState) int {
		r := checkPartRewrite(L, "remove")
		if err := r.p.Remove(L.OptString(2, "")); err != nil {
			L.RaiseError("part:remove: %v", err)
		}
		return 0
	},
	"replace": func(L *lua.LState) int {
		r := checkPartRewrite(L, "replace")
		if err := r.p.Replace(L.CheckString(2), []byte(L.CheckString(3))); err != nil {
			L.RaiseError("part:replace: %v", err)
		}
		return 0
	},
	// part:set_header(name, value): set a field of the part (nil or ""
	// removes it).
	"set_header": func(L *lua.LState) int {
		r := checkPartRewrite(L, "set_header")
		if err := r.p.SetHeader(L.CheckString(2), L.OptString(3, "")); err != nil {
			L.RaiseError("part:set_header: %v", err)
		}
		return 0
	},
}

func partMetatable(L *lua.LState) *lua.LTable {
	if mt, ok := L.GetTypeMetatable(partType).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTypeMetatable(partType)
	methods := map[string]*lua.LFunction{}
	for name, fn := range partMethods {
		methods[name] = L.NewFunction(fn)
	}
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		r := checkPart(L)
		p := r.p
		switch key := L.CheckString(2); key {
		case "content_type":
			L.Push(lua.LString(p.MediaType()))
		case "params":
			L.Push(stringMap(L, p.Params()))
		case "charset":
			L.Push(optString(p.Charset()))
		case "encoding":
			L.Push(lua.LString(p.Encoding()))
		case "filename":
			L.Push(optString(p.Filename()))
		case "disposition":
			disp, _ := p.Disposition()
			L.Push(optString(disp))
		case "size":
			L.Push(lua.LNumber(p.BodySize()))
		case "depth":
			L.Push(lua.LNumber(p.Depth()))
		case "index":
			idx := lua.LValue(lua.LNil)
			for i, q := range r.d.tree.Walk() {
				if q == p {
					idx = lua.LNumber(i + 1)
				}
			}
			L.Push(idx)
		case "is_attachment":
			L.Push(lua.LBool(p.IsAttachment()))
		default:
			if fn, ok := methods[key]; ok {
				L.Push(fn)
			} else {
				L.Push(lua.LNil)
			}
		}
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("part.%s is read-only (use part:replace or part:set_header in rewrite)", L.CheckString(2))
		return 0
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		r := checkPart(L)
		L.Push(lua.LString(describe(r.p.MediaType(), r.p.Filename(), r.p.BodySize())))
		return 1
	}))
	mt.RawSetString("__eq", L.NewFunction(func(L *lua.LState) int {
		a, _ := L.CheckUserData(1).Value.(*partRef)
		b, _ := L.CheckUserData(2).Value.(*partRef)
		L.Push(lua.LBool(a != nil && b != nil && a.p == b.p))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString("part"))
	return mt
}

func describe(typ, name string, size int) string {
	s := "part " + typ
	if name != "" {
		s += " " + `"` + name + `"`
	}
	return s + " (" + lua.LNumber(size).String() + " bytes)"
}

func optString(s string) lua.LValue {
	if s == "" {
		return lua.LNil
	}
	return lua.LString(s)
}

func stringMap(L *lua.LState, m map[string]string) *lua.LTable {
	t := L.CreateTable(0, len(m))
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}

// structure returns msg.structure: the parts the server described
// (BODYSTRUCTURE) when the engine fetched it, else those of the parsed
// message (fetching it).
func (d *msgData) structure(L *lua.LState) lua.LValue {
	if d.structureValue != nil {
		return d.structureValue
	}
	ps := d.m.Structure
	if ps == nil {
		ps = Structure(d.tree2(L, "structure"))
	}
	t := L.CreateTable(len(ps), 0)
	for i, p := range ps {
		e := L.CreateTable(0, 7)
		e.RawSetString("content_type", lua.LString(p.ContentType))
		e.RawSetString("params", stringMap(L, p.Params))
		e.RawSetString("filename", optString(p.Filename))
		e.RawSetString("disposition", optString(p.Disposition))
		e.RawSetString("size", lua.LNumber(p.Size))
		e.RawSetString("depth", lua.LNumber(p.Depth))
		e.RawSetString("index", lua.LNumber(i+1))
		t.Append(e)
	}
	d.structureValue = t
	return t
}

// Structure describes a parsed tree as msg.structure does (Size is the
// encoded size of leaves, 0 for multiparts, as in BODYSTRUCTURE).
func Structure(root *mime.Part) []hooks.StructurePart {
	var out []hooks.StructurePart
	for _, p := range root.Walk() {
		disp, _ := p.Disposition()
		sp := hooks.StructurePart{ContentType: p.MediaType(), Params: p.Params(), Disposition: disp, Filename: p.Filename(), Depth: p.Depth()}
		if !p.Multipart() {
			sp.Size = int64(p.BodySize())
		}
		out = append(out, sp)
	}
	return out
}

// Tree renders a message's MIME tree as an indented list, one part a
// line: type, encoded size, file name (for `imapshift script test`).
func Tree(raw []byte) string {
	var b strings.Builder
	for _, p := range Structure(mime.Parse(raw)) {
		b.WriteString(strings.Repeat("  ", p.Depth))
		b.WriteString(p.ContentType)
		if p.ContentType[:min(len(p.ContentType), 10)] != "multipart/" {
			b.WriteString(" " + lua.LNumber(p.Size).String() + " bytes")
		}
		if p.Filename != "" {
			b.WriteString(` "` + p.Filename + `"`)
		}
		if p.Disposition == "attachment" {
			b.WriteString(" attachment")
		}
		b.WriteString("\n")
	}
	return b.String()
}
