package scripting

import (
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Sizes of a sandboxed state.
const (
	callStackSize   = 200        // Lua call depth
	registrySize    = 4 * 1024   // initial value stack slots
	registryMaxSize = 256 * 1024 // value stack limit (deep expressions, many arguments)
	registryGrow    = 4 * 1024   // growth step (gopher-lua's 32 makes big stacks quadratic)
	// maxResults caps the values unpack and string.byte push at once, as
	// Lua's own stack check does.
	maxResults = 8000
	// patternLimit is the longest string Lua patterns (string.find without
	// plain, match, gmatch, gsub) accept: gopher-lua's matcher backtracks
	// and cannot be interrupted by the time limit, whereas re.* (Go's
	// regexp) runs in linear time.
	patternLimit = 256 << 10
)

// removedGlobals are base functions a script must not have: loaders
// (load, dofile, require...), the GC, a debug printer, and print (replaced
// by log.info).
var removedGlobals = []string{
	"dofile", "loadfile", "load", "loadstring", "require", "module",
	"collectgarbage", "_printregs", "print",
}

// newSandbox returns a state with only base, table, string and math open,
// the loaders removed, the unbounded built-ins replaced by capped ones,
// and the re, date and log modules.
func newSandbox(opts *Options, log logFunc) *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    callStackSize,
		RegistrySize:     registrySize,
		RegistryMaxSize:  registryMaxSize,
		RegistryGrowStep: registryGrow,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, g := range removedGlobals {
		L.SetGlobal(g, lua.LNil)
	}
	capBuiltins(L, opts.MaxString)
	openRe(L, opts.MaxString)
	openDate(L, opts)
	openLog(L, log)
	L.SetGlobal("print", L.GetField(L.GetGlobal("log"), "info"))
	return L
}

// capBuiltins replaces the string and table functions that can build a
// huge string in one Go call, where the time limit cannot stop them.
func capBuiltins(L *lua.LState, maxString int) {
	str := L.GetGlobal(lua.StringLibName).(*lua.LTable)
	tbl := L.GetGlobal(lua.TabLibName).(*lua.LTable)
	orig := func(t *lua.LTable, name string) *lua.LFunction { return t.RawGetString(name).(*lua.LFunction) }

	base := L.Get(lua.GlobalsIndex).(*lua.LTable)
	unpack := orig(base, "unpack")
	base.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		i, j := L.OptInt(2, 1), L.OptInt(3, t.Len())
		if j-i >= maxResults {
			L.RaiseError("too many results to unpack")
		}
		return callGo(L, unpack)
	}))
	byteFn := orig(str, "byte")
	str.RawSetString("byte", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		i, j := startIndex(len(s), L.OptInt(2, 1)), L.OptInt(3, L.OptInt(2, 1))
		if j < 0 {
			j = len(s) + j + 1
		}
		if j-i > maxResults {
			L.RaiseError("string.byte: too many results")
		}
		return callGo(L, byteFn)
	}))
	str.RawSetString("dump", lua.LNil)
	str.RawSetString("gfind", lua.LNil)
	str.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		n := L.CheckInt(2)
		if n <= 0 || s == "" {
			L.Push(lua.LString(""))
			return 1
		}
		if n > maxString/len(s) {
			L.RaiseError("string.rep: the result (%d bytes) is over the limit of %d bytes", int64(n)*int64(len(s)), maxString)
		}
		L.Push(lua.LString(strings.Repeat(s, n)))
		return 1
	}))

	format := orig(str, "format")
	str.RawSetString("format", L.NewFunction(func(L *lua.LState) int {
		if err := checkFormat(L.CheckString(1)); err != nil {
			L.RaiseError("string.format: %v", err)
		}
		return callGo(L, format)
	}))

	// Lua patterns on a long subject: refused, see patternLimit. A plain
	// string.find is strings.Index and always allowed.
	guard := func(name string) {
		fn := orig(str, name)
		str.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			s := L.CheckString(1)
			if len(s) > patternLimit && !(name == "find" && lua.LVAsBool(L.Get(4))) {
				L.RaiseError("string.%s on a %d-byte string: Lua patterns are limited to %d bytes; use re.%s (or string.find with plain = true)", name, len(s), patternLimit, reName(name))
			}
			if name == "gsub" {
				if r, ok := L.Get(3).(lua.LString); ok {
					if est := int64(len(s)+1)*int64(len(r)+1) + int64(len(s)); est > int64(maxString) {
						L.RaiseError("string.gsub: the result may be over the limit of %d bytes", maxString)
					}
				}
			}
			return callGo(L, fn)
		}))
	}
	for _, name := range []string{"find", "match", "gmatch", "gsub"} {
		guard(name)
	}

	tbl.RawSetString("concat", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		sep := L.OptString(2, "")
		i := L.OptInt(3, 1)
		j := L.OptInt(4, t.Len())
		if i > j {
			L.Push(lua.LString(""))
			return 1
		}
		n := 0
		for k := i; k <= j; k++ {
			v := t.RawGetInt(k)
			switch v.(type) {
			case lua.LString, lua.LNumber:
			default:
				L.RaiseError("table.concat: invalid value (a %s) at index %d", v.Type(), k)
			}
			n += len(lua.LVAsString(v))
			if k < j {
				n += len(sep)
			}
			if n > maxString {
				L.RaiseError("table.concat: the result is over the limit of %d bytes", maxString)
			}
		}
		var b strings.Builder
		b.Grow(n)
		for k := i; k <= j; k++ {
			b.WriteString(lua.LVAsString(t.RawGetInt(k)))
			if k < j {
				b.WriteString(sep)
			}
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
}

func reName(name string) string {
	if name == "gmatch" {
		return "split"
	}
	return name
}

// callGo calls the original Go built-in fn with the current arguments.
func callGo(L *lua.LState, fn *lua.LFunction) int {
	top := L.GetTop()
	L.Push(fn)
	for i := 1; i <= top; i++ {
		L.Push(L.Get(i))
	}
	L.Call(top, lua.MultRet)
	return L.GetTop() - top
}

// checkFormat refuses widths and precisions of more than two digits, as
// Lua itself does: "%99999999d" would make Go allocate that much.
func checkFormat(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		digits := 0
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			i++
			digits++
		}
		if digits > 2 {
			return fmt.Errorf("invalid format (width longer than 2 digits)")
		}
		if i < len(f) && f[i] == '.' {
			i++
			digits = 0
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
				digits++
			}
			if digits > 2 {
				return fmt.Errorf("invalid format (precision longer than 2 digits)")
			}
		}
		if i < len(f) && f[i] == '*' {
			return fmt.Errorf("invalid format (* width)")
		}
	}
	return nil
}

// luaString renders v as tostring would, for log lines.
func luaString(L *lua.LState, v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		f := float64(x)
		if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
			return strconv.FormatInt(int64(f), 10)
		}
		return x.String()
	}
	if fn := L.GetGlobal("tostring"); fn != lua.LNil {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, v); err == nil {
			s := L.Get(-1).String()
			L.Pop(1)
			return s
		}
	}
	return v.String()
}
