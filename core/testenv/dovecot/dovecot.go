// Package dovecot runs a private Dovecot 2.3 instance for tests and
// benchmarks: random loopback ports, all configuration, state, TLS material
// and mail under one directory, and helpers to seed Maildir folders quickly.
//
// One instance listens on three ports of 127.0.0.1:
//
//   - Port: plain IMAP, STARTTLS offered, plaintext LOGIN allowed;
//   - TLSPort: implicit TLS (imaps);
//   - NoTLSPort: plain IMAP on which STARTTLS is not offered. Dovecot has no
//     per-listener ssl switch, so this port belongs to a second login service
//     ("imap-login-notls") that runs the same imap-login binary with the
//     command-line override "-o ssl=no". It shares the master, auth and mail
//     processes of the instance, hence the same users and mailboxes.
//
// Users (passwd-file, see Users): user1..user4 / secret1..secret4, quotauser /
// quotasecret with a 1 MB quota, and the master user "master" / "mastersecret"
// usable as LOGIN "user1*master" or as SASL PLAIN with authzid "user1",
// authcid "master". ACLs are checked against the target user (acl_user=%u).
//
// Running as root, mail belongs to nobody (Dovecot refuses uid 0 for mail),
// login processes run as dovenull and internal ones as dovecot (both fall back
// to nobody when missing). Running as an ordinary user, every process runs as
// that user and nothing is chrooted.
//
// Dovecot 2.3 quirks handled here: the anvil auth penalty (after one failed
// login every later login from 127.0.0.1 waits 2-15 s) is disabled by
// removing its socket before the auth process starts, and auth_failure_delay
// is 0 (a failed login still takes up to 0.5 s); Stop signals the whole
// process group, because the master alone needs 1-10 s to shut down.
//
// The harness needs only the dovecot and doveadm binaries (Debian packages
// dovecot-core and dovecot-imapd); the environment variables IMAPSHIFT_DOVECOT
// and IMAPSHIFT_DOVEADM override their paths.
package dovecot

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Layout selects the mailbox naming of the personal namespace.
type Layout int

const (
	// LayoutFS: separator '/', no namespace prefix, nested Maildir
	// directories (mail_location maildir:~/Maildir:LAYOUT=fs).
	LayoutFS Layout = iota
	// LayoutMaildirPP: separator '.', namespace prefix "INBOX." (like
	// Courier or Cyrus), Maildir++ ".A.B" directories.
	LayoutMaildirPP
)

func (l Layout) String() string {
	switch l {
	case LayoutFS:
		return "fs"
	case LayoutMaildirPP:
		return "maildir++"
	}
	return "Layout(" + strconv.Itoa(int(l)) + ")"
}

// Options configure Start.
type Options struct {
	Layout     Layout
	FsyncNever bool // mail_fsync=never (benchmarks)
	// Dir holds everything of the instance. Empty: a new temporary
	// directory, removed by Stop. A given Dir is kept by Stop. When running
	// as root, Start adds o+x to Dir's parents that lack it, because
	// Dovecot's unprivileged processes must traverse them.
	Dir string
	// ExtraConfig is appended verbatim to dovecot.conf (e.g. to add
	// settings or override earlier ones).
	ExtraConfig string
	// OAuth2IntrospectionURL, when set, adds AUTH=XOAUTH2 and
	// AUTH=OAUTHBEARER through Dovecot's oauth2 passdb, which validates
	// each bearer token by POSTing it to this RFC 7662 introspection URL
	// (e.g. testenv/oauthfake's /introspect) and takes the login name
	// from its "username" when "active" is true.
	OAuth2IntrospectionURL string
	// ManyUsers adds that many users besides Users: ManyUser(0),
	// ManyUser(1), ..., each with the password ManyPassword(i) (a batch
	// of accounts).
	ManyUsers int
}

// ManyUser is the name of the i-th user Options.ManyUsers adds ("m000").
func ManyUser(i int) string { return fmt.Sprintf("m%03d", i) }

// manyUser tells whether user is one of Options.ManyUsers.
func (s *Server) manyUser(user string) bool {
	for i := 0; i < s.many; i++ {
		if ManyUser(i) == user {
			return true
		}
	}
	return false
}

// ManyPassword is the password of ManyUser(i).
func ManyPassword(i int) string { return fmt.Sprintf("pw-m%03d", i) }

// Server is a running Dovecot instance.
type Server struct {
	Dir       string
	Host      string // "127.0.0.1"
	Port      int    // plain IMAP, STARTTLS offered, LOGIN allowed
	TLSPort   int    // implicit TLS (imaps)
	NoTLSPort int    // plain IMAP without STARTTLS (second login service)
	CAFile    string // PEM of the CA that signed the server certificate
	Sep       string // "/" or "."
	Prefix    string // "" or "INBOX."
	Layout    Layout

	ConfFile  string        // dovecot.conf
	LogFile   string        // dovecot.log
	BaseDir   string        // Dovecot's base_dir (sockets, master.pid)
	StartTime time.Duration // from exec to all ports answering

	dovecotBin, doveadmBin string
	many                   int // Options.ManyUsers
	mailUID, mailGID       int // -1 when files need no chown
	removeDir              bool
	removeBase             bool
	cmd                    *exec.Cmd
	exited                 chan struct{}
	waitErr                error
	stopOnce               sync.Once
	stopErr                error
	seedMu                 sync.Mutex
}

