package imapmem

import (
	"bytes"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// Faults injects failures into a Server. All methods are safe for
// concurrent use and take effect immediately, including on live
// connections. The zero configuration injects nothing.
//
// Commands are identified by the name the client sent, upper-cased, with
// the "UID " prefix kept: "LOGIN", "SELECT", "EXAMINE", "APPEND",
// "FETCH", "UID FETCH", "UID STORE", "LSUB", "IDLE", "NOOP", "LOGOUT"…
// A rule name matches a command when it is equal to it, when the command
// is "UID "+name (so "FETCH" covers FETCH and UID FETCH, "UID FETCH" only
// UID FETCH), or when the rule name is "*" (any command).
//
// Command faults act on the wire, before the server processes the command,
// and are counted across all connections of the server. They do not see
// commands sent after STARTTLS on that connection (the stream is then
// encrypted); use the implicit-TLS listener (Server.TLSAddr) to combine TLS
// with command faults. Continuation data (literals, IDLE's DONE, SASL
// responses) is never counted as a command.
type Faults struct {
	srv *Server

	mu        sync.Mutex
	refuse    []*refuseRule
	drops     []*countdownRule
	respCuts  []*respCutRule
	delays    map[string]time.Duration
	connBytes int64 // budget for the next accepted connection, -1 = none
	connLimit int
	limitResp *imap.Error
	counts    map[string]int
	log       []string

	poison     []poisonRule
	poisonHits int
	multiByes  []*multiByeRule
	greetBye   int // the next greetBye connections are greeted with BYE
	greetText  string
	greetMax   int // connections beyond greetMax open ones get BYE; 0 = none
	greetMaxTx string
	live       int // connections open on the server's listeners
}

type refuseRule struct {
	name string
	left int // <0: forever
	resp *imap.Error
	drop bool // cut the connection after the answer
}

type poisonRule struct {
	match func([]byte) bool
	resp  *imap.Error // nil: cut the connection
}

type multiByeRule struct {
	after int
	text  string
}

type countdownRule struct {
	name string
	left int
}

type respCutRule struct {
	name  string
	bytes int64
}

// maxLog bounds the command log kept by Faults.Commands.
const maxLog = 100000

func newFaults(srv *Server) *Faults {
	return &Faults{
		srv:       srv,
		delays:    make(map[string]time.Duration),
		connBytes: -1,
		counts:    make(map[string]int),
	}
}

func normName(name string) string {
	return strings.Join(strings.Fields(strings.ToUpper(name)), " ")
}

func ruleMatches(rule, cmd string) bool {
	return rule == "*" || rule == cmd || "UID "+rule == cmd
}

// RefuseCommand makes the next n commands matching name (n < 0: all of
// them, until Reset or RefuseCommand(name, 0, nil)) fail with resp instead
// of reaching the server. The tagged answer is built from resp.Type (NO or
// BAD; NO if empty), resp.Code and resp.Text, e.g.
//
//	&imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Quota exceeded"}
//
// gives "A12 NO [OVERQUOTA] Quota exceeded". With Type BYE the server
// sends "* BYE text" and closes the connection instead. A nil resp means
// NO "Refused by test fault". A refused command is read completely before
// it is answered: the test server sends the continuation request for a
// synchronizing literal and discards the literal, as servers do when they
// check quota after receiving the message. (Answering NO instead of "+"
// would make go-imap's client close the connection.) Rules are tried in
// the order they were added; the first one with refusals left applies.
func (f *Faults) RefuseCommand(name string, n int, resp *imap.Error) {
	f.addRefusal(name, n, resp, false)
}

// RefuseCommandThenDrop is RefuseCommand, except that the connection is
// cut (TCP close, no BYE) right after each refusal is written, as Exchange
// Online does after "Request is throttled" (see Office365Throttled).
// RefuseCommand(name, 0, nil) removes it too.
func (f *Faults) RefuseCommandThenDrop(name string, n int, resp *imap.Error) {
	f.addRefusal(name, n, resp, true)
}

func (f *Faults) addRefusal(name string, n int, resp *imap.Error, drop bool) {
	name = normName(name)
	if resp == nil {
		resp = &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Refused by test fault"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.refuse[:0]
	for _, r := range f.refuse {
		if r.name != name {
			kept = append(kept, r)
		}
	}
	f.refuse = kept
	if n != 0 {
		f.refuse = append(f.refuse, &refuseRule{name: name, left: n, resp: resp, drop: drop})
	}
}

// DropAfterCommands arms a one-shot trigger: when the k-th command
// matching name arrives (counting from this call, across all connections;
// k <= 1 means the next one), the connection that sent it is cut (TCP
// close, no BYE, no answer) before the server sees the command. Several
// triggers can be armed at once.
func (f *Faults) DropAfterCommands(name string, k int) {
	if k < 1 {
		k = 1
	}
	f.mu.Lock()
	f.drops = append(f.drops, &countdownRule{name: normName(name), left: k})
	f.mu.Unlock()
}

// DropAfterBytes arms a one-shot trigger for the next accepted
// connection: it is cut after the server has written n bytes to it,
// counting from the first byte of the greeting. A write that crosses the
// limit is truncated, so the client sees a partial response (for example
// in the middle of a literal). n < 0 disarms.
func (f *Faults) DropAfterBytes(n int64) {
	f.mu.Lock()
	f.connBytes = n
	f.mu.Unlock()
}

// DropResponseAfterBytes arms a one-shot trigger: when the next command
// matching name arrives, the connection that sent it is cut after n more
// bytes have been written to it, which normally falls within that
// command's response (use it to cut a FETCH in the middle of a message
// literal).
func (f *Faults) DropResponseAfterBytes(name string, n int64) {
	if n < 0 {
		n = 0
	}
	f.mu.Lock()
	f.respCuts = append(f.respCuts, &respCutRule{name: normName(name), bytes: n})
	f.mu.Unlock()
}

// Delay makes the server wait d before processing every command matching
// name (d <= 0 removes the delay). When several delays match, the most
// specific wins: exact name, then name without "UID ", then "*".
func (f *Faults) Delay(name string, d time.Duration) {
	name = normName(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		delete(f.delays, name)
	} else {
		f.delays[name] = d
	}
}

// LimitConnections caps the number of simultaneously authenticated
// sessions per user: a LOGIN (or AUTHENTICATE) beyond n fails with resp,
// or with NO [LIMIT] "Too many simultaneous connections" if resp is nil.
// With resp.Type BYE the server sends "* BYE text" and closes the
// connection instead. n <= 0 removes the limit. Sessions end when the
// connection closes (LOGOUT, drop, Bye, client Close).
func (f *Faults) LimitConnections(n int, resp *imap.Error) {
	if resp == nil {
		resp = &imap.Error{
			Type: imap.StatusResponseTypeNo,
			Code: imap.ResponseCodeLimit,
			Text: "Too many simultaneous connections",
		}
	}
	f.mu.Lock()
	f.connLimit = n
	f.limitResp = resp
	f.mu.Unlock()
}

// Bye sends an untagged "* BYE text" to every live connection of the
// server and closes them. It returns the number of connections closed.
func (f *Faults) Bye(text string) int {
	conns := f.srv.liveConns()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func(c *imapserver.Conn) {
			defer wg.Done()
			c.Bye(text)
		}(c)
	}
	wg.Wait()
	return len(conns)
}

// Reset removes every armed fault (refusals, drops, delays, byte cuts,
// connection limit). Counters are kept; see ResetCounts.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = nil
	f.drops = nil
	f.respCuts = nil
	f.delays = make(map[string]time.Duration)
	f.connBytes = -1
	f.connLimit = 0
	f.poison = nil
	f.multiByes = nil
	f.greetBye = 0
	f.greetMax = 0
}

