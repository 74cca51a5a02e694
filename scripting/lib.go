package scripting

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/imapshift/imapshift/core/dates"
)

// --- re: Go's regexp (RE2 syntax, linear time) ---

// reCache holds compiled patterns for every state; regexp.Regexp is safe
// for concurrent use. It is emptied when it grows past reCacheMax.
var reCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const reCacheMax = 1024

func compileRe(L *lua.LState, pat string) *regexp.Regexp {
	reCache.Lock()
	re, ok := reCache.m[pat]
	reCache.Unlock()
	if ok {
		return re
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		L.RaiseError("re: %v", err)
	}
	reCache.Lock()
	if reCache.m == nil || len(reCache.m) >= reCacheMax {
		reCache.m = map[string]*regexp.Regexp{}
	}
	reCache.m[pat] = re
	reCache.Unlock()
	return re
}

func openRe(L *lua.LState, maxString int) {
	mod := L.NewTable()
	L.SetFuncs(mod, map[string]lua.LGFunction{
		// re.match(s, pattern): the captures, or the whole match when the
		// pattern has no groups; nil when it does not match.
		"match": func(L *lua.LState) int {
			s := L.CheckString(1)
			re := compileRe(L, L.CheckString(2))
			loc := re.FindStringSubmatchIndex(s)
			if loc == nil {
				L.Push(lua.LNil)
				return 1
			}
			return pushCaptures(L, s, loc, true)
		},
		// re.find(s, pattern [, init]): start and end (1-based,
		// inclusive) of the first match at or after init, then the
		// captures; nil when there is none.
		"find": func(L *lua.LState) int {
			s := L.CheckString(1)
			re := compileRe(L, L.CheckString(2))
			init := startIndex(len(s), L.OptInt(3, 1))
			if init > len(s) {
				L.Push(lua.LNil)
				return 1
			}
			loc := re.FindStringSubmatchIndex(s[init:])
			if loc == nil {
				L.Push(lua.LNil)
				return 1
			}
			for i := range loc {
				if loc[i] >= 0 {
					loc[i] += init
				}
			}
			L.Push(lua.LNumber(loc[0] + 1))
			L.Push(lua.LNumber(loc[1]))
			return 2 + pushCaptures(L, s, loc, false)
		},
		// re.gsub(s, pattern, repl [, n]): s with the first n (default
		// all) matches replaced, and the number of replacements. repl is
		// a template ($1, ${name}, $$ for a dollar), a table looked up
		// with the first capture (or the match), or a function called
		// with the match and the captures; a nil or false result keeps
		// the match.
		"gsub": func(L *lua.LState) int {
			s := L.CheckString(1)
			re := compileRe(L, L.CheckString(2))
			repl := L.CheckAny(3)
			switch repl.(type) {
			case lua.LString, lua.LNumber, *lua.LTable, *lua.LFunction:
			default:
				L.ArgError(3, "string, table or function expected")
			}
			limit := L.OptInt(4, -1)
			var b strings.Builder
			last, count := 0, 0
			for _, loc := range re.FindAllStringSubmatchIndex(s, limit) {
				b.WriteString(s[last:loc[0]])
				match := s[loc[0]:loc[1]]
				var out string
				keep := false
				switch r := repl.(type) {
				case lua.LString, lua.LNumber:
					out = string(re.ExpandString(nil, lua.LVAsString(r), s, loc))
				case *lua.LTable:
					key := match
					if len(loc) > 2 && loc[2] >= 0 {
						key = s[loc[2]:loc[3]]
					}
					out, keep = replValue(L, r.RawGetString(key))
				case *lua.LFunction:
					L.Push(r)
					n := pushCaptures(L, s, loc, true)
					if len(loc) > 2 {
						// the whole match first, then the captures
						L.Insert(lua.LString(match), L.GetTop()-n+1)
						n++
					}
					L.Call(n, 1)
					out, keep = replValue(L, L.Get(-1))
					L.Pop(1)
				}
				if keep {
					out = match
				} else {
					count++
				}
				b.WriteString(out)
				last = loc[1]
				if b.Len()+len(s)-last > maxString {
					L.RaiseError("re.gsub: the result is over the limit of %d bytes", maxString)
				}
			}
			b.WriteString(s[last:])
			L.Push(lua.LString(b.String()))
			L.Push(lua.LNumber(count))
			return 2
		},
		// re.split(s, pattern [, n]): the pieces of s between matches, at
		// most n of them (default all).
		"split": func(L *lua.LState) int {
			s := L.CheckString(1)
			re := compileRe(L, L.CheckString(2))
			t := L.NewTable()
			for _, p := range re.Split(s, L.OptInt(3, -1)) {
				t.Append(lua.LString(p))
			}
			L.Push(t)
			return 1
		},
		// re.quote(s): a pattern matching s literally.
		"quote": func(L *lua.LState) int {
			L.Push(lua.LString(regexp.QuoteMeta(L.CheckString(1))))
			return 1
		},
	})
	L.SetGlobal("re", mod)
}

