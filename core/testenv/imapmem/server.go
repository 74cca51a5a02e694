package imapmem

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Options configures a Server. The zero value is a plain-text server with
// DefaultCaps.
type Options struct {
	// Caps is the capability set advertised. Nil means DefaultCaps().
	// It must contain IMAP4rev1 or IMAP4rev2. Only capabilities the
	// backend implements make sense (see the package documentation);
	// STARTTLS, LOGINDISABLED, AUTH=PLAIN, SASL-IR, LITERAL-, ENABLE,
	// IDLE, UNSELECT and UTF8=ACCEPT are added by imapserver itself.
	Caps imap.CapSet
	// TLSConfig, when set, enables STARTTLS on Addr and opens a second,
	// implicit-TLS listener on TLSAddr. See NewTLSConfig for a
	// self-signed pair.
	TLSConfig *tls.Config
	// AppendLimit, when non-zero, is advertised as APPENDLIMIT=n after
	// login and APPENDs above it fail with NO [TOOBIG]. Zero keeps
	// imapserver's unadvertised 100 MiB limit.
	AppendLimit uint32
	// NTLMDomain, when set, offers AUTH=NTLM (NTLMv2, see ntlm.go) with
	// this domain in the challenge.
	NTLMDomain string
	// Gmail gives the server Gmail's personality (gmail.go): X-GM-EXT-1,
	// All Mail holding every message once and label folders as views,
	// X-GM-LABELS / X-GM-MSGID / X-GM-THRID in FETCH, X-GM-LABELS in
	// STORE, X-GM-RAW in SEARCH, Gmail's 25 MB message limit and its 15
	// connections per account. GmailLocalised names the special folders
	// as a German account does ("[Google Mail]/Gesendet"...).
	Gmail, GmailLocalised bool
	// OAuth, when set, offers AUTH=XOAUTH2 and AUTH=OAUTHBEARER checked
	// against an authorization server, and ends sessions whose token
	// expired (see oauth.go).
	OAuth *OAuthOptions
	// Debug receives the raw protocol traffic of all client connections
	// (credentials included) and the server's error log. It is written
	// from several goroutines. Nil discards.
	Debug io.Writer
}

// DefaultCaps returns the capabilities advertised when Options.Caps is
// nil: an IMAP4rev1 server with the extensions the backend really
// implements and migration tools care about.
func DefaultCaps() imap.CapSet {
	return imap.CapSet{
		imap.CapIMAP4rev1:        {},
		imap.CapLiteralPlus:      {},
		imap.CapUIDPlus:          {},
		imap.CapMove:             {},
		imap.CapNamespace:        {},
		imap.CapChildren:         {},
		imap.CapSpecialUse:       {},
		imap.CapCreateSpecialUse: {},
		imap.CapListExtended:     {},
		imap.CapListStatus:       {},
		imap.CapESearch:          {},
		imap.CapStatusSize:       {},
	}
}

