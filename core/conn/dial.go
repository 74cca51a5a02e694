package conn

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/go-ntlmssp"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"
)

// Version is sent in the ID command; cmd/ sets it at start-up.
var Version = "dev"

// Conn is a logged-in connection. The embedded client is ready for
// authenticated-state commands.
type Conn struct {
	*imapclient.Client
	Config *Config
	// Greeting is the server's greeting line without the leading "* ".
	Greeting string
	// PreAuthCaps are the capabilities announced before authentication
	// (after STARTTLS when it was used).
	PreAuthCaps []string
	// Secure tells whether the connection is encrypted.
	Secure bool
	// StartTLS tells whether STARTTLS was used.
	StartTLS bool
	// Mech is the mechanism that authenticated the session.
	Mech string
	// ServerID is the raw ID response, when ID was exchanged.
	ServerID string
	// Notes are informational lines worth printing (imapsync prints them
	// too), such as a mechanism not being advertised.
	Notes []string
	// RemoteAddr and LocalAddr are the socket's addresses.
	RemoteAddr, LocalAddr string
}

// Dial connects, secures and logs in according to cfg. Failures are
// *Error values carrying the stage and exit code.
func Dial(ctx context.Context, cfg *Config) (*Conn, error) {
	s, err := openAndLoginID(ctx, cfg, cfg.ID)
	if err != nil {
		return nil, err
	}
	return s.handOver()
}

// openAndLogin connects, secures and authenticates: the raw phase shared
// by Dial and DialAppender.
func openAndLogin(ctx context.Context, cfg *Config) (*session, error) {
	return openAndLoginID(ctx, cfg, false)
}

// openAndLoginID is openAndLogin that also exchanges ID when withID is
// set and the server announced ID before authentication: a LOGIN whose
// arguments are quoted strings (no literal to wait for) carries the ID
// command in the same write, so the ID costs no round trip of its own.
// Otherwise handOver sends ID after the login, as before.
func openAndLoginID(ctx context.Context, cfg *Config, withID bool) (*session, error) {
	s, err := open(ctx, cfg)
	if err != nil {
		return nil, cancelled(ctx, err)
	}
	s.pipeID = withID && s.raw.hasCap("ID")
	if err := s.login(); err != nil {
		s.close()
		return nil, cancelled(ctx, s.authError(err))
	}
	return s, nil
}

// cancelled returns err, the failure of a dial under ctx, made to wrap
// ctx's error when ctx ended (errors.Is(err, context.Canceled)): the
// cancellation ends the dial by setting a deadline in the past on the
// socket, so the I/O fails with a timeout that says nothing of why.
func cancelled(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil || errors.Is(err, cerr) {
		return err
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Err = fmt.Errorf("%w (%v)", cerr, e.Err)
		return &c
	}
	return fmt.Errorf("%w (%v)", cerr, err)
}

func (s *session) authError(err error) error {
	return &Error{Stage: StageAuth, Side: s.cfg.Side, Host: s.cfg.Host, User: s.cfg.User, Mech: s.mech, Err: err}
}

// Connect opens and secures a connection without logging in, exchanges ID
// when asked to, and closes it: it is imapsync's --justconnect.
func Connect(ctx context.Context, cfg *Config) (*Conn, error) {
	s, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if cfg.ID && s.raw.hasCap("ID") {
		s.id()
	}
	s.raw.command("LOGOUT")
	return s.info(), nil
}

// session is a connection in the pre-authentication phase.
type session struct {
	cfg      *Config
	ctx      context.Context
	sock     net.Conn
	buf      *bufConn // the socket's buffering, below TLS
	raw      *raw
	trace    *tracer
	greeting string
	preauth  bool
	secure   bool
	starttls bool
	mech     string
	serverID string
	preCaps  []string
	notes    []string
	stop     func() bool
	// pipeID asks login to send ID in the same write as LOGIN; idDone
	// records that the ID exchange happened there.
	pipeID, idDone bool
}

