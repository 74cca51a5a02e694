package scripting

import (
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/imapshift/imapshift/core/hooks"
)

// The adapters below implement the core hook interfaces with a script's
// functions. Errors carry the Lua message and traceback; the chain adds
// the script's name.

var (
	_ hooks.FolderMapper    = folderHook{}
	_ hooks.MessageSkipper  = skipHook{}
	_ hooks.MessageRewriter = rewriteHook{}
	_ hooks.FlagFilter      = flagHook{}
	_ hooks.LabelFilter     = labelHook{}
	_ hooks.HeaderOnly      = skipHook{}
	_ hooks.HeaderOnly      = flagHook{}
	_ hooks.WantsStructure  = skipHook{}
)

type folderHook struct{ s *Script }

// MapFolder calls map_folder(folder). It returns a new name, nothing to
// keep the current one, or false and a reason to skip the folder.
func (h folderHook) MapFolder(f hooks.Folder) (hooks.FolderResult, error) {
	var res hooks.FolderResult
	err := h.s.call(kindMapFolder, func(st *state) []lua.LValue {
		L := st.L
		st.folder = f.Name
		t := L.CreateTable(0, 7)
		t.RawSetString("name", lua.LString(f.Name))
		t.RawSetString("target", lua.LString(f.Target))
		t.RawSetString("sep1", lua.LString(f.Sep1))
		t.RawSetString("sep2", lua.LString(f.Sep2))
		t.RawSetString("prefix1", lua.LString(f.Prefix1))
		t.RawSetString("prefix2", lua.LString(f.Prefix2))
		t.RawSetString("special_use", stringList(L, f.SpecialUse))
		return []lua.LValue{t}
	}, 2, func(_ *state, rets []lua.LValue) error {
		switch v := rets[0].(type) {
		case *lua.LNilType:
		case lua.LString:
			if v == "" {
				return errors.New("map_folder returned an empty name (return nothing to keep the folder's name)")
			}
			res.Target = string(v)
		case lua.LBool:
			if v {
				return errors.New("map_folder returned true: return a name, nothing, or false and a reason")
			}
			res.Skip = "skipped by " + h.s.name
			if r, ok := rets[1].(lua.LString); ok && r != "" {
				res.Skip = string(r)
			}
		default:
			return fmt.Errorf("map_folder returned a %s: return a name, nothing, or false and a reason", v.Type())
		}
		return nil
	})
	return res, err
}

type skipHook struct{ s *Script }

// Skip calls skip(msg): true or a reason skips the message, nil or false
// keeps it.
func (h skipHook) Skip(m *hooks.Message) (string, error) {
	var reason string
	err := h.s.call(kindSkip, func(st *state) []lua.LValue {
		return []lua.LValue{st.newMsg(m, kindSkip)}
	}, 1, func(_ *state, rets []lua.LValue) error {
		switch v := rets[0].(type) {
		case *lua.LNilType:
		case lua.LBool:
			if v {
				reason = "skipped by " + h.s.name
			}
		case lua.LString:
			reason = string(v)
		default:
			return fmt.Errorf("skip returned a %s: return true, a reason, or nothing", v.Type())
		}
		return nil
	})
	return reason, err
}

// HeaderOnly is true unless the script mentions body, set_body or a MIME
// method (parts.go).
func (h skipHook) HeaderOnly() bool { return !h.s.usesBody }

type rewriteHook struct{ s *Script }

// Rewrite calls rewrite(msg); the changes the script made are applied
// (one SetRaw) when it returns without error and they change the bytes.
func (h rewriteHook) Rewrite(m *hooks.Message) error {
	return h.s.call(kindRewrite, func(st *state) []lua.LValue {
		return []lua.LValue{st.newMsg(m, kindRewrite)}
	}, 0, func(st *state, _ []lua.LValue) error {
		return st.msg.commit()
	})
}

type flagHook struct{ s *Script }

// Flags calls flags(msg, flags), which returns the new list (nothing
// keeps it).
func (h flagHook) Flags(m *hooks.Message, flags []string) ([]string, error) {
	out := flags
	err := h.s.call(kindFlags, func(st *state) []lua.LValue {
		return []lua.LValue{st.newMsg(m, kindFlags), stringList(st.L, flags)}
	}, 1, func(_ *state, rets []lua.LValue) error {
		l, err := returnedList("flags", "flag", rets[0])
		if l != nil {
			out = l
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HeaderOnly is true unless the script mentions body, set_body or a MIME
// method (parts.go).
func (h flagHook) HeaderOnly() bool { return !h.s.usesBody }

// WantsStructure is true when the script mentions structure (msg.structure).
func (h skipHook) WantsStructure() bool { return h.s.usesStructure }

// WantsStructure is true when the script mentions structure (msg.structure).
func (h flagHook) WantsStructure() bool { return h.s.usesStructure }

// WantsStructure is true when the script mentions structure (msg.structure).
func (h rewriteHook) WantsStructure() bool { return h.s.usesStructure }

type labelHook struct{ s *Script }

// Labels calls labels(msg, labels), which returns the labels to set on
// host2 (nothing keeps them).
func (h labelHook) Labels(m *hooks.Message, labels []string) ([]string, error) {
	out := labels
	err := h.s.call(kindLabels, func(st *state) []lua.LValue {
		return []lua.LValue{st.newMsg(m, kindLabels), stringList(st.L, labels)}
	}, 1, func(_ *state, rets []lua.LValue) error {
		l, err := returnedList("labels", "label", rets[0])
		if l != nil {
			out = l
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// returnedList reads the list of strings a hook function returned (name is
// the function, noun one element). Nil means "keep the input" and gives
// a nil list with no error.
func returnedList(name, noun string, ret lua.LValue) ([]string, error) {
	switch v := ret.(type) {
	case *lua.LNilType:
		return nil, nil
	case *lua.LTable:
		out := make([]string, 0, v.Len())
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				return nil, fmt.Errorf("%s returned a list with a %s at index %d: %s are strings", name, v.RawGetInt(i).Type(), i, name)
			}
			if s == "" {
				return nil, fmt.Errorf("%s returned an empty %s at index %d", name, noun, i)
			}
			out = append(out, string(s))
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s returned a %s: return the list of %s", name, v.Type(), name)
	}
}
