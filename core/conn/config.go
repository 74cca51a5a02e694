// Package conn opens IMAP connections the way imapsync does (SSL probe,
// automatic STARTTLS, its authentication mechanisms) and hands back a
// go-imap client that the rest of the engine drives.
//
// Everything up to and including authentication is spoken by this package
// itself on the raw socket, so that mechanisms go-imap lacks (XOAUTH2,
// PROXYAUTH, CRAM-MD5, NTLM) and the greeting, which go-imap hides, are available.
// Once logged in, the socket is handed to imapclient behind a PREAUTH
// greeting. The socket wrapper also replaces go-imap's fixed deadlines with
// an inactivity timeout that only runs while a command is pending, and
// writes the protocol trace with credentials masked.
package conn

import (
	"crypto/tls"
	"io"
	"net"
	"time"

	"golang.org/x/oauth2"
)

// TLSMode says how a connection is secured.
type TLSMode int

const (
	// TLSAuto uses STARTTLS when the server offers it, plain text otherwise
	// (imapsync's behaviour when neither --tlsN nor --notlsN is given).
	TLSAuto TLSMode = iota
	// TLSNone never encrypts (--notlsN without --sslN).
	TLSNone
	// TLSStartTLS requires STARTTLS and fails rather than fall back to plain
	// text (--tlsN).
	TLSStartTLS
	// TLSImplicit connects with TLS from the first byte (--sslN).
	TLSImplicit
)

func (m TLSMode) String() string {
	switch m {
	case TLSNone:
		return "none"
	case TLSStartTLS:
		return "starttls"
	case TLSImplicit:
		return "ssl"
	}
	return "auto"
}

// Config describes how to reach and log in to one side.
type Config struct {
	// Side is 1 or 2; it names the side in messages ("Host1") and selects
	// the side-specific exit codes.
	Side int
	Host string
	Port int // 0 means 143, or 993 with TLSImplicit
	Mode TLSMode
	// TLS is the verified-by-default TLS configuration. ServerName defaults
	// to Host.
	TLS *tls.Config
	// Insecure is true when verification was turned off; it is only used to
	// word error messages.
	Insecure bool

	User     string
	Password string
	// AuthMech is the mechanism: LOGIN (the IMAP LOGIN command), PLAIN,
	// CRAM-MD5, NTLM, XOAUTH2 or PREAUTH. Empty picks imapsync's default:
	// NTLM with a Domain, PLAIN with AuthUser, LOGIN otherwise.
	AuthMech string
	// Domain is the NTLM domain of User (NTLMv2 only).
	Domain string
	// AuthUser is the admin identity that authenticates on behalf of User
	// (SASL PLAIN authcid; User becomes the authorization identity).
	AuthUser string
	// ProxyAuth logs in as AuthUser and then sends PROXYAUTH User.
	ProxyAuth bool
	// OAuthAccessToken is a token or the path of a file whose first line is
	// the token; the file is read again on every connection.
	OAuthAccessToken string
	// OAuthDirect is a raw XOAUTH2 string or the path of a file holding it.
	OAuthDirect string
	// OAuth, when set, gives the access token of every login (XOAUTH2 by
	// default). It is asked afresh for each new connection, so a source
	// that refreshes tokens before they expire (see package oauth) keeps
	// reconnections and new workers logging in during long runs.
	OAuth oauth2.TokenSource
	// OAuthBearer logs in with OAUTHBEARER (RFC 7628) instead of XOAUTH2
	// when the server offers it (--oauthbearer1/2).
	OAuthBearer bool
	// TryLogin retries with the LOGIN command once when another mechanism
	// failed and no AuthUser is involved (imapsync's --trylogin).
	TryLogin bool

	// Compress turns COMPRESS=DEFLATE on after login when the server
	// offers it (imapsync's --compress1/2).
	Compress bool

	// ID sends the ID command when the server offers it.
	ID bool
	// Timeout is the inactivity timeout while a command is pending; 0 means
	// none.
	Timeout time.Duration
	// KeepAlive turns TCP keepalive on.
	KeepAlive bool
	// Network is "tcp", "tcp4" or "tcp6".
	Network string

	// Trace, when set, receives the protocol conversation, one line per
	// IMAP line, with credentials masked and long literals abbreviated.
	Trace io.Writer
	// Secrets are extra strings that must never appear in the trace.
	Secrets []string

	// wrap, when set, wraps the socket as dialled (tests watch its writes).
	wrap func(net.Conn) net.Conn
}

// Name is "Host1" or "Host2".
func (c *Config) Name() string {
	if c.Side == 2 {
		return "Host2"
	}
	return "Host1"
}

func (c *Config) lower() string {
	if c.Side == 2 {
		return "host2"
	}
	return "host1"
}

// Address returns host:port with the default port filled in.
func (c *Config) Address() string {
	return joinHostPort(c.Host, c.EffectivePort())
}

// EffectivePort returns Port, or the IMAP default for the mode.
func (c *Config) EffectivePort() int {
	if c.Port != 0 {
		return c.Port
	}
	if c.Mode == TLSImplicit {
		return 993
	}
	return 143
}

// Mech returns the mechanism that will be tried first.
func (c *Config) Mech() string {
	switch {
	case c.AuthMech != "":
		return c.AuthMech
	case c.UsesOAuth():
		return "XOAUTH2"
	case c.Domain != "":
		return "NTLM"
	case c.AuthUser != "" && !c.ProxyAuth:
		return "PLAIN"
	}
	return "LOGIN"
}

// UsesOAuth tells whether the side logs in with an OAuth2 token (a token
// source, --oauthaccesstoken or --oauthdirect).
func (c *Config) UsesOAuth() bool {
	return c.OAuth != nil || c.OAuthAccessToken != "" || c.OAuthDirect != ""
}