func (s *session) info() *Conn {
	return &Conn{
		Config:      s.cfg,
		Greeting:    s.greeting,
		PreAuthCaps: s.preCaps,
		Secure:      s.secure,
		StartTLS:    s.starttls,
		Mech:        s.mech,
		ServerID:    s.serverID,
		Notes:       s.notes,
		RemoteAddr:  s.sock.RemoteAddr().String(),
		LocalAddr:   s.sock.LocalAddr().String(),
	}
}

func (s *session) close() {
	s.stop()
	s.sock.Close()
}

// setupTimeout bounds the whole pre-authentication phase.
const setupTimeout = 60 * time.Second

func open(ctx context.Context, cfg *Config) (*session, error) {
	connErr := func(err error) error {
		return &Error{Stage: StageConnect, Side: cfg.Side, Host: cfg.Host, User: cfg.User, Err: err}
	}
	tlsErr := func(err error) error {
		return &Error{Stage: StageTLS, Side: cfg.Side, Host: cfg.Host, User: cfg.User, Err: tlsError(cfg, err)}
	}
	network := cfg.Network
	if network == "" {
		network = "tcp"
	}
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: -1}
	if cfg.Timeout > 0 && cfg.Timeout < d.Timeout {
		d.Timeout = cfg.Timeout
	}
	if cfg.KeepAlive {
		d.KeepAlive = 0 // Go's default period
	}
	sock, err := d.DialContext(ctx, network, cfg.Address())
	if err != nil {
		return nil, connErr(err)
	}
	trace := newTracer(cfg.Trace, cfg.Name(), cfg.secrets())
	if cfg.wrap != nil {
		sock = cfg.wrap(sock)
	}
	bc := newBufConn(sock)
	s := &session{cfg: cfg, ctx: ctx, sock: bc, buf: bc, trace: trace}
	limit := setupTimeout
	if cfg.Timeout > 0 && cfg.Timeout < limit {
		limit = cfg.Timeout
	}
	sock.SetDeadline(time.Now().Add(limit))
	s.stop = context.AfterFunc(ctx, func() { sock.SetDeadline(time.Unix(1, 0)) })

	if cfg.Mode == TLSImplicit {
		tc, err := secure(ctx, bc, s.tlsConfig())
		if err != nil {
			s.close()
			e := tlsErr(err).(*Error)
			e.Implicit = true
			return nil, e
		}
		s.sock = tc
		s.secure = true
	}
	s.raw = &raw{r: bufio.NewReader(s.sock), w: s.sock, trace: trace}
	if err := s.readGreeting(); err != nil {
		s.close()
		return nil, connErr(err)
	}
	if len(s.raw.caps) == 0 {
		if _, _, err := s.raw.command("CAPABILITY"); err != nil {
			s.close()
			return nil, connErr(err)
		}
	}
	switch {
	case cfg.Mode == TLSStartTLS && !s.raw.hasCap("STARTTLS"):
		s.close()
		return nil, tlsErr(errors.New("the server does not offer STARTTLS (use --notls" + strconv.Itoa(cfg.Side) + " to connect in clear text)"))
	case cfg.Mode == TLSStartTLS || (cfg.Mode == TLSAuto && s.raw.hasCap("STARTTLS") && !s.preauth):
		if err := s.startTLS(); err != nil {
			s.close()
			return nil, tlsErr(err)
		}
	}
	s.preCaps = append([]string(nil), s.raw.caps...)
	return s, nil
}

func (s *session) readGreeting() error {
	l, err := s.raw.line()
	if err != nil {
		return fmt.Errorf("reading the greeting: %w", err)
	}
	if !strings.HasPrefix(l, "* ") {
		return fmt.Errorf("unexpected greeting %q", l)
	}
	s.greeting = l[2:]
	status, text, _ := strings.Cut(s.greeting, " ")
	switch strings.ToUpper(status) {
	case "OK":
	case "PREAUTH":
		s.preauth = true
	default:
		return fmt.Errorf("server refused the connection: %s", s.greeting)
	}
	if caps, ok := respCodeCaps(text); ok {
		s.raw.caps = caps
	}
	return nil
}

func (s *session) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.cfg.TLS != nil {
		c = s.cfg.TLS.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	return c
}

