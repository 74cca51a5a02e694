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
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
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
}

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

// Binaries locates dovecot and doveadm, or returns an error wrapping
// ErrNotInstalled that says what is missing.
func Binaries() (dovecotBin, doveadmBin string, err error) {
	dovecotBin, err = findBin("IMAPSHIFT_DOVECOT", "dovecot", "/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
	if err != nil {
		return "", "", err
	}
	doveadmBin, err = findBin("IMAPSHIFT_DOVEADM", "doveadm", "/usr/bin/doveadm", "/usr/local/bin/doveadm")
	if err != nil {
		return "", "", err
	}
	return dovecotBin, doveadmBin, nil
}

func findBin(env, name string, fallbacks ...string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if isExec(p) {
			return p, nil
		}
		return "", fmt.Errorf("%w: %s=%s is not an executable file", ErrNotInstalled, env, p)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, p := range fallbacks {
		if isExec(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s not found in PATH or %s (apt-get install dovecot-core dovecot-imapd)",
		ErrNotInstalled, name, strings.Join(fallbacks, ", "))
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// buildDirs returns libexec_dir and mail_plugin_dir of the installed
// Dovecot (its compiled-in defaults), cached per binary.
func buildDirs(dovecotBin string) (libexec, plugins string) {
	if v, ok := buildDirCache.Load(dovecotBin); ok {
		d := v.([2]string)
		return d[0], d[1]
	}
	out, err := exec.Command(dovecotBin, "-a", "-c", "/dev/null").Output()
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "libexec_dir":
				libexec = strings.TrimSpace(v)
			case "mail_plugin_dir":
				plugins = strings.TrimSpace(v)
			}
		}
	}
	if libexec == "" {
		libexec = "/usr/lib/dovecot"
	}
	if plugins == "" {
		plugins = filepath.Join(libexec, "modules")
	}
	buildDirCache.Store(dovecotBin, [2]string{libexec, plugins})
	return libexec, plugins
}

var buildDirCache sync.Map

// checkIMAPInstalled verifies that the imap and imap-login executables of
// dovecot-imapd are present.
func checkIMAPInstalled(dovecotBin string) error {
	libexec, _ := buildDirs(dovecotBin)
	for _, b := range []string{"imap", "imap-login"} {
		if !isExec(filepath.Join(libexec, b)) {
			return fmt.Errorf("%w: %s missing in %s (apt-get install dovecot-imapd)", ErrNotInstalled, b, libexec)
		}
	}
	return nil
}

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
	if err := s.writeFiles(ids); err != nil {
		return nil, err
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

// prepareDir creates the instance directory (or adopts opts.Dir) and makes
// it and its parents traversable for Dovecot's unprivileged processes.
func (s *Server) prepareDir(dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "imapshift-dovecot-")
		if err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
		s.removeDir = true
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	if strings.ContainsAny(abs, " \t\r\n%\"'#:;\\$<>{}=") {
		return fmt.Errorf("dovecot: directory %q contains characters unsafe in dovecot.conf", abs)
	}
	s.Dir = abs
	if err := os.Chmod(abs, 0o755); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	if os.Geteuid() == 0 {
		for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
			if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o001 == 0 {
				if err := os.Chmod(p, st.Mode().Perm()|0o001); err != nil {
					return fmt.Errorf("dovecot: %s must be traversable by others: %w", p, err)
				}
			}
			if p == filepath.Dir(p) {
				break
			}
		}
	}
	s.ConfFile = filepath.Join(abs, "dovecot.conf")
	s.LogFile = filepath.Join(abs, "dovecot.log")
	s.CAFile = filepath.Join(abs, "ssl", "ca.pem")
	// Unix socket paths are limited to ~108 bytes; keep base_dir short.
	s.BaseDir = filepath.Join(abs, "run")
	if len(s.BaseDir) > 60 {
		base := os.TempDir()
		if len(base) > 40 {
			base = "/tmp"
		}
		d, err := os.MkdirTemp(base, "dcrun")
		if err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
		s.BaseDir, s.removeBase = d, true
	}
	if err := os.MkdirAll(s.BaseDir, 0o755); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	return os.Chmod(s.BaseDir, 0o755)
}