// Count returns how many commands matching name have arrived (including
// refused and dropped ones) since the server started or ResetCounts.
// Count("FETCH") includes UID FETCH; Count("*") counts everything.
func (f *Faults) Count(name string) int {
	name = normName(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for cmd, c := range f.counts {
		if ruleMatches(name, cmd) {
			n += c
		}
	}
	return n
}

// Counts returns a copy of the per-command counters, keyed by exact
// command name ("FETCH" and "UID FETCH" are separate keys).
func (f *Faults) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, len(f.counts))
	for k, v := range f.counts {
		m[k] = v
	}
	return m
}

// Commands returns the command lines received, in arrival order, across
// all connections: the first line of each command without its CRLF and
// without literal data (e.g. `A7 UID FETCH 1:4 (UID BODY.PEEK[])`).
// Credentials in LOGIN and AUTHENTICATE lines are replaced by "<redacted>".
// At most the first 100000 commands are kept.
func (f *Faults) Commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// CommandsMatching returns the logged command lines whose command matches
// name (same rules as Count).
func (f *Faults) CommandsMatching(name string) []string {
	name = normName(name)
	var out []string
	for _, l := range f.Commands() {
		if cmd, ok := parseCommandName([]byte(l)); ok && ruleMatches(name, cmd) {
			out = append(out, l)
		}
	}
	return out
}