// Server is an in-process IMAP server listening on 127.0.0.1. Create it
// with Start or StartT.
type Server struct {
	opts   Options
	caps   imap.CapSet
	faults *Faults

	plain, implicit *imapserver.Server // implicit is nil without TLS
	ln, tlsLn       net.Listener

	inspectSrv *imapserver.Server
	inspectLn  *pipeListener

	mu    sync.Mutex
	users map[string]*User
	conns map[*imapserver.Conn]struct{}

	oauthStats OAuthStats

	serving   sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start starts a server on 127.0.0.1 with an OS-chosen port.
func Start(opts Options) (*Server, error) {
	s := &Server{
		opts:  opts,
		caps:  opts.Caps,
		users: make(map[string]*User),
		conns: make(map[*imapserver.Conn]struct{}),
	}
	if s.caps == nil {
		s.caps = DefaultCaps()
	}
	if !s.caps.Has(imap.CapIMAP4rev1) && !s.caps.Has(imap.CapIMAP4rev2) {
		return nil, errors.New("imapmem: Caps must contain IMAP4rev1 or IMAP4rev2")
	}
	if s.caps.Has(imap.CapUnauthenticate) {
		// imapserver would panic on every connection.
		return nil, errors.New("imapmem: UNAUTHENTICATE is not supported by the backend")
	}
	s.faults = newFaults(s)
	if opts.Gmail {
		s.faults.LimitConnections(GmailMaxConnections, GmailTooManyConnections())
	}

	logger := log.New(io.Discard, "", 0)
	if opts.Debug != nil {
		logger = log.New(opts.Debug, "imapserver: ", log.Lmicroseconds)
	}
	newOpts := func(tlsConfig *tls.Config) *imapserver.Options {
		return &imapserver.Options{
			NewSession:   s.newSession,
			Caps:         s.caps,
			Logger:       logger,
			TLSConfig:    tlsConfig,
			InsecureAuth: true,
			DebugWriter:  opts.Debug,
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln = &faultListener{Listener: ln, srv: s}
	s.plain = imapserver.New(newOpts(opts.TLSConfig))
	s.serve(s.plain, s.ln)

	if opts.TLSConfig != nil {
		tln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.plain.Close()
			return nil, err
		}
		// TLS is done by the listener (inside the fault layer's view), so
		// this imapserver has no TLSConfig and does not offer STARTTLS.
		s.tlsLn = &faultListener{Listener: tln, srv: s, tls: opts.TLSConfig}
		s.implicit = imapserver.New(newOpts(nil))
		s.serve(s.implicit, s.tlsLn)
	}

	s.inspectLn = newPipeListener()
	s.inspectSrv = imapserver.New(&imapserver.Options{
		NewSession:   s.newInspectSession,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:       logger,
		InsecureAuth: true,
	})
	s.serve(s.inspectSrv, s.inspectLn)
	return s, nil
}

// serve runs srv.Serve(ln) in a goroutine. Close waits for these
// goroutines before calling imapserver's Close, which otherwise races
// with a Serve that has just started (WaitGroup Add during Wait).
func (s *Server) serve(srv *imapserver.Server, ln net.Listener) {
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		srv.Serve(ln)
	}()
}

// TB is the part of testing.TB that StartT uses. It is spelt out so that
// this package, which the demo command links, does not import testing.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// StartT starts a server and registers its Close with t.Cleanup. It
// fails the test if the server cannot start.
func StartT(t TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("imapmem: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Addr returns the "127.0.0.1:port" address of the plain-text (and
// STARTTLS) listener.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host returns the listening host, "127.0.0.1".
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the port of the plain-text listener.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// TLSAddr returns the address of the implicit-TLS listener, or "" when the
// server was started without Options.TLSConfig.
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// TLSPort returns the port of the implicit-TLS listener, or 0.
func (s *Server) TLSPort() int {
	if s.tlsLn == nil {
		return 0
	}
	return s.tlsLn.Addr().(*net.TCPAddr).Port
}

// Caps returns the capability set the server was configured with.
func (s *Server) Caps() imap.CapSet { return s.caps.Copy() }

// Faults returns the server's fault injector.
func (s *Server) Faults() *Faults { return s.faults }

// Close stops the listeners and closes all connections. Calling it more
// than once is harmless.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.ln.Close()
		if s.tlsLn != nil {
			s.tlsLn.Close()
		}
		s.inspectLn.Close()
		s.serving.Wait()
		s.closeErr = s.plain.Close()
		if s.implicit != nil {
			if err := s.implicit.Close(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		s.inspectSrv.Close()
	})
	return s.closeErr
}

// AddUser creates a user (or returns the existing one with that name,
// after updating its password) with an empty INBOX.
func (s *Server) AddUser(name, password string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[name]; u != nil {
		u.mu.Lock()
		u.password = password
		u.mu.Unlock()
		return u
	}
	u := newUser(s, name, password)
	s.users[name] = u
	return u
}

// User returns the user with that name, or nil.
func (s *Server) User(name string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[name]
}

// ActiveConnections returns the number of client connections currently
// open on the server's listeners (authenticated or not).
func (s *Server) ActiveConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) String() string {
	return fmt.Sprintf("imapmem(%s)", s.Addr())
}

func (s *Server) liveConns() []*imapserver.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := make([]*imapserver.Conn, 0, len(s.conns))
	for c := range s.conns {
		l = append(l, c)
	}
	return l
}

func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	fc, _ := c.NetConn().(*faultConn)
	sess := &session{srv: s, conn: c, fc: fc}
	if fc != nil {
		fc.sess = sess
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if s.opts.AppendLimit > 0 {
		return &limitedSession{session: sess, limit: s.opts.AppendLimit}, nil, nil
	}
	return sess, nil, nil
}

// newInspectSession serves the private, fault-free connections used by the
// User inspection helpers. They are pre-authenticated as the user that
// opened them.
func (s *Server) newInspectSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	pc, ok := c.NetConn().(*pipeConn)
	if !ok || pc.user == nil {
		return nil, nil, errors.New("imapmem: unexpected inspection connection")
	}
	sess := &session{
		srv:         s,
		user:        pc.user,
		UserSession: imapmemserver.NewUserSession(pc.user.mem),
	}
	return sess, &imapserver.GreetingData{PreAuth: true}, nil
}

// pipeListener is an in-memory net.Listener fed by dial.
type pipeListener struct {
	ch        chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

type pipeConn struct {
	net.Conn
	user *User
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "inspect" }

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(u *User) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.ch <- &pipeConn{Conn: server, user: u}:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, errors.New("imapmem: server closed")
	}
}