func (s *Server) cleanupDirs() {
	if s.removeBase && s.BaseDir != "" {
		os.RemoveAll(s.BaseDir)
	}
	if s.removeDir && s.Dir != "" {
		os.RemoveAll(s.Dir)
	}
}

type ids struct {
	root                  bool
	loginUser, internUser string
	internGroup           string // only when not root
	mailUID, mailGID      int
}

func currentIDs() (ids, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return ids{}, fmt.Errorf("dovecot: current user: %w", err)
		}
		g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
		if err != nil {
			return ids{}, fmt.Errorf("dovecot: current group: %w", err)
		}
		return ids{loginUser: u.Username, internUser: u.Username, internGroup: g.Name,
			mailUID: os.Geteuid(), mailGID: os.Getegid()}, nil
	}
	id := ids{root: true, loginUser: "dovenull", internUser: "dovecot"}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		return ids{}, fmt.Errorf("dovecot: running as root needs the user nobody for mail: %w", err)
	}
	id.mailUID, _ = strconv.Atoi(nobody.Uid)
	id.mailGID, _ = strconv.Atoi(nobody.Gid)
	if _, err := user.Lookup(id.loginUser); err != nil {
		id.loginUser = "nobody"
	}
	if _, err := user.Lookup(id.internUser); err != nil {
		id.internUser = "nobody"
	}
	return id, nil
}

