package dovecot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/imapshift/imapshift/core/mailbox"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Message is one message to seed.
type Message struct {
	Raw   []byte    // exact bytes; LF or CRLF line ends (Dovecot serves CRLF)
	Flags []string  // \Seen \Answered \Flagged \Draft \Deleted and keywords such as $Label1
	Date  time.Time // internal date (the file's mtime, whole seconds); zero: now
}

// Folder is one folder to seed with SeedMany.
type Folder struct {
	Name string // UTF-8, '/' as separator, as for Seed
	Msgs []Message
}

// Seed writes msgs as Maildir files straight into folder of user (creating
// the folder), then makes Dovecot index the folder and subscribes it. The
// folder is a UTF-8 name with '/' as separator whatever the layout,
// relative to the personal namespace ("INBOX" is the inbox; with
// LayoutMaildirPP "Archive/2019" becomes "INBOX.Archive.2019", and a
// leading "INBOX/" is accepted as the same name). Names are stored in
// modified UTF-7 like Dovecot does. The instance must be running.
func (s *Server) Seed(user, folder string, msgs []Message) error {
	return s.SeedMany(user, []Folder{{Name: folder, Msgs: msgs}})
}

// SeedMany seeds several folders of user with a single indexing and a
// single subscribing doveadm run (about 10 ms each).
func (s *Server) SeedMany(user string, folders []Folder) error {
	if _, ok := Users[user]; !ok && !s.manyUser(user) {
		return fmt.Errorf("dovecot: seed: unknown user %q", user)
	}
	s.seedMu.Lock()
	defer s.seedMu.Unlock()
	root := s.MaildirRoot(user)
	home := filepath.Dir(root)
	if err := s.mkdirMaildir(home, root); err != nil {
		return fmt.Errorf("dovecot: seed: %w", err)
	}
	var vnames []string
	seen := map[string]bool{}
	for _, f := range folders {
		vname, rel, err := s.folderNames(f.Name)
		if err != nil {
			return err
		}
		dir := filepath.Join(root, rel)
		if rel != "" {
			if err := s.mkdirMaildir(root, dir); err != nil {
				return fmt.Errorf("dovecot: seed %q: %w", f.Name, err)
			}
			if s.Layout == LayoutMaildirPP {
				if err := s.writeOwned(filepath.Join(dir, "maildirfolder"), nil, false); err != nil {
					return err
				}
			}
		}
		if err := s.writeMessages(dir, f.Msgs); err != nil {
			return fmt.Errorf("dovecot: seed %q: %w", f.Name, err)
		}
		if !seen[vname] {
			seen[vname] = true
			vnames = append(vnames, vname)
		}
	}
	if len(vnames) == 0 {
		return nil
	}
	if _, err := s.Doveadm(append([]string{"mailbox", "status", "-u", user, "messages"}, vnames...)...); err != nil {
		return fmt.Errorf("dovecot: seed: index: %w", err)
	}
	if _, err := s.Doveadm(append([]string{"mailbox", "subscribe", "-u", user}, vnames...)...); err != nil {
		return fmt.Errorf("dovecot: seed: subscribe: %w", err)
	}
	return nil
}

// folderNames maps a '/'-separated UTF-8 folder name to the server's
// mailbox name and to the mailbox directory relative to the Maildir root
// ("" for INBOX).
func (s *Server) folderNames(folder string) (vname, rel string, err error) {
	name := strings.Trim(folder, "/")
	if name == "" || strings.EqualFold(name, "INBOX") {
		return "INBOX", "", nil
	}
	parts := strings.Split(name, "/")
	if s.Layout == LayoutMaildirPP && strings.EqualFold(parts[0], "INBOX") {
		parts = parts[1:]
	}
	for _, p := range parts {
		switch {
		case p == "" || p == "." || p == "..":
			return "", "", fmt.Errorf("dovecot: invalid folder name %q", folder)
		case s.Layout == LayoutMaildirPP && strings.Contains(p, "."):
			return "", "", fmt.Errorf("dovecot: folder %q: '.' is the separator of the Maildir++ layout", folder)
		case strings.ContainsRune(p, 0):
			return "", "", fmt.Errorf("dovecot: invalid folder name %q", folder)
		}
	}
	if s.Layout == LayoutMaildirPP {
		joined := strings.Join(parts, ".")
		return s.Prefix + joined, "." + mailbox.EncodeUTF7(joined), nil
	}
	switch parts[0] {
	case "cur", "new", "tmp":
		return "", "", fmt.Errorf("dovecot: folder %q clashes with INBOX's Maildir directories", folder)
	}
	joined := strings.Join(parts, "/")
	return joined, filepath.FromSlash(mailbox.EncodeUTF7(joined)), nil
}

var fileSeq atomic.Int64