// ResetCounts clears the counters and the command log.
func (f *Faults) ResetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = make(map[string]int)
	f.log = nil
}

type action struct {
	drop       bool
	delay      time.Duration
	refuse     *imap.Error
	refuseDrop bool  // cut after the refusal
	cutAfter   int64 // -1 = none
}

// onCommand records a command and decides what to do with it.
func (f *Faults) onCommand(name string, line []byte) action {
	act := action{cutAfter: -1}
	f.mu.Lock()
	defer f.mu.Unlock()

	f.counts[name]++
	if len(f.log) < maxLog {
		f.log = append(f.log, redactLine(name, line))
	}

	kept := f.drops[:0]
	for _, r := range f.drops {
		if ruleMatches(r.name, name) {
			r.left--
			if r.left <= 0 {
				act.drop = true
				continue
			}
		}
		kept = append(kept, r)
	}
	f.drops = kept
	if act.drop {
		return act
	}

	if d, ok := f.delays[name]; ok {
		act.delay = d
	} else if d, ok := f.delays[strings.TrimPrefix(name, "UID ")]; ok {
		act.delay = d
	} else if d, ok := f.delays["*"]; ok {
		act.delay = d
	}

	for i, r := range f.respCuts {
		if ruleMatches(r.name, name) {
			act.cutAfter = r.bytes
			f.respCuts = append(f.respCuts[:i], f.respCuts[i+1:]...)
			break
		}
	}

	for i, r := range f.refuse {
		if !ruleMatches(r.name, name) {
			continue
		}
		act.refuse, act.refuseDrop = r.resp, r.drop
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				f.refuse = append(f.refuse[:i], f.refuse[i+1:]...)
			}
		}
		break
	}
	return act
}

func (f *Faults) takeConnBudget() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.connBytes
	f.connBytes = -1
	return n
}

func (f *Faults) loginLimit() (int, *imap.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connLimit, f.limitResp
}

func redactLine(name string, line []byte) string {
	s := strings.TrimRight(string(line), "\r\n")
	switch name {
	case "LOGIN":
		tag, _, _ := strings.Cut(s, " ")
		return tag + " LOGIN <redacted>"
	case "AUTHENTICATE":
		f := strings.Fields(s)
		if len(f) > 3 {
			return strings.Join(f[:3], " ") + " <redacted>"
		}
	}
	return s
}