// writeFiles writes the TLS material, the passwd files and the mail homes.
func (s *Server) writeFiles(id ids) error {
	sslDir := filepath.Join(s.Dir, "ssl")
	if err := os.MkdirAll(sslDir, 0o755); err != nil {
		return err
	}
	if err := writeCertsOnce(sslDir); err != nil {
		return fmt.Errorf("dovecot: certificates: %w", err)
	}
	var users bytes.Buffer
	for _, u := range userNames {
		home := filepath.Join(s.Dir, "mail", u)
		extra := ""
		if u == QuotaUser {
			extra = fmt.Sprintf("userdb_quota_rule=*:storage=%dK", QuotaLimitKB)
		}
		fmt.Fprintf(&users, "%s:{PLAIN}%s:::%s:%s::%s\n", u, Users[u], "", home, extra)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "users"), users.Bytes(), 0o644); err != nil {
		return err
	}
	masters := fmt.Sprintf("%s:{PLAIN}%s\n", MasterUser, MasterPassword)
	if err := os.WriteFile(filepath.Join(s.Dir, "masters"), []byte(masters), 0o644); err != nil {
		return err
	}
	for _, d := range []string{"state", "mail"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, u := range userNames {
		home := filepath.Join(s.Dir, "mail", u)
		if err := s.mkdirOwned(filepath.Join(s.Dir, "mail"), home); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) config(opts Options, id ids) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	dir := s.Dir
	w("# Generated by github.com/imapshift/imapshift/core/testenv/dovecot; do not edit.")
	w("base_dir = %s", s.BaseDir)
	w("state_dir = %s/state", dir)
	w("instance_name = imapshift-%d", s.Port)
	w("protocols = imap")
	w("listen = 127.0.0.1")
	w("log_path = %s", s.LogFile)
	w("auth_verbose = yes")
	// A failed login is answered after at most 0.5 s instead of 2 s (see
	// also disablePenalty).
	w("auth_failure_delay = 0")
	w("ssl = yes")
	w("ssl_cert = <%s/ssl/cert.pem", dir)
	w("ssl_key = <%s/ssl/key.pem", dir)
	// The certificate is ECDSA, so no DHE cipher can be negotiated and
	// ssl_dh is not strictly needed; use Debian's file when it exists.
	if _, err := os.Stat("/usr/share/dovecot/dh.pem"); err == nil {
		w("ssl_dh = </usr/share/dovecot/dh.pem")
	}
	w("disable_plaintext_auth = no")
	w("auth_mechanisms = plain login")
	w("auth_master_user_separator = %s", MasterSeparator)
	w("default_login_user = %s", id.loginUser)
	w("default_internal_user = %s", id.internUser)
	if id.internGroup != "" {
		w("default_internal_group = %s", id.internGroup)
	}
	w("mail_uid = %d", id.mailUID)
	w("mail_gid = %d", id.mailGID)
	w("first_valid_uid = 1")
	w("last_valid_uid = 0")
	w("first_valid_gid = 1")
	w("last_valid_gid = 0")
	if opts.Layout == LayoutFS {
		w("mail_location = maildir:~/Maildir:LAYOUT=fs")
	} else {
		w("mail_location = maildir:~/Maildir")
	}
	if opts.FsyncNever {
		w("mail_fsync = never")
	}
	plugins := "quota acl"
	imapPlugins := "imap_quota imap_acl"
	if zlibAvailable(s.dovecotBin) {
		plugins += " zlib"
		imapPlugins += " imap_zlib"
	}
	w("mail_plugins = $mail_plugins %s", plugins)
	w("mail_max_userip_connections = 200")
	w("imap_max_line_length = 1M")
	w("protocol imap {")
	w("  mail_plugins = $mail_plugins %s", imapPlugins)
	w("  mail_max_userip_connections = 200")
	w("}")
	w("namespace inbox {")
	w("  type = private")
	w("  inbox = yes")
	w("  separator = %s", s.Sep)
	w("  prefix = %s", s.Prefix)
	for _, su := range []string{"Drafts", "Sent", "Trash", "Junk", "Archive"} {
		w("  mailbox %s {", su)
		w("    special_use = \\%s", su)
		w("    auto = no")
		w("  }")
	}
	w("}")
	w("plugin {")
	w("  quota = count:%s", QuotaRoot)
	w("  quota_vsizes = yes")
	w("  acl = vfile")
	w("  acl_user = %%u")
	w("}")
	w("passdb {")
	w("  driver = passwd-file")
	w("  args = %s/masters", dir)
	w("  master = yes")
	w("  pass = yes")
	w("}")
	w("passdb {")
	w("  driver = passwd-file")
	w("  args = %s/users", dir)
	w("}")
	w("userdb {")
	w("  driver = passwd-file")
	w("  args = %s/users", dir)
	w("}")
	chroot := ""
	if !id.root {
		chroot = "  chroot ="
	}
	w("service imap-login {")
	w("  inet_listener imap {")
	w("    address = 127.0.0.1")
	w("    port = %d", s.Port)
	w("  }")
	w("  inet_listener imaps {")
	w("    address = 127.0.0.1")
	w("    port = %d", s.TLSPort)
	w("    ssl = yes")
	w("  }")
	w(chroot)
	w("}")
	// Dovecot cannot switch STARTTLS off per listener: a second login
	// service runs imap-login with the override ssl=no.
	w("service imap-login-notls {")
	w("  executable = imap-login -o ssl=no")
	w("  protocol = imap")
	w("  type = login")
	w("  user = $default_login_user")
	if id.root {
		w("  chroot = login")
	}
	w("  service_count = 1")
	w("  inet_listener imap-notls {")
	w("    address = 127.0.0.1")
	w("    port = %d", s.NoTLSPort)
	w("  }")
	w("}")
	if !id.root {
		for _, svc := range []string{"anvil", "imap-urlauth-login"} {
			w("service %s {", svc)
			w(chroot)
			w("}")
		}
	}
	if opts.ExtraConfig != "" {
		w("%s", opts.ExtraConfig)
	}
	return b.String()
}

