package scripting

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/message"
)

func compile(t testing.TB, src string, opts ...Options) *Script {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := Compile("test.lua", []byte(src), o)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

const testRaw = "Received: from mx.example.org\r\n\tby mail.example.org; Tue, 2 Mar 2021 10:00:00 +0000\r\n" +
	"Message-ID: <a1@example.org>\r\n" +
	"Subject: =?utf-8?q?caf=C3=A9?=\r\n" +
	"X-Tag: one\r\n" +
	"X-Tag: two\r\n" +
	"From: Ana <ana@example.org>\r\n" +
	"\r\n" +
	"Hello\r\n"

// newMsg returns a message whose header is known and whose body is
// fetched on demand; *loads counts the fetches.
func newMsg(raw string, loads *int) *hooks.Message {
	h, _ := message.Split([]byte(raw))
	m := hooks.NewMessage(h, nil, func() ([]byte, error) {
		if loads != nil {
			*loads++
		}
		return []byte(raw), nil
	})
	m.Folder, m.UID, m.Size = "INBOX", 42, int64(len(raw))
	m.Flags = []string{`\Seen`, "$Label1"}
	m.InternalDate = time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)
	return m
}

func rewriteOne(t *testing.T, s *Script, m *hooks.Message) string {
	t.Helper()
	c := s.Chain()
	if len(c.Rewrites) != 1 {
		t.Fatalf("no rewrite hook: %v", s.Hooks())
	}
	if err := c.Rewrites[0].Hook.Rewrite(m); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	raw, err := m.Raw()
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestMessageAPI(t *testing.T) {
	var got []string
	s := compile(t, `
function skip(msg)
  local f = msg.flags
  log.info(msg.folder, msg.uid, msg.size, f[1], f[2], #f, msg.internal_date)
  log.info(msg:header("message-id"), msg:header("nope"), #msg:headers("X-Tag"), msg:headers("x-tag")[2], msg:subject())
  log.info(tostring(msg), table.concat(msg:header_names(), ","))
  return false
end`, Options{Log: func(e Entry) {
		got = append(got, fmt.Sprintf("%s %s %s/%d: %s", e.Level, e.Hook, e.Folder, e.UID, e.Text))
	}})
	loads := 0
	m := newMsg(testRaw, &loads)
	reason, err := s.Chain().Skips[0].Hook.Skip(m)
	if err != nil || reason != "" {
		t.Fatalf("skip = %q, %v", reason, err)
	}
	want := []string{
		`info skip INBOX/42: INBOX 42 ` + fmt.Sprint(len(testRaw)) + ` \Seen $Label1 2 1614679200`,
		`info skip INBOX/42: <a1@example.org> nil 2 two café`,
		`info skip INBOX/42: message INBOX/42 Received,Message-ID,Subject,X-Tag,X-Tag,From`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if loads != 0 || m.Loaded() {
		t.Errorf("a header-only hook fetched the body (%d loads)", loads)
	}
	if !s.Chain().Skips[0].Hook.(hooks.HeaderOnly).HeaderOnly() {
		t.Error("a script without body() is not header-only")
	}
}

func TestRewriteHeaders(t *testing.T) {
	s := compile(t, `
function rewrite(msg)
  msg:add_header("X-Migrated-From", "imap.example.org")
  msg:set_header("Subject", "[old] " .. msg:subject())
  msg:remove_header("x-tag")
end`)
	m := newMsg(testRaw, nil)
	got := rewriteOne(t, s, m)
	want := "X-Migrated-From: imap.example.org\r\n" +
		"Received: from mx.example.org\r\n\tby mail.example.org; Tue, 2 Mar 2021 10:00:00 +0000\r\n" +
		"Message-ID: <a1@example.org>\r\n" +
		"Subject: =?utf-8?q?[old]_caf=C3=A9?=\r\n" +
		"From: Ana <ana@example.org>\r\n" +
		"\r\n" +
		"Hello\r\n"
	if got != want || !m.Changed() {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestUnchangedNotReserialised(t *testing.T) {
	s := compile(t, `
function rewrite(msg)
  msg:set_header("Message-ID", msg:header("Message-ID"))
  msg:remove_header("X-Absent")
  if msg:header("X-Nothing") then msg:add_header("X-Never", "1") end
end`)
	loads := 0
	m := newMsg(testRaw, &loads)
	if err := s.Chain().Rewrites[0].Hook.Rewrite(m); err != nil {
		t.Fatal(err)
	}
	if m.Changed() || loads != 0 {
		t.Fatalf("changed=%v loads=%d for a rewrite that changed nothing", m.Changed(), loads)
	}
	// A change undone: the bytes are compared, the message stays as it was.
	s = compile(t, `
function rewrite(msg)
  local b = msg:body()
  msg:set_body(b)
end`)
	m = newMsg(testRaw, nil)
	if rewriteOne(t, s, m) != testRaw || m.Changed() {
		t.Fatal("set_body with the same body changed the message")
	}
}

func TestRewriteBody(t *testing.T) {
	s := compile(t, `
function rewrite(msg)
  msg:set_body(msg:body() .. "-- migrated\r\n")
end`)
	if !s.ReadsBody() {
		t.Fatal("a script calling body() must read bodies")
	}
	m := newMsg(testRaw, nil)
	if got := rewriteOne(t, s, m); got != testRaw+"-- migrated\r\n" {
		t.Fatalf("got %q", got)
	}
	// A message without a body gets the empty line before its new body.
	s = compile(t, `function rewrite(msg) msg:set_body("text\r\n") end`)
	m = hooks.NewMessage(nil, []byte("Subject: x\r\n"), nil)
	if got := rewriteOne(t, s, m); got != "Subject: x\r\n\r\ntext\r\n" {
		t.Fatalf("got %q", got)
	}
}

func TestChangesOnlyInRewrite(t *testing.T) {
	for _, call := range []string{`msg:set_header("A", "1")`, `msg:add_header("A", "1")`, `msg:remove_header("A")`, `msg:set_body("x")`, `msg.uid = 3`} {
		s := compile(t, "function skip(msg) "+call+" end")
		_, err := s.Chain().Skips[0].Hook.Skip(newMsg(testRaw, nil))
		if err == nil {
			t.Errorf("%s in skip did not fail", call)
		}
	}
	s := compile(t, `function rewrite(msg) msg:add_header("Bad Name", "x") end`)
	m := newMsg(testRaw, nil)
	if err := s.Chain().Rewrites[0].Hook.Rewrite(m); err == nil || m.Changed() {
		t.Errorf("a bad header name: err %v, changed %v", err, m.Changed())
	}
	s = compile(t, `function rewrite(msg) msg:add_header("X-Ok", "1"); error("half done") end`)
	m = newMsg(testRaw, nil)
	if err := s.Chain().Rewrites[0].Hook.Rewrite(m); err == nil || m.Changed() {
		t.Errorf("a failing rewrite changed the message: err %v", err)
	}
}

func TestMsgDoesNotOutliveTheCall(t *testing.T) {
	s := compile(t, `
local kept
function skip(msg)
  if kept then return kept:header("Subject") end
  kept = msg
end`)
	h := s.Chain().Skips[0].Hook
	if _, err := h.Skip(newMsg(testRaw, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Skip(newMsg(testRaw, nil)); err == nil || !strings.Contains(err.Error(), "only valid during") {
		t.Fatalf("a kept msg was usable: %v", err)
	}
}

func TestMapFolder(t *testing.T) {
	s := compile(t, `
function map_folder(f)
  if f.name == "Keep" then return end
  if f.name == "Spam" then return false, "no spam please" end
  if f.name == "Junk" then return false end
  if f.name == "Bad" then return 3 end
  if f.name == "Empty" then return "" end
  return f.prefix2 .. f.name:lower() .. "|" .. f.target .. "|" .. f.sep1 .. f.sep2 .. "|" .. table.concat(f.special_use, ",")
end`)
	h := s.Chain().Folders[0].Hook
	for _, tc := range []struct {
		name, target, skip string
		err                bool
	}{
		{name: "Keep"},
		{name: "Spam", skip: "no spam please"},
		{name: "Junk", skip: "skipped by test.lua"},
		{name: "Bad", err: true},
		{name: "Empty", err: true},
		{name: "Sent", target: "INBOX.sent|Sent|/.|\\Sent"},
	} {
		r, err := h.MapFolder(hooks.Folder{Name: tc.name, Target: tc.name, Sep1: "/", Sep2: ".", Prefix2: "INBOX.", SpecialUse: []string{`\Sent`}})
		if (err != nil) != tc.err || r.Target != tc.target || r.Skip != tc.skip {
			t.Errorf("%s: %+v, %v", tc.name, r, err)
		}
	}
}

func TestSkipAndFlags(t *testing.T) {
	s := compile(t, `
function skip(msg)
  local v = msg:header("X-Tag")
  if msg.uid == 1 then return true end
  if msg.uid == 2 then return "tagged " .. v end
  if msg.uid == 3 then return {} end
  return nil
end
function flags(msg, flags)
  if msg.uid == 1 then return end
  if msg.uid == 3 then return {1} end
  local out = {}
  for _, f in ipairs(flags) do
    if f ~= "$Label1" then table.insert(out, f) end
  end
  table.insert(out, "\\Flagged")
  return out
end`)
	c := s.Chain()
	for uid, want := range map[uint32]string{1: "skipped by test.lua", 2: "tagged one", 4: ""} {
		m := newMsg(testRaw, nil)
		m.UID = uid
		if r, err := c.Skips[0].Hook.Skip(m); err != nil || r != want {
			t.Errorf("uid %d: skip %q, %v", uid, r, err)
		}
	}
	m := newMsg(testRaw, nil)
	m.UID = 3
	if _, err := c.Skips[0].Hook.Skip(m); err == nil {
		t.Error("skip returning a table did not fail")
	}
	if _, err := c.Flags[0].Hook.Flags(m, m.Flags); err == nil {
		t.Error("flags returning a number did not fail")
	}
	m.UID = 1
	if got, err := c.Flags[0].Hook.Flags(m, m.Flags); err != nil || strings.Join(got, " ") != `\Seen $Label1` {
		t.Errorf("flags nil: %q %v", got, err)
	}
	m.UID = 7
	if got, err := c.FilterFlags(m, m.Flags); err != nil || strings.Join(got, " ") != `\Seen \Flagged` {
		t.Errorf("flags: %q %v", got, err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"function skip(msg", "syntax error"},
		{"function skip() return true end", "skip is defined with 0 parameter(s) at line 1; it must be skip(msg)"},
		{"function flags(msg) return {} end", "it must be flags(msg, flags)"},
		{"function map_folder(a, b) end", "it must be map_folder(folder)"},
		{"function rewrite(msg, extra) end", "it must be rewrite(msg)"},
		{"skip = 5", "skip is a number, not a function"},
		{"rewrite = print", "rewrite must be a Lua function"},
		{"error('top level fails')", "top level fails"},
		{"os.exit(1)", "attempt to index a non-table object(nil)"},
	} {
		_, err := Compile("bad.lua", []byte(tc.src), Options{})
		var le *LoadError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want a LoadError with %q", tc.src, err, tc.want)
		}
	}
	if _, err := Load("/nonexistent/x.lua", Options{}); err == nil || !strings.Contains(err.Error(), "cannot read the script: no such file") {
		t.Errorf("missing file: %v", err)
	}
	// Variadic hooks are accepted.
	s := compile(t, "function skip(...) return false end\nfunction flags(msg, ...) end")
	if strings.Join(s.Hooks(), ",") != "skip,flags" {
		t.Errorf("hooks %v", s.Hooks())
	}
}

func TestBeforePlugins(t *testing.T) {
	if compile(t, "function skip(m) end").BeforePlugins() {
		t.Error("default is after the plugins")
	}
	if !compile(t, "run_before_plugins = true\nfunction skip(m) end").BeforePlugins() {
		t.Error("run_before_plugins ignored")
	}
}

func TestErrorTraceback(t *testing.T) {
	s := compile(t, `
local function inner(msg)
  error("boom " .. msg.uid)
end
function rewrite(msg)
  inner(msg)
end`)
	err := s.Chain().Rewrites[0].Hook.Rewrite(newMsg(testRaw, nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"rewrite: test.lua:3: boom 42", "stack traceback:", "test.lua:3: in function 'inner'", "test.lua:6:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestConcurrentCallsUseOneStateEach(t *testing.T) {
	s := compile(t, `
function rewrite(msg)
  local n = 0
  for i = 1, 200 do n = n + i end
  msg:add_header("X-N", tostring(n + msg.uid))
end`, Options{Timeout: time.Minute}) // wall time: the race detector on a busy machine is slow
	h := s.Chain().Rewrites[0].Hook
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				m := newMsg(testRaw, nil)
				m.UID = uint32(w*1000 + i)
				if err := h.Rewrite(m); err != nil {
					errs <- err
					return
				}
				raw, _ := m.Raw()
				if want := fmt.Sprintf("X-N: %d\r\n", 20100+w*1000+i); !strings.HasPrefix(string(raw), want) {
					errs <- fmt.Errorf("got %q, want %q", raw[:20], want)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(s.free); n > 8 {
		t.Errorf("%d states for 8 workers", n)
	}
}

func TestEval(t *testing.T) {
	v, err := Eval("p.lua", []byte(`return {a = true, n = 2, s = "x", l = {"1", "2"}, e = {}, f = function() end, m = {k = {1}}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(v)
	if got != "map[a:true e:[] f:{} l:[1 2] m:map[k:[1]] n:2 s:x]" {
		t.Errorf("Eval = %s", got)
	}
}