func (s *session) startTLS() error {
	if _, _, err := s.raw.command("STARTTLS"); err != nil {
		return err
	}
	if s.raw.r.Buffered() > 0 {
		return errors.New("server sent data after STARTTLS before the handshake")
	}
	tc, err := secure(s.ctx, s.buf, s.tlsConfig())
	if err != nil {
		return err
	}
	s.sock = tc
	s.secure, s.starttls = true, true
	s.raw.r = bufio.NewReader(tc)
	s.raw.w = tc
	s.raw.caps = nil
	_, _, err = s.raw.command("CAPABILITY")
	return err
}

// id exchanges the ID command and keeps the raw answer.
func (s *session) id() {
	tag := s.raw.nextTag()
	if err := s.raw.send(tag+" "+s.idCommand(), ""); err != nil {
		return
	}
	s.readID(tag)
}

// idCommand is the ID command without its tag.
func (s *session) idCommand() string {
	fields := []string{
		"name", "imapshift", "version", Version, "os", runtime.GOOS,
		"vendor", "imapshift", "support-url", "https://github.com/imapshift/imapshift",
		"side", s.cfg.lower(),
	}
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		q, _ := quote(f)
		b.WriteString(q)
	}
	return "ID (" + b.String() + ")"
}

// readID reads the answer to the ID command tagged tag and keeps the
// server's ID. A refused ID is ignored: it only informs, and the
// capabilities known before it are kept.
func (s *session) readID(tag string) {
	caps := s.raw.caps
	defer func() { s.raw.caps = caps }()
	untagged, _, err := s.raw.await(tag, nil)
	if err != nil {
		return
	}
	for _, u := range untagged {
		if strings.HasPrefix(strings.ToUpper(u), "ID ") {
			s.serverID = u
		}
	}
}

func (s *session) login() error {
	cfg := s.cfg
	s.mech = strings.ToUpper(cfg.Mech())
	if s.preauth {
		s.mech = "PREAUTH"
		return nil
	}
	if s.mech == "PREAUTH" {
		return errors.New("the server did not pre-authenticate the session")
	}
	if s.mech == "XOAUTH2" && cfg.OAuthBearer && cfg.AuthMech == "" {
		if s.raw.hasCap("AUTH=OAUTHBEARER") {
			s.mech = "OAUTHBEARER"
		} else {
			s.notes = append(s.notes, fmt.Sprintf("%s: the server does not offer AUTH=OAUTHBEARER, using XOAUTH2", cfg.Name()))
		}
	}
	if s.mech != "LOGIN" && !s.raw.hasCap("AUTH="+s.mech) {
		s.notes = append(s.notes, fmt.Sprintf("%s: the server does not advertise AUTH=%s, trying it anyway", cfg.Name(), s.mech))
	}
	// Capabilities announced from here on are the authenticated ones;
	// handOver asks for them when the login response carried none.
	s.raw.caps = nil
	err := s.authenticate(s.mech)
	if err != nil && cfg.TryLogin && s.mech != "LOGIN" && cfg.AuthUser == "" && s.mech != "XOAUTH2" && s.mech != "OAUTHBEARER" && isNo(err) {
		s.notes = append(s.notes, fmt.Sprintf("%s: %s failed, retrying with LOGIN", cfg.Name(), s.mech))
		s.mech = "LOGIN"
		err = s.authenticate("LOGIN")
	}
	if err != nil {
		return err
	}
	if cfg.ProxyAuth {
		if _, _, err := s.raw.sendAndAwait("PROXYAUTH", arg{value: cfg.User}); err != nil {
			return fmt.Errorf("PROXYAUTH %s: %w", cfg.User, err)
		}
	}
	return nil
}

func isNo(err error) bool {
	var se *statusError
	return errors.As(err, &se)
}