// zlibAvailable reports whether the zlib and imap_zlib plugins are installed.
func zlibAvailable(dovecotBin string) bool {
	_, dir := buildDirs(dovecotBin)
	a, _ := filepath.Glob(filepath.Join(dir, "lib*_zlib_plugin.so"))
	b, _ := filepath.Glob(filepath.Join(dir, "lib*_imap_zlib_plugin.so"))
	return len(a) > 0 && len(b) > 0
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("dovecot: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// launch runs the master in the foreground and waits for the greetings.
func (s *Server) launch() error {
	t0 := time.Now()
	// Truncate the log of a previous failed attempt.
	os.WriteFile(s.LogFile, nil, 0o644)
	// Leftovers of a master killed by Stop or Restart (see terminate): a
	// stale instances.lock dotlock makes the next master wait 10 s.
	os.Remove(filepath.Join(s.Dir, "state", "instances.lock"))
	os.Remove(filepath.Join(s.BaseDir, "master.pid"))
	cmd := exec.Command(s.dovecotBin, "-F", "-c", s.ConfFile)
	// A file, not a pipe: exec's copying goroutine would make Wait block
	// until every Dovecot process holding the pipe has exited.
	out, err := os.Create(s.outFile())
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	defer out.Close()
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Stdin = nil
	if err := startProcess(cmd); err != nil {
		return fmt.Errorf("dovecot: exec %s: %w", s.dovecotBin, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	s.disablePenalty(2 * time.Second)
	err = s.waitReady(10 * time.Second)
	if err != nil {
		s.kill()
		log := s.logText()
		if strings.Contains(log, "Address already in use") {
			return fmt.Errorf("%w: %v", errAddrInUse, err)
		}
		return fmt.Errorf("dovecot: start: %v\n--- dovecot output ---\n%s", err, log)
	}
	s.StartTime = time.Since(t0)
	return nil
}

func (s *Server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		terminate(s.cmd.Process, s.exited, 2*time.Second, 10*time.Second)
	}
}

// disablePenalty removes the anvil-auth-penalty socket before the auth
// process starts (it starts with the first login connection): auth then
// runs without penalty tracking. Otherwise, after one failed login, every
// later login from 127.0.0.1 waits 2 to 15 s (Dovecot 2.3 has no setting to
// turn the penalty off, and login_trusted_networks no longer exempts
// clients).
func (s *Server) disablePenalty(timeout time.Duration) {
	sock := filepath.Join(s.BaseDir, "anvil-auth-penalty")
	for end := time.Now().Add(timeout); time.Now().Before(end); {
		if err := os.Remove(sock); err == nil {
			return
		}
		select {
		case <-s.exited:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// logText returns the master's stderr and the tail of dovecot.log.
func (s *Server) logText() string {
	var b strings.Builder
	if data, err := os.ReadFile(s.outFile()); err == nil && len(data) > 0 {
		if len(data) > 4096 {
			data = data[len(data)-4096:]
		}
		b.Write(data)
		b.WriteString("--- dovecot.log ---\n")
	}
	if data, err := os.ReadFile(s.LogFile); err == nil {
		if len(data) > 8192 {
			data = data[len(data)-8192:]
		}
		b.Write(data)
	}
	return b.String()
}

func (s *Server) outFile() string { return filepath.Join(s.Dir, "master.out") }

// Log returns the master's output and the tail of dovecot.log (for test
// failure messages).
func (s *Server) Log() string { return s.logText() }

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(s.CAFile)
	if err != nil {
		return err
	}
	pool.AppendCertsFromPEM(ca)
	checks := []struct {
		port int
		tls  bool
	}{{s.Port, false}, {s.NoTLSPort, false}, {s.TLSPort, true}}
	for _, c := range checks {
		var lastErr error
		for {
			select {
			case <-s.exited:
				return fmt.Errorf("dovecot exited: %v", s.waitErr)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("port %d not ready after %v: %v", c.port, timeout, lastErr)
			}
			lastErr = greet(net.JoinHostPort(s.Host, strconv.Itoa(c.port)), c.tls, pool, deadline)
			if lastErr == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// greet connects and reads the "* OK" greeting.
func greet(addr string, useTLS bool, pool *x509.CertPool, deadline time.Time) error {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if useTLS {
		tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err := tc.Handshake(); err != nil {
			return err
		}
		conn = tc
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "* OK") {
		return fmt.Errorf("unexpected greeting %q", line)
	}
	return nil
}

// Restart stops all Dovecot processes of the instance and starts them again
// with the same directory, ports, certificate and mail (e.g. to test
// reconnection; connected clients get "* BYE Server shutting down.").
func (s *Server) Restart() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("dovecot: Restart of an instance that was never started")
	}
	select {
	case <-s.exited:
	default:
		if err := terminate(s.cmd.Process, s.exited, 2*time.Second, 10*time.Second); err != nil {
			return err
		}
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.launch(); !errors.Is(err, errAddrInUse) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// Stop terminates the instance (SIGTERM to all its processes, SIGKILL
// after 5 s; clients get "* BYE Server shutting down.") and removes the directory when Start created it. It is safe to call twice.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			s.stopErr = terminate(s.cmd.Process, s.exited, 2*time.Second, 10*time.Second)
			os.Remove(filepath.Join(s.BaseDir, "master.pid"))
		}
		s.cleanupDirs()
	})
	return s.stopErr
}

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