// PoisonMessage makes every APPEND that carries a message for which match
// returns true fail, each time it is sent, until Reset: with resp as the
// tagged answer (for example Office365ServerUnavailable()), or, when resp
// is nil, by cutting the connection (TCP close, no answer) as soon as the
// message has been received. The server stores all the messages of an
// APPEND or none, so in a MULTIAPPEND the refusal covers the whole
// command. match sees the message's bytes as sent; MessageContains and
// MessageLargerThan build common predicates. Rules are tried in the order
// they were added; the first match applies. While a rule is armed, APPEND
// is executed by the fault layer (see the package documentation).
func (f *Faults) PoisonMessage(match func(msg []byte) bool, resp *imap.Error) {
	f.mu.Lock()
	f.poison = append(f.poison, poisonRule{match: match, resp: resp})
	f.mu.Unlock()
}

// PoisonHits returns how many times a poison message was refused or
// caused a cut since the server started.
func (f *Faults) PoisonHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.poisonHits
}

// MessageContains matches messages that contain marker.
func MessageContains(marker string) func([]byte) bool {
	return func(msg []byte) bool { return bytes.Contains(msg, []byte(marker)) }
}

// MessageLargerThan matches messages of more than n bytes.
func MessageLargerThan(n int) func([]byte) bool {
	return func(msg []byte) bool { return len(msg) > n }
}

// ByeInMultiAppend arms a one-shot trigger: in the next APPEND command
// that carries more than after messages (a MULTIAPPEND; after <= 0 means
// 1), once after messages have been received and the next one is
// announced, the server sends "* BYE text" and cuts the connection. None
// of the command's messages is stored. Several triggers can be armed; each
// fires once.
func (f *Faults) ByeInMultiAppend(after int, text string) {
	if after < 1 {
		after = 1
	}
	f.mu.Lock()
	f.multiByes = append(f.multiByes, &multiByeRule{after: after, text: text})
	f.mu.Unlock()
}

// RefuseGreetings makes the next n connections accepted by the server's
// listeners get "* BYE text" instead of the greeting, then a close. n <= 0
// disarms. On the implicit-TLS listener the BYE is sent after the TLS
// handshake.
func (f *Faults) RefuseGreetings(n int, text string) {
	f.mu.Lock()
	f.greetBye, f.greetText = max(n, 0), text
	f.mu.Unlock()
}

// LimitGreetings greets a new connection with "* BYE text" and closes it
// when n connections are already open on the server's listeners (whether
// logged in or not; connections refused this way do not count). n <= 0
// removes the limit. Unlike LimitConnections, it acts before login and
// counts all users together, like a server's per-address limit.
func (f *Faults) LimitGreetings(n int, text string) {
	f.mu.Lock()
	f.greetMax, f.greetMaxTx = max(n, 0), text
	f.mu.Unlock()
}

// admit decides the fate of an accepted connection: "" means serve it
// (and count it as open), anything else is the text of the BYE to send.
func (f *Faults) admit() (bye string, refused bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.greetBye > 0 {
		f.greetBye--
		return f.greetText, true
	}
	if f.greetMax > 0 && f.live >= f.greetMax {
		return f.greetMaxTx, true
	}
	f.live++
	return "", false
}

func (f *Faults) released() {
	f.mu.Lock()
	f.live--
	f.mu.Unlock()
}

// interceptsAppend reports whether APPEND is executed by the fault layer.
func (f *Faults) interceptsAppend() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.poison) > 0 || len(f.multiByes) > 0 || f.srv.caps.Has(capMultiAppend)
}

// poisonFor returns the poison rule matching msg, if any, and counts the
// hit.
func (f *Faults) poisonFor(msg []byte) (resp *imap.Error, cut, hit bool) {
	f.mu.Lock()
	rules := append([]poisonRule(nil), f.poison...)
	f.mu.Unlock()
	for _, r := range rules {
		if r.match(msg) {
			f.mu.Lock()
			f.poisonHits++
			f.mu.Unlock()
			return r.resp, r.resp == nil, true
		}
	}
	return nil, false, false
}

// multiBye returns the text of the BYE to send when message number
// received+1 of an APPEND is announced, consuming the trigger.
func (f *Faults) multiBye(received int) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.multiByes {
		if r.after == received {
			f.multiByes = append(f.multiByes[:i], f.multiByes[i+1:]...)
			return r.text, true
		}
	}
	return "", false
}