// ErrNotInstalled is returned (wrapped, with the reason) by Start when the
// Dovecot binaries are missing.
var ErrNotInstalled = errors.New("dovecot not installed")

// Users maps the login names of the instance's users to their passwords.
var Users = map[string]string{
	"user1":     "secret1",
	"user2":     "secret2",
	"user3":     "secret3",
	"user4":     "secret4",
	"quotauser": "quotasecret",
}

// The master user and the quota-limited user.
const (
	MasterUser      = "master"
	MasterPassword  = "mastersecret"
	MasterSeparator = "*"         // LOGIN "user1*master"
	QuotaUser       = "quotauser" // 1 MB storage quota
	QuotaPassword   = "quotasecret"
	QuotaRoot       = "User quota"
	QuotaLimitKB    = 1024
)

// MasterLogin is the LOGIN name with which the master user logs in as user
// ("user1*master"; password MasterPassword). For SASL PLAIN use authzid
// user, authcid MasterUser.
func MasterLogin(user string) string { return user + MasterSeparator + MasterUser }

// userNames lists Users in a stable order.
var userNames = []string{"user1", "user2", "user3", "user4", "quotauser"}

// Start starts a new instance and waits until all its ports greet.
func Start(opts Options) (*Server, error) {
	dovecotBin, doveadmBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	if err := checkIMAPInstalled(dovecotBin); err != nil {
		return nil, err
	}
	if opts.Layout != LayoutFS && opts.Layout != LayoutMaildirPP {
		return nil, fmt.Errorf("dovecot: unknown layout %d", opts.Layout)
	}
	s := &Server{
		Host:       "127.0.0.1",
		Layout:     opts.Layout,
		dovecotBin: dovecotBin,
		doveadmBin: doveadmBin,
		mailUID:    -1,
		mailGID:    -1,
		many:       opts.ManyUsers,
	}
	if opts.Layout == LayoutFS {
		s.Sep, s.Prefix = "/", ""
	} else {
		s.Sep, s.Prefix = ".", "INBOX."
	}
	ok := false
	defer func() {
		if !ok {
			s.cleanupDirs()
		}
	}()
	if err := s.prepareDir(opts.Dir); err != nil {
		return nil, err
	}
	ids, err := currentIDs()
	if err != nil {
		return nil, err
	}
	if ids.root {
		s.mailUID, s.mailGID = ids.mailUID, ids.mailGID
	}
	if err := s.writeFiles(ids, opts.ManyUsers); err != nil {
		return nil, err
	}
	if opts.OAuth2IntrospectionURL != "" {
		if err := s.writeOAuth2(opts.OAuth2IntrospectionURL); err != nil {
			return nil, err
		}
	}

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		ports, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		s.Port, s.TLSPort, s.NoTLSPort = ports[0], ports[1], ports[2]
		if err := os.WriteFile(s.ConfFile, []byte(s.config(opts, ids)), 0o644); err != nil {
			return nil, err
		}
		lastErr = s.launch()
		if lastErr == nil {
			ok = true
			return s, nil
		}
		if !errors.Is(lastErr, errAddrInUse) {
			break
		}
	}
	return nil, lastErr
}

var errAddrInUse = errors.New("address already in use")

// Addr is host:port of the plain (STARTTLS-capable) listener.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// TLSAddr is host:port of the implicit TLS listener.
func (s *Server) TLSAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.TLSPort)) }

// NoTLSAddr is host:port of the plain listener without STARTTLS.
func (s *Server) NoTLSAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.NoTLSPort)) }

// TLSConfig returns a client configuration that trusts the instance's CA.
// ServerName is left empty so it follows the dialled host (the certificate
// covers "localhost" and 127.0.0.1).
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	if ca, err := os.ReadFile(s.CAFile); err == nil {
		pool.AppendCertsFromPEM(ca)
	}
	return &tls.Config{RootCAs: pool}
}

// MailboxName converts a UTF-8 folder name with '/' as separator to the
// server's UTF-8 mailbox name (its separator and namespace prefix).
func (s *Server) MailboxName(folder string) string {
	name, _, _ := s.folderNames(folder)
	return name
}

// Doveadm runs "doveadm -c <conf> args..." and returns its standard output;
// on failure the error includes its standard error.
func (s *Server) Doveadm(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.doveadmBin, append([]string{"-c", s.ConfFile}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("doveadm %s: %v: %s", strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// MaildirRoot is the Maildir of user (INBOX lives at its top level).
func (s *Server) MaildirRoot(user string) string {
	return filepath.Join(s.Dir, "mail", user, "Maildir")
}
