package scripting

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// runRewrite compiles a rewrite hook with body src and runs it once.
func runRewrite(t *testing.T, src string, opts Options) error {
	t.Helper()
	s := compile(t, "function rewrite(msg)\n"+src+"\nend", opts)
	return s.Chain().Rewrites[0].Hook.Rewrite(newMsg(testRaw, nil))
}

func TestSandboxEscapes(t *testing.T) {
	for _, src := range []string{
		`io.open("/etc/passwd")`,
		`os.execute("touch /tmp/imapshift-escape")`,
		`os.getenv("HOME")`,
		`require("os")`,
		`load("return 1")()`,
		`loadstring("return 1")()`,
		`dofile("/etc/passwd")`,
		`loadfile("/etc/passwd")`,
		`module("x")`,
		`debug.getinfo(1)`,
		`package.loadlib("x", "y")`,
		`coroutine.create(function() end)`,
		`collectgarbage()`,
		`string.dump(function() end)`,
		`_printregs()`,
		`getfenv(0).os.exit(1)`,
		`("").dump(function() end)`,
		`channel.make()`,
	} {
		err := runRewrite(t, src, Options{})
		if err == nil || !strings.Contains(err.Error(), "attempt to") {
			t.Errorf("%s: %v", src, err)
		}
	}
	// Only these globals exist.
	var globals []string
	s := compile(t, `
function skip(msg)
  local names = {}
  for k in pairs(_G) do table.insert(names, k) end
  table.sort(names)
  log.info(table.concat(names, " "))
end`, Options{Log: func(e Entry) { globals = append(globals, e.Text) }})
	if _, err := s.Chain().Skips[0].Hook.Skip(newMsg(testRaw, nil)); err != nil {
		t.Fatal(err)
	}
	want := "_G _GOPHER_LUA_VERSION _VERSION assert date error getfenv getmetatable ipairs log math newproxy next pairs pcall print rawequal rawget rawset re select setfenv setmetatable skip string table tonumber tostring type unpack xpcall"
	if len(globals) != 1 || globals[0] != want {
		t.Errorf("globals:\n%s\nwant\n%s", globals, want)
	}
}

func TestTimeLimit(t *testing.T) {
	s := compile(t, `
function rewrite(msg)
  if msg.uid == 1 then while true do end end
  msg:add_header("X-Ok", "1")
end`, Options{Timeout: 50 * time.Millisecond})
	h := s.Chain().Rewrites[0].Hook
	m := newMsg(testRaw, nil)
	m.UID = 1
	start := time.Now()
	err := h.Rewrite(m)
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 2*time.Second {
		t.Fatalf("infinite loop: %v after %v", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "time limit exceeded (50ms)") || m.Changed() {
		t.Errorf("error %q, changed %v", err, m.Changed())
	}
	// The next message works (on a fresh state).
	m = newMsg(testRaw, nil)
	if err := h.Rewrite(m); err != nil || !m.Changed() {
		t.Fatalf("after a timeout: %v", err)
	}
	// A top level that never ends is refused at load time.
	_, err = Compile("loop.lua", []byte("while true do end"), Options{Timeout: 50 * time.Millisecond})
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrTimeout) {
		t.Errorf("endless top level: %v", err)
	}
}

func TestCappedBuiltins(t *testing.T) {
	opts := Options{MaxString: 1 << 20, Timeout: 5 * time.Second}
	big := `local s = string.rep("x", 300 * 1024)`
	for _, tc := range []struct{ src, want string }{
		{`string.rep("x", 1e9)`, "string.rep: the result (1000000000 bytes) is over the limit of 1048576 bytes"},
		{`("ab"):rep(1e9)`, "string.rep: the result"},
		{`string.format("%99999999d", 1)`, "invalid format (width longer than 2 digits)"},
		{`string.format("%.1000f", 1)`, "invalid format (precision longer than 2 digits)"},
		{`local t = {} for i = 1, 2000 do t[i] = string.rep("y", 1000) end table.concat(t)`, "table.concat: the result is over the limit"},
		{`table.concat({string.rep("z", 1000)}, string.rep(",", 1000), 1, 1)`, ""},
		{big + ` s:match("x+y")`, "string.match on a 307200-byte string: Lua patterns are limited to 262144 bytes; use re.match"},
		{big + ` string.gsub(s, "x", "y")`, "use re.gsub"},
		{big + ` for w in s:gmatch("x") do end`, "use re.split"},
		{big + ` s:find("x+")`, "use re.find"},
		{big + ` assert(s:find("xx", 1, true) == 1)`, ""},
		{big + ` assert(re.find(s, "x+$") == 1)`, ""},
		{`string.gsub(string.rep("x", 1000), "x", string.rep("y", 2000))`, "string.gsub: the result may be over the limit"},
		{`re.gsub(string.rep("x", 1000), "x", string.rep("y", 2000))`, "re.gsub: the result is over the limit"},
		{`unpack({}, 1, 1e7)`, "too many results to unpack"},
		{`string.byte(string.rep("x", 1e6), 1, -1)`, "string.byte: too many results"},
		{`assert(select("#", string.byte("abc", 1, -1)) == 3)`, ""},
		{`local t = {} for i = 1, 9000 do t[i] = i end local x = {unpack(t, 1, 7999)}`, ""},
		{`local function f() return f() + 1 end f()`, "stack overflow"},
	} {
		start := time.Now()
		err := runRewrite(t, tc.src, opts)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.src, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
		if d := time.Since(start); tc.want != "" && d > time.Second { // refusals are immediate
			t.Errorf("%s took %v", tc.src, d)
		}
	}
}