func (s *session) authenticate(mech string) error {
	cfg := s.cfg
	switch mech {
	case "LOGIN":
		user := cfg.User
		if cfg.ProxyAuth {
			user = cfg.AuthUser
		}
		qu, ok1 := quote(user)
		qp, ok2 := quote(cfg.Password)
		if !s.pipeID || s.idDone || !ok1 || !ok2 {
			_, _, err := s.raw.sendAndAwait("LOGIN", arg{value: user}, arg{value: cfg.Password, secret: true})
			return err
		}
		return s.loginWithID(qu, qp)
	case "PLAIN":
		authz, authc := "", cfg.User
		if cfg.AuthUser != "" {
			authz, authc = cfg.User, cfg.AuthUser
		}
		return s.sasl("PLAIN", []byte(authz+"\x00"+authc+"\x00"+cfg.Password), nil)
	case "XOAUTH2":
		ir, err := s.xoauth2()
		if err != nil {
			return err
		}
		// On failure the server sends an error challenge; an empty
		// response makes it finish with a tagged NO.
		return s.sasl("XOAUTH2", ir, func(string) []byte { return []byte{} })
	case "OAUTHBEARER":
		tok, err := s.accessToken()
		if err != nil {
			return err
		}
		_, ir, err := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: cfg.User, Token: tok, Host: cfg.Host, Port: cfg.EffectivePort()}).Start()
		if err != nil {
			return err
		}
		// On failure the server sends an error challenge (JSON); RFC 7628
		// has the client answer with a single 0x01, and the server ends
		// with a tagged NO.
		return s.sasl("OAUTHBEARER", ir, func(string) []byte { return []byte{1} })
	case "CRAM-MD5":
		return s.sasl("CRAM-MD5", nil, func(ch string) []byte {
			m := hmac.New(md5.New, []byte(cfg.Password))
			m.Write([]byte(ch))
			return []byte(cfg.User + " " + hex.EncodeToString(m.Sum(nil)))
		})
	case "NTLM":
		return s.ntlm()
	}
	return fmt.Errorf("authentication mechanism %s is not supported", mech)
}

// loginWithID sends LOGIN (user and password already quoted) and ID in
// one write, then reads both answers in order: LOGIN's decides, ID's only
// informs. The ID is answered whatever LOGIN's fate (ID is valid in any
// state), so it is read even after a refused LOGIN, leaving the session
// in step.
func (s *session) loginWithID(user, password string) error {
	lt, it := s.raw.nextTag(), s.raw.nextTag()
	line := lt + " LOGIN " + user + " " + password + "\r\n" + it + " " + s.idCommand()
	shown := lt + " LOGIN " + user + " MASKED"
	s.raw.trace.client(shown)
	if err := s.raw.send(line, it+" "+s.idCommand()); err != nil {
		return err
	}
	s.idDone = true
	_, _, err := s.raw.await(lt, nil)
	var se *statusError
	if err != nil && !errors.As(err, &se) {
		return err
	}
	if se != nil && se.Status == "BYE" {
		return err
	}
	s.readID(it)
	return err
}

