package dovecot

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

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

// zlibAvailable reports whether the zlib and imap_zlib plugins are installed.
func zlibAvailable(dovecotBin string) bool {
	_, dir := buildDirs(dovecotBin)
	a, _ := filepath.Glob(filepath.Join(dir, "lib*_zlib_plugin.so"))
	b, _ := filepath.Glob(filepath.Join(dir, "lib*_imap_zlib_plugin.so"))
	return len(a) > 0 && len(b) > 0
}