// writeMessages stores msgs in dir/cur via dir/tmp.
func (s *Server) writeMessages(dir string, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	kw, err := readKeywords(dir)
	if err != nil {
		return err
	}
	nKw := len(kw)
	letters := make([]string, len(msgs))
	for i, m := range msgs {
		var fl []byte
		for _, f := range m.Flags {
			switch strings.ToLower(f) {
			case `\seen`:
				fl = append(fl, 'S')
			case `\answered`:
				fl = append(fl, 'R')
			case `\flagged`:
				fl = append(fl, 'F')
			case `\draft`:
				fl = append(fl, 'D')
			case `\deleted`:
				fl = append(fl, 'T')
			case `\recent`:
			default:
				if f == "" || strings.HasPrefix(f, `\`) || strings.ContainsAny(f, " ()[]{}%*\"\\\r\n") {
					return fmt.Errorf("unsupported flag %q", f)
				}
				idx := kw.index(f)
				if idx < 0 {
					if len(kw) >= 26 {
						return errors.New("more than 26 keywords in one Maildir folder")
					}
					kw = append(kw, f)
					idx = len(kw) - 1
				}
				fl = append(fl, byte('a'+idx))
			}
		}
		sort.Slice(fl, func(a, b int) bool { return fl[a] < fl[b] })
		fl = dedupe(fl)
		letters[i] = string(fl)
	}
	if len(kw) != nKw {
		var b bytes.Buffer
		for i, k := range kw {
			fmt.Fprintf(&b, "%d %s\n", i, k)
		}
		if err := s.writeOwned(filepath.Join(dir, "dovecot-keywords"), b.Bytes(), true); err != nil {
			return err
		}
	}
	pid := os.Getpid()
	for i, m := range msgs {
		date := m.Date
		if date.IsZero() {
			date = time.Now()
		}
		vsize := len(m.Raw)
		for j, c := range m.Raw {
			if c == '\n' && (j == 0 || m.Raw[j-1] != '\r') {
				vsize++
			}
		}
		now := time.Now()
		base := fmt.Sprintf("%d.M%dP%dQ%d.imapshift,S=%d,W=%d", now.Unix(), now.Nanosecond()/1000, pid,
			fileSeq.Add(1), len(m.Raw), vsize)
		tmp := filepath.Join(dir, "tmp", base)
		if err := s.writeOwned(tmp, m.Raw, false); err != nil {
			return err
		}
		if err := os.Chtimes(tmp, date, date); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, "cur", base+":2,"+letters[i])); err != nil {
			return err
		}
	}
	return nil
}

func dedupe(b []byte) []byte {
	out := b[:0]
	for i, c := range b {
		if i == 0 || c != b[i-1] {
			out = append(out, c)
		}
	}
	return out
}

type keywords []string

func (k keywords) index(name string) int {
	for i, n := range k {
		if n == name {
			return i
		}
	}
	return -1
}

// readKeywords parses dir/dovecot-keywords ("<index> <name>" lines).
func readKeywords(dir string) (keywords, error) {
	data, err := os.ReadFile(filepath.Join(dir, "dovecot-keywords"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kw keywords
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		idxS, name, ok := strings.Cut(sc.Text(), " ")
		idx, err := strconv.Atoi(idxS)
		if !ok || err != nil || idx < 0 || idx >= 26 || name == "" {
			continue
		}
		for len(kw) <= idx {
			kw = append(kw, "")
		}
		kw[idx] = name
	}
	// Fill holes with names that cannot clash so indexes stay put.
	for i := range kw {
		if kw[i] == "" {
			kw[i] = fmt.Sprintf("imapshift-unused-%d", i)
		}
	}
	return kw, nil
}

// mkdirMaildir creates dir (and missing parents below base) plus its cur,
// new and tmp subdirectories, owned by the mail user.
func (s *Server) mkdirMaildir(base, dir string) error {
	if err := s.mkdirOwned(base, dir); err != nil {
		return err
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := s.mkdirOwned(dir, filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirOwned creates path and its missing parents below base, chowning
// what it creates to the mail user when running as root.
func (s *Server) mkdirOwned(base, path string) error {
	rel, err := filepath.Rel(base, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("%s is not below %s", path, base)
	}
	cur := base
	for _, p := range strings.Split(rel, string(filepath.Separator)) {
		if p == "." {
			continue
		}
		cur = filepath.Join(cur, p)
		err := os.Mkdir(cur, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if s.mailUID >= 0 {
			if err := os.Lchown(cur, s.mailUID, s.mailGID); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeOwned writes a file owned by the mail user (atomically through a
// temporary name when atomic is set).
func (s *Server) writeOwned(path string, data []byte, atomic bool) error {
	target := path
	if atomic {
		path = fmt.Sprintf("%s.imapshift-%d", path, fileSeq.Add(1))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	if s.mailUID >= 0 {
		if err := os.Lchown(path, s.mailUID, s.mailGID); err != nil {
			return err
		}
	}
	if atomic {
		return os.Rename(path, target)
	}
	return nil
}
