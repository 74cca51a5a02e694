package scripting

import (
	lua "github.com/yuin/gopher-lua"
)

// Function stands for a Lua function in a value converted by Eval.
type Function struct{}

// maxDepth bounds the nesting of converted tables (and cycles).
const maxDepth = 32

// Eval compiles and runs src in a sandbox and returns what its top level
// returned, converted to Go: nil, bool, float64, string, []any for a
// table whose keys are 1..n (an empty table too), map[string]any for a
// table with string keys, Function for a function. Other keys or values
// (userdata, number keys beside a sequence) become nil. Presets are read
// with it.
func Eval(name string, src []byte, opts Options) (any, error) {
	s, err := Compile(name, src, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.returned, nil
}

func toGo(v lua.LValue, depth int) any {
	switch x := v.(type) {
	case lua.LBool:
		return bool(x)
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		return string(x)
	case *lua.LFunction:
		return Function{}
	case *lua.LTable:
		if depth >= maxDepth {
			return nil
		}
		n := x.Len()
		isList := true
		count := 0
		x.ForEach(func(k, _ lua.LValue) {
			count++
			if kn, ok := k.(lua.LNumber); !ok || float64(kn) != float64(int(kn)) || int(kn) < 1 || int(kn) > n {
				isList = false
			}
		})
		if isList && count == n {
			out := make([]any, n)
			for i := 1; i <= n; i++ {
				out[i-1] = toGo(x.RawGetInt(i), depth+1)
			}
			return out
		}
		out := map[string]any{}
		x.ForEach(func(k, val lua.LValue) {
			if ks, ok := k.(lua.LString); ok {
				out[string(ks)] = toGo(val, depth+1)
			}
		})
		return out
	}
	return nil
}
