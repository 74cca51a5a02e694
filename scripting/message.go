package scripting

import (
	"bytes"

	lua "github.com/yuin/gopher-lua"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/message"
	"github.com/imapshift/imapshift/scripting/mime"
)

// msgData is what the msg object of a state refers to during one hook
// call. The header is parsed on first use, the body fetched on first use;
// changes are kept here and applied to the message (SetRaw) only after a
// rewrite hook returned without error, and only if the bytes differ.
type msgData struct {
	m       *hooks.Message
	mode    hookKind
	hdr     *message.Header
	hdrSrc  []byte
	body    lua.LValue // the body as a Lua string, once read
	newBody []byte
	bodySet bool
	// tree is the MIME tree (parts.go), parsed on first use;
	// structureValue is msg.structure once built.
	tree           *mime.Part
	structureValue lua.LValue
}

func (d *msgData) reset() { *d = msgData{} }

// newMsg makes the msg object of one call. Its data is reset after the
// call, so a msg a script keeps is refused later.
func (st *state) newMsg(m *hooks.Message, k hookKind) *lua.LUserData {
	st.msg = &msgData{m: m, mode: k}
	ud := st.L.NewUserData()
	ud.Value = st.msg
	ud.Metatable = st.mt
	return ud
}

func (d *msgData) header() *message.Header {
	if d.hdr == nil {
		d.hdrSrc = d.m.Header()
		d.hdr = message.Parse(d.hdrSrc)
	}
	return d.hdr
}

// commit applies a rewrite's changes to the message, when there are any
// and they change its bytes.
func (d *msgData) commit() error {
	if d.tree != nil {
		return d.commitTree()
	}
	hdrChanged := d.hdr != nil && d.hdr.Changed()
	if !hdrChanged && !d.bodySet {
		return nil
	}
	raw, err := d.m.Raw()
	if err != nil {
		return err
	}
	src := d.hdrSrc
	if d.hdr == nil {
		src = d.m.Header()
	}
	var body []byte
	if len(src) > 0 && bytes.HasPrefix(raw, src) {
		body = raw[len(src):]
	} else {
		src, body = message.Split(raw)
	}
	if d.bodySet {
		body = d.newBody
	}
	var out []byte
	if hdrChanged {
		out = d.hdr.AppendTo(make([]byte, 0, d.hdr.Size()+len(body)+4))
	} else {
		out = append(make([]byte, 0, len(src)+len(body)+4), src...)
	}
	if hdr := out; len(body) > 0 && !endsWithBlankLine(hdr) {
		eol := "\r\n"
		if d.hdr != nil {
			eol = d.hdr.EOL()
		}
		if len(hdr) > 0 && hdr[len(hdr)-1] != '\n' {
			out = append(out, eol...)
		}
		out = append(out, eol...)
	}
	out = append(out, body...)
	if !bytes.Equal(out, raw) {
		d.m.SetRaw(out)
	}
	return nil
}

func endsWithBlankLine(h []byte) bool {
	return len(h) == 0 || bytes.HasSuffix(h, []byte("\n\n")) || bytes.HasSuffix(h, []byte("\n\r\n")) ||
		bytes.Equal(h, []byte("\r\n")) || bytes.Equal(h, []byte("\n"))
}

// newMsgMetatable creates the metatable of a state's msg objects: fields
// and methods are served by __index.
func newMsgMetatable(L *lua.LState) *lua.LTable {
	methods := map[string]*lua.LFunction{}
	for name, fn := range msgMethods {
		methods[name] = L.NewFunction(fn)
	}
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		d := checkMsg(L)
		key := L.CheckString(2)
		m := d.m
		switch key {
		case "folder":
			L.Push(lua.LString(m.Folder))
		case "uid":
			L.Push(lua.LNumber(m.UID))
		case "size":
			L.Push(lua.LNumber(m.Size))
		case "flags":
			L.Push(stringList(L, m.Flags))
		case "structure":
			L.Push(d.structure(L))
		case "labels":
			if m.Labels == nil {
				L.Push(lua.LNil)
			} else {
				L.Push(stringList(L, m.Labels))
			}
		case "internal_date":
			if m.InternalDate.IsZero() {
				L.Push(lua.LNil)
			} else {
				L.Push(lua.LNumber(m.InternalDate.Unix()))
			}
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
		L.RaiseError("msg.%s is read-only (use the msg:set_... methods in rewrite)", L.CheckString(2))
		return 0
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		d := checkMsg(L)
		L.Push(lua.LString("message " + d.m.Folder + "/" + lua.LNumber(d.m.UID).String()))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString("msg"))
	return mt
}