// replValue reads a table or function replacement: a string or number
// replaces, nil or false keeps the match.
func replValue(L *lua.LState, v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString, lua.LNumber:
		return lua.LVAsString(x), false
	case *lua.LNilType:
		return "", true
	case lua.LBool:
		if !bool(x) {
			return "", true
		}
	}
	L.RaiseError("re.gsub: invalid replacement value (a %s)", v.Type())
	return "", true
}

// pushCaptures pushes the captures of loc (nil for a group that did not
// take part), or the whole match when there are none and whole is set.
func pushCaptures(L *lua.LState, s string, loc []int, whole bool) int {
	if len(loc) == 2 {
		if !whole {
			return 0
		}
		L.Push(lua.LString(s[loc[0]:loc[1]]))
		return 1
	}
	n := 0
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(s[loc[i]:loc[i+1]]))
		}
		n++
	}
	return n
}

// startIndex turns a Lua string index (1-based, negative from the end)
// into a Go offset.
func startIndex(n, i int) int {
	switch {
	case i > 0:
		return i - 1
	case i == 0:
		return 0
	case -i > n:
		return 0
	}
	return n + i
}

// --- date ---

// rfc5322 is date.format's default: "Tue, 02 Mar 2021 10:00:00 +0000".
const rfc5322 = "%a, %d %b %Y %H:%M:%S %z"

func openDate(L *lua.LState, opts *Options) {
	mod := L.NewTable()
	L.SetFuncs(mod, map[string]lua.LGFunction{
		// date.parse(s): the Unix time of a Date: header value or an
		// IMAP date, read as tolerantly as imapsync does; nil when s
		// holds no date.
		"parse": func(L *lua.LState) int {
			t, ok := dates.GoodDate(L.CheckString(1))
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(lua.LNumber(t.Unix()))
			return 1
		},
		// date.format(t [, format [, zone]]): strftime-style formatting
		// of the Unix time t in the zone "+hhmm" (default +0000). The
		// default format is RFC 5322's, as in a Date: header.
		"format": func(L *lua.LState) int {
			t := int64(L.CheckNumber(1))
			layout := L.OptString(2, rfc5322)
			loc := time.UTC
			if z := L.OptString(3, "+0000"); z != "+0000" {
				off, ok := parseZone(z)
				if !ok {
					L.ArgError(3, "zone must look like +0200 or -0530")
				}
				loc = time.FixedZone(z, off)
			}
			out, err := strftime(time.Unix(t, 0).In(loc), layout)
			if err != nil {
				L.RaiseError("date.format: %v", err)
			}
			L.Push(lua.LString(out))
			return 1
		},
		// date.now(): the current Unix time.
		"now": func(L *lua.LState) int {
			L.Push(lua.LNumber(opts.now().Unix()))
			return 1
		},
	})
	L.SetGlobal("date", mod)
}

func parseZone(z string) (int, bool) {
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	h, err1 := strconv.Atoi(z[1:3])
	m, err2 := strconv.Atoi(z[3:5])
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// strftimeLayouts are the strftime conversions that are a Go layout.
var strftimeLayouts = map[byte]string{
	'a': "Mon", 'A': "Monday", 'b': "Jan", 'B': "January", 'd': "02", 'e': "_2",
	'H': "15", 'I': "03", 'm': "01", 'M': "04", 'p': "PM", 'S': "05", 'y': "06",
	'z': "-0700", 'Z': "-0700", 'F': "2006-01-02", 'T': "15:04:05",
}

// strftime formats t with the C conversions %a %A %b %B %d %e %H %I %j %m
// %M %p %S %s %y %Y %z %Z %F %T and %%.
func strftime(t time.Time, f string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		i++
		if i == len(f) {
			return "", fmt.Errorf("format ends with %%")
		}
		if layout, ok := strftimeLayouts[f[i]]; ok {
			b.WriteString(t.Format(layout))
			continue
		}
		switch f[i] {
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("unknown conversion %%%c", f[i])
		}
	}
	return b.String(), nil
}

// --- log ---

// logFunc receives one log line of a state.
type logFunc func(level Level, text string)

func openLog(L *lua.LState, log logFunc) {
	line := func(L *lua.LState) string {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = luaString(L, L.Get(i+1))
		}
		return strings.Join(parts, " ")
	}
	mod := L.NewTable()
	L.SetFuncs(mod, map[string]lua.LGFunction{
		// log.info(...) and log.warn(...): one line of their arguments
		// (tostring'd, separated by spaces) in imapshift's output.
		"info": func(L *lua.LState) int {
			log(Info, line(L))
			return 0
		},
		"warn": func(L *lua.LState) int {
			log(Warn, line(L))
			return 0
		},
	})
	L.SetGlobal("log", mod)
}