func TestRe(t *testing.T) {
	var lines []string
	s := compile(t, `
function skip(msg)
  local function show(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
    log.info(table.concat(t, ","))
  end
  show(re.match("Re: Fwd: hello", "^(?:(?i)re|fwd): (.*)$"))
  show(re.match("abc", "b"))
  show(re.match("abc", "z"))
  show(re.match("a-b", "(a)(x)?-(b)"))
  show(re.find("hello world", "o w"))
  show(re.find("hello world", "(o)(r)"))
  show(re.find("aXbX", "X", 3))
  show(re.find("aXbX", "X", -1))
  show(re.find("abc", "z"))
  show(re.gsub("a.b.c", "\\.", "/"))
  show(re.gsub("2021-03-02", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1"))
  show(re.gsub("x=1 y=2", "(?P<k>\\w)=(?P<v>\\d)", "${v}${k}"))
  show(re.gsub("one two", "\\w+", function(w) return w:upper() end))
  show(re.gsub("one two", "(\\w)(\\w+)", function(w, a, b) if a == "t" then return nil end return b .. a end))
  show(re.gsub("a b c", " ", "_", 1))
  show(re.gsub("cat dog", "\\w+", {cat = "chat"}))
  show(#re.split("a, b,c", ",\\s*"), re.split("a, b,c", ",\\s*")[2])
  show(re.quote("[Gmail]/All"))
  show(pcall(re.match, "x", "("))
end`, Options{Log: func(e Entry) { lines = append(lines, e.Text) }})
	if _, err := s.Chain().Skips[0].Hook.Skip(newMsg(testRaw, nil)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Fwd: hello",
		"b",
		"nil",
		"a,nil,b",
		"5,7",
		"8,9,o,r",
		"4,4",
		"4,4",
		"nil",
		"a/b/c,2",
		"02/03/2021,1",
		"1x 2y,2",
		"ONE TWO,2",
		"neo two,1",
		"a_b c,1",
		"chat dog,1",
		"3,b",
		`\[Gmail\]/All`,
		"false,test.lua:26: re: error parsing regexp: missing closing ): `(`",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestDateAndLog(t *testing.T) {
	var lines []string
	s := compile(t, `
log.warn("loading")
function skip(msg)
  log.info(date.parse("Tue, 2 Mar 2021 10:00:00 +0100"), date.parse("garbage"), date.parse("2-Mar-2021 10:00:00 +0000"))
  log.info(date.format(1614679200), date.format(1614679200, "%Y/%m %H:%M %z", "-0230"), date.format(date.now(), "%F"))
  log.info(pcall(date.format, 0, "%Q"))
  print("printed", 1.5, nil, true)
end`, Options{
		Now: func() time.Time { return time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC) },
		Log: func(e Entry) { lines = append(lines, e.Level.String()+" "+e.Hook+": "+e.Text) },
	})
	if _, err := s.Chain().Skips[0].Hook.Skip(newMsg(testRaw, nil)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"warn : loading",
		"info skip: 1614675600 nil 1614679200",
		"info skip: Tue, 02 Mar 2021 10:00:00 +0000 2021/03 07:30 -0230 2030-01-02",
		"info skip: false test.lua:6: date.format: unknown conversion %Q",
		"info skip: printed 1.5 nil true",
	}
	// The top level ran once, when compiling: the call reused that state.
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
