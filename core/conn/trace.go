package conn

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// tracer writes the protocol trace of one connection. Lines are prefixed
// with the side and direction; every configured secret is replaced by
// MASKED wherever it appears, as a last line of defence behind the
// explicit masking of LOGIN and AUTHENTICATE arguments.
type tracer struct {
	mu      sync.Mutex
	w       io.Writer // nil: tracing off
	prefix  string
	secrets []string
}

func newTracer(w io.Writer, prefix string, secrets []string) *tracer {
	var s []string
	for _, x := range secrets {
		if len(x) >= 3 {
			s = append(s, x)
		}
	}
	return &tracer{w: w, prefix: prefix, secrets: s}
}

func (t *tracer) addSecret(s string) {
	if len(s) >= 3 {
		t.mu.Lock()
		t.secrets = append(t.secrets, s)
		t.mu.Unlock()
	}
}

func (t *tracer) on() bool { return t != nil && t.w != nil }

func (t *tracer) emit(dir, line string) {
	if !t.on() {
		return
	}
	t.mu.Lock()
	for _, s := range t.secrets {
		line = strings.ReplaceAll(line, s, "MASKED")
	}
	fmt.Fprintf(t.w, "%s %s %s\n", t.prefix, dir, line)
	t.mu.Unlock()
}

func (t *tracer) client(line string) { t.emit("C:", line) }
func (t *tracer) server(line string) { t.emit("S:", line) }

// stream follows one direction of the conversation after the hand-over to
// go-imap: it splits the bytes into lines, skips over literals, counts
// tagged commands (client side) and tagged completions (server side), and
// feeds the trace.
type stream struct {
	client  bool
	t       *tracer
	line    []byte // current logical line (literals abbreviated)
	litLeft int64  // bytes of a literal still to come
	// authenticating is set after a client AUTHENTICATE line, so the next
	// client lines (SASL responses) are masked.
	authenticating *bool
	onLine         func(tagged bool)
	// counted is set once the current logical line was reported to onLine
	// (a client command is counted at its first CRLF, before any literal).
	counted bool
}

// feed consumes p. It never retains p.
func (s *stream) feed(p []byte) {
	for len(p) > 0 {
		if s.litLeft > 0 {
			n := int64(len(p))
			if n > s.litLeft {
				n = s.litLeft
			}
			s.litLeft -= n
			p = p[n:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(s.line) < 64<<10 {
				s.line = append(s.line, p...)
			}
			return
		}
		s.line = append(s.line, p[:i]...)
		p = p[i+1:]
		l := bytes.TrimRight(s.line, "\r")
		if n, ok := trailingLiteral(string(l)); ok {
			if s.client && !s.counted && s.onLine != nil {
				_, _, hasRest := strings.Cut(string(l), " ")
				s.onLine(hasRest)
				s.counted = true
			}
			s.litLeft = n
			s.line = append(l[:len(l):len(l)], []byte(" <"+strconv.FormatInt(n, 10)+" bytes> ")...)
			continue
		}
		s.endLine(string(l))
		s.line = s.line[:0]
		s.counted = false
	}
}

func (s *stream) endLine(l string) {
	first, rest, hasRest := strings.Cut(l, " ")
	if s.client {
		shown := l
		if *s.authenticating && !hasRest {
			shown = "MASKED"
		}
		verb, _, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(verb) {
		case "LOGIN", "AUTHENTICATE":
			shown = first + " " + verb + " MASKED"
			*s.authenticating = true
		}
		s.t.client(shown)
		if hasRest && !s.counted && s.onLine != nil {
			s.onLine(true)
		}
		return
	}
	tagged := first != "*" && first != "+" && hasRest
	if tagged {
		*s.authenticating = false
	}
	s.t.server(l)
	if s.onLine != nil {
		s.onLine(tagged)
	}
}