// ntlm runs AUTHENTICATE NTLM (NTLMv2): the negotiate message as the
// initial response, then the authenticate message computed from the
// server's challenge, User, Domain and Password. A challenge that cannot
// be answered (malformed, or asking for NTLMv1) cancels the exchange and
// is the error returned.
func (s *session) ntlm() error {
	cfg := s.cfg
	negotiate, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return err
	}
	user := cfg.User
	if cfg.Domain != "" {
		user = cfg.Domain + `\` + user
	}
	var stepErr error
	err = s.sasl("NTLM", negotiate, func(challenge string) []byte {
		resp, err := ntlmssp.NewAuthenticateMessage([]byte(challenge), user, cfg.Password, nil)
		if err != nil {
			stepErr = fmt.Errorf("NTLM: cannot answer the server's challenge: %w", err)
			return nil
		}
		return resp
	})
	if stepErr != nil {
		return stepErr
	}
	return err
}

// xoauth2 builds the initial response from --oauthaccesstokenN or
// --oauthdirectN, reading a token file afresh.
func (s *session) xoauth2() ([]byte, error) {
	cfg := s.cfg
	if cfg.OAuthDirect != "" {
		v, err := valueOrFile(cfg.OAuthDirect)
		s.trace.addSecret(v)
		return []byte(v), err
	}
	tok, err := s.accessToken()
	if err != nil {
		return nil, err
	}
	return []byte("user=" + cfg.User + "\x01auth=Bearer " + tok + "\x01\x01"), nil
}

// accessToken returns the OAuth2 access token of this login: from the
// token source (refreshed by it when needed), or from
// --oauthaccesstokenN, whose file is read afresh. The token is masked in
// the trace.
func (s *session) accessToken() (string, error) {
	cfg := s.cfg
	var tok string
	switch {
	case cfg.OAuth != nil:
		t, err := cfg.OAuth.Token()
		if err != nil {
			return "", err
		}
		tok = t.AccessToken
	case cfg.OAuthAccessToken != "":
		v, err := valueOrFile(cfg.OAuthAccessToken)
		if err != nil {
			return "", err
		}
		tok = v
	default:
		return "", errors.New(s.mech + " needs an OAuth2 token (--oauth, --oauthaccesstoken or --oauthdirect)")
	}
	s.trace.addSecret(tok)
	return tok, nil
}

// valueOrFile returns v, or the first line of the file v names.
func valueOrFile(v string) (string, error) {
	st, err := os.Stat(v)
	if err != nil || st.IsDir() {
		return v, nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r \t"), nil
}

// sasl runs AUTHENTICATE. ir is the initial response (nil: none); step
// answers each server challenge (decoded) with a response to encode, or
// nil to cancel the exchange.
func (s *session) sasl(mech string, ir []byte, step func(challenge string) []byte) error {
	tag := s.raw.nextTag()
	line := tag + " AUTHENTICATE " + mech
	pendingIR := ir
	if ir != nil && slices.ContainsFunc(s.preCaps, func(c string) bool { return strings.EqualFold(c, "SASL-IR") }) {
		enc := base64.StdEncoding.EncodeToString(ir)
		if len(ir) == 0 {
			enc = "="
		}
		line += " " + enc
		pendingIR = nil
	}
	if err := s.raw.send(line, tag+" AUTHENTICATE "+mech+maskedIf(len(line) > len(tag+" AUTHENTICATE "+mech))); err != nil {
		return err
	}
	_, _, err := s.raw.await(tag, func(ch string) (string, string, error) {
		var resp []byte
		switch {
		case pendingIR != nil:
			resp, pendingIR = pendingIR, nil
		case step != nil:
			dec, _ := base64.StdEncoding.DecodeString(ch)
			if resp = step(string(dec)); resp == nil {
				return "*", "*", nil // the step gave up: cancel
			}
		default:
			return "*", "*", nil // cancel
		}
		if len(resp) == 0 {
			return "", "", nil
		}
		return base64.StdEncoding.EncodeToString(resp), "MASKED", nil
	})
	return err
}

func maskedIf(b bool) string {
	if b {
		return " MASKED"
	}
	return ""
}

// sendAndAwait sends a command with arguments and waits for its completion.
func (c *raw) sendAndAwait(verb string, args ...arg) ([]string, string, error) {
	tag := c.nextTag()
	if err := c.sendCommand(tag, verb, args...); err != nil {
		return nil, "", err
	}
	return c.await(tag, nil)
}

// handOver finishes the raw phase and returns a go-imap client over the
// same socket.
func (s *session) handOver() (*Conn, error) {
	cfg := s.cfg
	if err := s.authenticatedCaps(); err != nil {
		s.close()
		return nil, s.authError(err)
	}
	if cfg.ID && !s.idDone && s.raw.hasCap("ID") {
		s.id()
	}
	info := s.info()
	greeting := "* PREAUTH [CAPABILITY " + strings.Join(s.raw.caps, " ") + "] imapshift: authenticated\r\n"
	replay := []byte(greeting)
	if n := s.raw.r.Buffered(); n > 0 {
		b, _ := s.raw.r.Peek(n)
		replay = append(replay, b...)
	}
	s.stop()
	s.sock.SetDeadline(time.Time{})
	wc := newWireConn(s.sock, replay, cfg.Timeout, s.trace)
	client := imapclient.New(wc, &imapclient.Options{
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
	})
	if err := client.WaitGreeting(); err != nil {
		client.Close()
		return nil, &Error{Stage: StageConnect, Side: cfg.Side, Host: cfg.Host, User: cfg.User, Err: err}
	}
	info.Client = client
	info.PreAuthCaps = nil
	return info, nil
}

func (c *Config) secrets() []string {
	out := append([]string(nil), c.Secrets...)
	out = append(out, c.Password, c.OAuthAccessToken, c.OAuthDirect)
	return out
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