func stringList(L *lua.LState, ss []string) *lua.LTable {
	t := L.CreateTable(len(ss), 0)
	for _, s := range ss {
		t.Append(lua.LString(s))
	}
	return t
}

// checkMsg returns the message of the msg argument, refusing a msg kept
// from an earlier call.
func checkMsg(L *lua.LState) *msgData {
	ud := L.CheckUserData(1)
	d, ok := ud.Value.(*msgData)
	if !ok {
		L.ArgError(1, "msg expected")
	}
	if d.m == nil {
		L.RaiseError("msg is only valid during the hook call it was given to")
	}
	return d
}

// checkRewrite refuses changes outside rewrite.
func checkRewrite(L *lua.LState, method string) *msgData {
	d := checkMsg(L)
	if d.mode != kindRewrite {
		L.RaiseError("msg:%s can only be called in rewrite, not in %s", method, hookNames[d.mode])
	}
	return d
}

var msgMethods = map[string]lua.LGFunction{
	// msg:header(name): the first value of the field (unfolded, not
	// decoded), or nil.
	"header": func(L *lua.LState) int {
		d := checkMsg(L)
		v, ok := d.header().Get(L.CheckString(2))
		if !ok {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(v))
		}
		return 1
	},
	// msg:headers(name): every value of the field, in order.
	"headers": func(L *lua.LState) int {
		d := checkMsg(L)
		L.Push(stringList(L, d.header().Values(L.CheckString(2))))
		return 1
	},
	// msg:header_names(): the names of the header fields, in order (a
	// name given twice is listed twice).
	"header_names": func(L *lua.LState) int {
		d := checkMsg(L)
		L.Push(stringList(L, d.header().Names()))
		return 1
	},
	// msg:set_header(name, value): replace the first such field where it
	// stands (removing the others), or add it at the top.
	"set_header": func(L *lua.LState) int {
		d := checkRewrite(L, "set_header")
		if err := d.header().Set(L.CheckString(2), L.CheckString(3)); err != nil {
			L.RaiseError("msg:set_header: %v", err)
		}
		return 0
	},
	// msg:add_header(name, value): add a field at the top.
	"add_header": func(L *lua.LState) int {
		d := checkRewrite(L, "add_header")
		if err := d.header().Add(L.CheckString(2), L.CheckString(3)); err != nil {
			L.RaiseError("msg:add_header: %v", err)
		}
		return 0
	},
	// msg:remove_header(name): remove every such field; returns how many.
	"remove_header": func(L *lua.LState) int {
		d := checkRewrite(L, "remove_header")
		L.Push(lua.LNumber(d.header().Del(L.CheckString(2))))
		return 1
	},
	// msg:subject(): the Subject decoded to UTF-8, "" without one.
	"subject": func(L *lua.LState) int {
		d := checkMsg(L)
		L.Push(lua.LString(d.header().Subject()))
		return 1
	},
	// msg:body(): the body (everything after the header block), fetched
	// on first use.
	"body": func(L *lua.LState) int {
		d := checkMsg(L)
		if d.bodySet {
			L.Push(lua.LString(d.newBody))
			return 1
		}
		if d.body == nil {
			raw, err := d.m.Raw()
			if err != nil {
				L.RaiseError("msg:body: fetching the message: %v", err)
			}
			src := d.m.Header()
			var body []byte
			if len(src) > 0 && bytes.HasPrefix(raw, src) {
				body = raw[len(src):]
			} else {
				_, body = message.Split(raw)
			}
			d.body = lua.LString(body)
		}
		L.Push(d.body)
		return 1
	},
	// msg:set_body(bytes): replace the body.
	"set_body": func(L *lua.LState) int {
		d := checkRewrite(L, "set_body")
		if d.tree != nil {
			L.RaiseError("msg:set_body cannot be used after the part methods in the same call")
		}
		d.newBody = []byte(L.CheckString(2))
		d.bodySet = true
		return 0
	},
}
