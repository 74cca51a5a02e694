package conn

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// syncBuffer collects a trace written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// memConfig is a Config for user on srv's plain listener, tracing to tr.
func memConfig(srv *imapmem.Server, user, pass string, tr io.Writer) *Config {
	return &Config{Side: 2, Host: srv.Host(), Port: srv.Port(), Mode: TLSNone, User: user, Password: pass,
		Timeout: 10 * time.Second, Trace: tr}
}

// script is a scripted IMAP server for what imapmem cannot do (a PREAUTH
// greeting, XOAUTH2, a server without SASL-IR, COMPRESS): each accepted
// connection runs serve, which talks to the client through a scriptConn.
type script struct {
	ln   net.Listener
	port int
	wg   sync.WaitGroup
}

type scriptConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
	w  io.Writer
	// lines is everything the client sent, one entry per line.
	lines []string
}

func startScript(t *testing.T, serve func(sc *scriptConn)) *script {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &script{ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(&scriptConn{t: t, c: c, br: bufio.NewReader(c), w: c})
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// config is a Config for the scripted server.
func (s *script) config(tr io.Writer) *Config {
	return &Config{Side: 1, Host: "127.0.0.1", Port: s.port, Mode: TLSNone, User: "joe", Password: "pw-joe-123",
		Timeout: 10 * time.Second, Trace: tr}
}

// send writes lines, each followed by CRLF.
func (sc *scriptConn) send(lines ...string) {
	for _, l := range lines {
		io.WriteString(sc.w, l+"\r\n")
	}
}

// read returns the next client line without CRLF ("" at EOF).
func (sc *scriptConn) read() string {
	l, err := sc.br.ReadString('\n')
	if err != nil {
		return ""
	}
	l = strings.TrimRight(l, "\r\n")
	sc.lines = append(sc.lines, l)
	return l
}

// answerAll answers every further command with "tag OK done" until the
// client leaves, and returns the client's lines.
func (sc *scriptConn) answerAll() {
	for {
		l := sc.read()
		if l == "" {
			return
		}
		tag, rest, _ := strings.Cut(l, " ")
		if strings.EqualFold(rest, "LOGOUT") {
			sc.send("* BYE bye", tag+" OK done")
			return
		}
		sc.send(tag + " OK done")
	}
}

// deflate swaps the connection for a compressed one, as a server does
// after answering COMPRESS DEFLATE.
func (sc *scriptConn) deflate() {
	fw, _ := flate.NewWriter(sc.c, flate.BestSpeed)
	sc.br = bufio.NewReader(flate.NewReader(sc.c))
	sc.w = &flushWriter{fw}
}

type flushWriter struct{ w *flate.Writer }

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
}

// mustNotContain fails when the trace shows any of secrets.
func mustNotContain(t *testing.T, trace string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(trace, s) {
			t.Errorf("trace shows %q:\n%s", s, trace)
		}
	}
}
