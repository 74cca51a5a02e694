package scripting

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/imapshift/imapshift/core/hooks"
)

// DefaultTimeout is the time limit of one hook call when Options.Timeout
// is zero.
const DefaultTimeout = 2 * time.Second

// DefaultMaxString is the largest string the capped built-ins build when
// Options.MaxString is zero: above any message a server accepts.
const DefaultMaxString = 64 << 20

// Level is the level of a log line.
type Level int

const (
	Info Level = iota
	Warn
)

func (l Level) String() string {
	if l == Warn {
		return "warn"
	}
	return "info"
}

// Entry is one line a script logged with log.info, log.warn or print.
type Entry struct {
	Level  Level
	Script string // the script's name
	// Hook is the hook that was running ("" while the script loads);
	// Folder and UID say which message it was called for (UID 0 and the
	// host1 folder for map_folder).
	Hook   string
	Folder string
	UID    uint32
	Text   string
}

// Options configures how a script runs. The zero value is usable.
type Options struct {
	// Timeout bounds each hook call and the script's top level (default
	// DefaultTimeout). A call over it fails and its Lua state is dropped.
	Timeout time.Duration
	// MaxString caps the strings string.rep, string.gsub, table.concat
	// and re.gsub build (default DefaultMaxString).
	MaxString int
	// MaxMemory is the memory budget of the hook calls running at one
	// time, in bytes (default DefaultMaxMemory, negative: none): when the
	// Go heap grows more than that above its size at a call's start, the
	// calls running are stopped ("script used more than N MB") and their
	// states dropped. One allocation can pass the budget before it is
	// seen (string doubling: by up to the size of the last string).
	MaxMemory int64
	// Log receives the script's log lines; nil discards them. It is
	// called from the workers running hooks, concurrently.
	Log func(Entry)
	// HookPath, when not empty, is where the hooks are: the fields to
	// follow from the value the script returns ({"side2"} finds
	// return {side2 = {rewrite = ...}}). Empty: global functions.
	HookPath []string
	// Chunk names the source in tracebacks ("file.lua:12:"); default
	// the script's name.
	Chunk string
	// Now replaces the clock of date.now (tests).
	Now func() time.Time
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Hook names, as scripts define them.
const (
	HookMapFolder = "map_folder"
	HookSkip      = "skip"
	HookRewrite   = "rewrite"
	HookFlags     = "flags"
	HookLabels    = "labels"
)

// hookKind indexes the hooks of a script.
type hookKind int

const (
	kindMapFolder hookKind = iota
	kindSkip
	kindRewrite
	kindFlags
	kindLabels
	numKinds
	kindNone hookKind = -1
)

var hookNames = [numKinds]string{HookMapFolder, HookSkip, HookRewrite, HookFlags, HookLabels}

// hookArity is the number of parameters each hook must declare.
var hookArity = [numKinds]int{1, 1, 1, 2, 2}

// hookSignature is how each hook is written, for errors.
var hookSignature = [numKinds]string{"map_folder(folder)", "skip(msg)", "rewrite(msg)", "flags(msg, flags)", "labels(msg, labels)"}

// BeforePluginsGlobal is the global a script sets to true to run before
// the built-in plugins instead of after them.
const BeforePluginsGlobal = "run_before_plugins"

// Script is one compiled Lua script. Its hooks may be called from many
// goroutines at once: each call borrows a Lua state from the script's
// pool (one per concurrent caller, so one per worker), creating one from
// the compiled code when none is free.
type Script struct {
	name          string
	proto         *lua.FunctionProto
	opts          Options
	defined       [numKinds]bool
	beforePlugins bool
	usesBody      bool
	usesStructure bool
	returned      any

	mu   sync.Mutex
	free []*state
}

// LoadError is a script that cannot be used: unreadable, a syntax error,
// a failing top level, or a hook with the wrong arity. Runs refuse to
// start on it (exit 64).
type LoadError struct {
	Script string
	Err    error
}

func (e *LoadError) Error() string { return e.Script + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads and compiles the script at path; its name is path.
func Load(path string, opts Options) (*Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &LoadError{Script: path, Err: fmt.Errorf("cannot read the script: %w", err)}
	}
	return Compile(path, src, opts)
}

// Compile compiles src once, runs its top level in a sandbox to find its
// hooks, and checks their arity. name is used in errors, tracebacks and
// plans.
func Compile(name string, src []byte, opts Options) (*Script, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxString <= 0 {
		opts.MaxString = DefaultMaxString
	}
	if opts.MaxMemory == 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	if opts.Chunk == "" {
		opts.Chunk = name
	}
	chunk, err := parse.Parse(strings.NewReader(string(src)), opts.Chunk)
	if err != nil {
		return nil, &LoadError{Script: name, Err: syntaxError(opts.Chunk, err)}
	}
	proto, err := lua.Compile(chunk, opts.Chunk)
	if err != nil {
		return nil, &LoadError{Script: name, Err: syntaxError(opts.Chunk, err)}
	}
	s := &Script{name: name, proto: proto, opts: opts, usesBody: protoUses(proto, append(mimeWords, "body", "set_body")...)}
	s.usesStructure = protoUses(proto, "structure")
	st, err := s.newState()
	if err != nil {
		return nil, err
	}
	for k, fn := range st.fns {
		if fn == nil {
			continue
		}
		s.defined[k] = true
		if err := checkArity(hookKind(k), fn); err != nil {
			st.L.Close()
			return nil, &LoadError{Script: name, Err: err}
		}
	}
	if len(opts.HookPath) == 0 {
		s.beforePlugins = lua.LVAsBool(st.L.GetGlobal(BeforePluginsGlobal))
	}
	s.returned = toGo(st.ret, 0)
	s.put(st)
	return s, nil
}

// parseErrorRe reads gopher-lua's parse errors: "CHUNK line:3(column:7)
// near 'x':   syntax error" or "CHUNK at EOF:   syntax error".
var parseErrorRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?s)^.* (?:line:(\d+)\(column:(\d+)\) near '(.*)'|at (EOF)):\s+(.*)$`)
}) // compiled when first needed, not at every start

// syntaxError rewords a parse error as "syntax error at line 3, column 7,
// near 'x'".
func syntaxError(chunk string, err error) error {
	m := parseErrorRe().FindStringSubmatch(strings.TrimPrefix(err.Error(), chunk))
	if m == nil {
		return fmt.Errorf("syntax error: %v", err)
	}
	what := strings.TrimSpace(m[5])
	if what == "" || what == "parse error" {
		what = "syntax error"
	}
	if m[4] != "" {
		return fmt.Errorf("%s at the end of the file (an unclosed function, block or string?)", what)
	}
	return fmt.Errorf("%s at line %s, column %s, near '%s'", what, m[1], m[2], m[3])
}

func checkArity(k hookKind, fn *lua.LFunction) error {
	if fn.IsG {
		return fmt.Errorf("%s must be a Lua function", hookNames[k])
	}
	n := int(fn.Proto.NumParameters)
	vararg := fn.Proto.IsVarArg != 0
	if n == hookArity[k] || (vararg && n < hookArity[k]) {
		return nil
	}
	return fmt.Errorf("%s is defined with %d parameter(s) at line %d; it must be %s", hookNames[k], n, fn.Proto.LineDefined, hookSignature[k])
}

// protoUses reports whether any function of p has one of the string
// constants words (how msg:body() is compiled).
func protoUses(p *lua.FunctionProto, words ...string) bool {
	for _, c := range p.Constants {
		if s, ok := c.(lua.LString); ok {
			for _, w := range words {
				if string(s) == w {
					return true
				}
			}
		}
	}
	for _, sub := range p.FunctionPrototypes {
		if protoUses(sub, words...) {
			return true
		}
	}
	return false
}

// Name is the script's name (its path when loaded from a file).
func (s *Script) Name() string { return s.name }

// Hooks lists the hooks the script defines, in the order map_folder,
// skip, rewrite, flags.
func (s *Script) Hooks() []string {
	var out []string
	for k, ok := range s.defined {
		if ok {
			out = append(out, hookNames[k])
		}
	}
	return out
}

// BeforePlugins reports whether the script set run_before_plugins = true:
// its hooks then run before the built-in plugins' instead of after.
func (s *Script) BeforePlugins() bool { return s.beforePlugins }

// ReadsBody reports whether the script may read message bodies (it
// mentions body, set_body or a MIME method such as parts); its skip and
// flags hooks are header-only otherwise.
func (s *Script) ReadsBody() bool { return s.usesBody }

// ReadsStructure reports whether the script may read msg.structure (it
// mentions structure): runs then fetch BODYSTRUCTURE with the metadata.
func (s *Script) ReadsStructure() bool { return s.usesStructure }

// Returned is the value the script's top level returned, converted to Go
// (see Eval).
func (s *Script) Returned() any { return s.returned }

// Chain returns the script's hooks, each named after the script.
func (s *Script) Chain() *hooks.Chain {
	c := &hooks.Chain{}
	s.AppendTo(c)
	return c
}

// AppendTo appends the script's hooks to c.
func (s *Script) AppendTo(c *hooks.Chain) {
	if s.defined[kindMapFolder] {
		c.Folders = append(c.Folders, hooks.Named[hooks.FolderMapper]{Name: s.name, Hook: folderHook{s}})
	}
	if s.defined[kindSkip] {
		c.Skips = append(c.Skips, hooks.Named[hooks.MessageSkipper]{Name: s.name, Hook: skipHook{s}})
	}
	if s.defined[kindRewrite] {
		c.Rewrites = append(c.Rewrites, hooks.Named[hooks.MessageRewriter]{Name: s.name, Hook: rewriteHook{s}})
	}
	if s.defined[kindFlags] {
		c.Flags = append(c.Flags, hooks.Named[hooks.FlagFilter]{Name: s.name, Hook: flagHook{s}})
	}
	if s.defined[kindLabels] {
		c.Labels = append(c.Labels, hooks.Named[hooks.LabelFilter]{Name: s.name, Hook: labelHook{s}})
	}
}

// Close releases the idle Lua states. Hooks still work afterwards (they
// create new states); Close is for the end of a run.
func (s *Script) Close() {
	s.mu.Lock()
	free := s.free
	s.free = nil
	s.mu.Unlock()
	for _, st := range free {
		st.L.Close()
	}
}

// state is one Lua state running a script, with its hook functions.
type state struct {
	L   *lua.LState
	fns [numKinds]*lua.LFunction
	ret lua.LValue // what the top level returned
	msg *msgData   // of the current call
	mt  *lua.LTable
	// running is the hook being called and folder the host1 folder of a
	// map_folder call, for log lines.
	running hookKind
	folder  string
	// The time limit: ctx is the state's for its whole life; timer
	// cancels it when a call runs too long, which ends the state.
	ctx    context.Context
	timer  *time.Timer
	expiry time.Duration
	// The memory budget (memory.go): cancel ends the state when the
	// heap passes it, and memStopped says so.
	cancel     context.CancelFunc
	maxMem     int64
	memStopped atomic.Bool
}

// run calls the function and arguments pushed on the stack under the
// time limit. timedOut is set when the limit stopped it (or fired as it
// returned): the state must then be dropped.
func (st *state) run(nargs, nret int) (err error, timedOut bool) {
	st.timer.Reset(st.expiry)
	unwatch := watcher.watch(st, st.maxMem)
	err = st.L.PCall(nargs, nret, nil)
	unwatch()
	timedOut = !st.timer.Stop()
	if st.memStopped.Load() {
		return &memoryError{limit: st.maxMem}, true
	}
	if timedOut && err == nil {
		err = context.Canceled // finished as the limit fired
	}
	return err, timedOut
}

// newState creates a sandbox, runs the script's top level in it and finds
// the hook functions.
func (s *Script) newState() (*state, error) {
	st := &state{running: kindNone, expiry: s.opts.Timeout}
	st.L = newSandbox(&s.opts, func(level Level, text string) { s.log(st, level, text) })
	st.msg = &msgData{}
	st.mt = newMsgMetatable(st.L)
	L := st.L
	var cancel context.CancelFunc
	st.ctx, cancel = context.WithCancel(context.Background())
	st.cancel, st.maxMem = cancel, s.opts.MaxMemory
	st.timer = time.AfterFunc(time.Hour, cancel)
	st.timer.Stop()
	L.SetContext(st.ctx)
	L.Push(L.NewFunctionFromProto(s.proto))
	if err, timedOut := st.run(0, 1); err != nil {
		L.Close()
		return nil, &LoadError{Script: s.name, Err: callError(err, timedOut, s.opts.Timeout)}
	}
	st.ret = L.Get(-1)
	L.Pop(1)
	holder := lua.LValue(L.Get(lua.GlobalsIndex))
	if len(s.opts.HookPath) > 0 {
		holder = st.ret
		for _, k := range s.opts.HookPath {
			t, ok := holder.(*lua.LTable)
			if !ok {
				holder = lua.LNil
				break
			}
			holder = t.RawGetString(k)
		}
	}
	if t, ok := holder.(*lua.LTable); ok {
		for k := range st.fns {
			switch v := t.RawGetString(hookNames[k]).(type) {
			case *lua.LFunction:
				st.fns[k] = v
			case *lua.LNilType:
			default:
				L.Close()
				return nil, &LoadError{Script: s.name, Err: fmt.Errorf("%s is a %s, not a function", hookNames[k], v.Type())}
			}
		}
	}
	return st, nil
}

func (s *Script) get() (*state, error) {
	s.mu.Lock()
	if n := len(s.free); n > 0 {
		st := s.free[n-1]
		s.free = s.free[:n-1]
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()
	return s.newState()
}

func (s *Script) put(st *state) {
	s.mu.Lock()
	s.free = append(s.free, st)
	s.mu.Unlock()
}

func (s *Script) log(st *state, level Level, text string) {
	if s.opts.Log == nil {
		return
	}
	e := Entry{Level: level, Script: s.name, Text: text}
	if st.running != kindNone {
		e.Hook = hookNames[st.running]
		if m := st.msg.m; m != nil {
			e.Folder, e.UID = m.Folder, m.UID
		} else if st.running == kindMapFolder {
			e.Folder = st.folder
		}
	}
	s.opts.Log(e)
}

// call runs hook k with args under the time limit, then hands its results
// to read while the state is still borrowed. A timed-out state is dropped.
func (s *Script) call(k hookKind, prepare func(st *state) []lua.LValue, nret int, read func(st *state, rets []lua.LValue) error) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	L := st.L
	args := prepare(st)
	st.running = k
	L.Push(st.fns[k])
	for _, a := range args {
		L.Push(a)
	}
	err, timedOut := st.run(len(args), nret)
	st.running = kindNone
	if err != nil {
		L.SetTop(0)
		st.msg.reset()
		if timedOut {
			L.Close()
		} else {
			s.put(st)
		}
		return fmt.Errorf("%s: %w", hookNames[k], callError(err, timedOut, s.opts.Timeout))
	}
	rets := make([]lua.LValue, nret)
	for i := range rets {
		rets[i] = L.Get(i - nret)
	}
	L.Pop(nret)
	err = read(st, rets)
	L.SetTop(0)
	st.msg.reset()
	s.put(st)
	if err != nil {
		return fmt.Errorf("%s: %w", hookNames[k], err)
	}
	return nil
}

// ErrTimeout is wrapped by the error of a call stopped by the time limit.
var ErrTimeout = errors.New("time limit exceeded")

// callError turns a Lua error into one with the traceback, or a timeout.
func callError(err error, timedOut bool, limit time.Duration) error {
	if me := (*memoryError)(nil); errors.As(err, &me) {
		return me
	}
	if timedOut {
		var tb string
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			tb = ae.StackTrace
		}
		return &timeoutError{limit: limit, traceback: tb}
	}
	return err
}

type timeoutError struct {
	limit     time.Duration
	traceback string
}

func (e *timeoutError) Error() string {
	s := fmt.Sprintf("%v (%v)", ErrTimeout, e.limit)
	if e.traceback != "" {
		s += "\n" + e.traceback
	}
	return s
}

func (e *timeoutError) Unwrap() error { return ErrTimeout }
