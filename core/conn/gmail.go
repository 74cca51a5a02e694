package conn

// Gmail's IMAP extensions (X-GM-EXT-1) on a raw session of their own:
// go-imap's client can neither send X-GM-LABELS nor parse it in a FETCH
// answer (it closes the connection), so these commands go through the
// raw protocol layer the Appender and LSUB use.

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/mailbox"
)

// GmailExt is the capability that announces Gmail's extensions.
const GmailExt = "X-GM-EXT-1"

// HasGmailExt reports whether caps contains X-GM-EXT-1.
func HasGmailExt(caps []string) bool {
	for _, c := range caps {
		if strings.EqualFold(c, GmailExt) {
			return true
		}
	}
	return false
}

// Gmail is a logged-in raw session for the X-GM-EXT-1 commands. It is not
// safe for concurrent use.
type Gmail struct {
	s        *session
	timeout  time.Duration
	selected string
	done     chan struct{}
	once     sync.Once
}

// DialGmail connects and logs in like Dial. A server without X-GM-EXT-1
// is refused with an error carrying exit code 64 (usage: labels were
// asked of a server that has none).
func DialGmail(ctx context.Context, cfg *Config) (*Gmail, error) {
	s, err := openAndLogin(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.authenticatedCaps(); err != nil {
		s.close()
		return nil, s.authError(err)
	}
	if !s.raw.hasCap(GmailExt) {
		s.close()
		return nil, exitcode.New(exitcode.Usage, "%s [%s] does not announce %s: it has no Gmail labels (--synclabels, --resynclabels, X-GM-RAW need a Gmail server)", cfg.Name(), cfg.Host, GmailExt)
	}
	s.stop()
	t := cfg.Timeout
	if t <= 0 {
		t = 10 * time.Minute
	}
	return &Gmail{s: s, timeout: t, done: make(chan struct{})}, nil
}

// Close logs out and closes the connection. It is safe to call more than
// once, and on nil.
func (g *Gmail) Close() {
	if g == nil {
		return
	}
	g.once.Do(func() {
		g.s.sock.SetDeadline(time.Now().Add(5 * time.Second))
		g.s.raw.command("LOGOUT")
		g.s.sock.Close()
		close(g.done)
	})
}

// Closed is closed once Close has closed the connection.
func (g *Gmail) Closed() <-chan struct{} { return g.done }

func (g *Gmail) command(cmd string) ([]string, error) {
	g.s.sock.SetDeadline(time.Now().Add(g.timeout))
	untagged, _, err := g.s.raw.command(cmd)
	return untagged, err
}

// Select selects a folder (UTF-8 name), unless it is selected already.
func (g *Gmail) Select(name string) error {
	if g.selected == name {
		return nil
	}
	q, err := quoteMailbox(name)
	if err != nil {
		return err
	}
	if _, err := g.command("SELECT " + q); err != nil {
		g.selected = ""
		return fmt.Errorf("SELECT %s: %w", mailbox.Display(name), err)
	}
	g.selected = name
	return nil
}

// Labeled is one message's Gmail metadata.
type Labeled struct {
	UID   uint32
	MsgID uint64
	Size  int64
	// Labels are decoded: system labels spelt canonically (`\Inbox`,
	// `\Sent`...), names from modified UTF-7 to UTF-8.
	Labels []string
	// Header holds the header fields asked for (nil when none were).
	Header []byte
}

// FetchLabels returns X-GM-LABELS, X-GM-MSGID and RFC822.SIZE of every
// message of the selected folder with one UID FETCH, with the header
// fields named in fields (nil: none; an empty non-nil slice: the whole
// header).
func (g *Gmail) FetchLabels(fields []string) ([]Labeled, error) {
	items := "UID X-GM-MSGID X-GM-LABELS RFC822.SIZE"
	switch {
	case fields == nil:
	case len(fields) == 0:
		items += " BODY.PEEK[HEADER]"
	default:
		items += " BODY.PEEK[HEADER.FIELDS (" + strings.Join(fields, " ") + ")]"
	}
	untagged, err := g.command("UID FETCH 1:* (" + items + ")")
	if err != nil {
		return nil, fmt.Errorf("UID FETCH X-GM-LABELS: %w", err)
	}
	var out []Labeled
	for _, u := range untagged {
		m, ok := parseGmailFetch(u)
		if ok && m.UID != 0 {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out, nil
}

// StoreLabels adds (op "+"), removes ("-") or sets ("") labels on the
// messages uids of the selected folder, with as few UID STORE commands as
// the line length allows. It returns the number of commands sent.
func (g *Gmail) StoreLabels(op string, uids []uint32, labels []string) (int, error) {
	list := make([]string, 0, len(labels))
	for _, l := range labels {
		enc, err := EncodeLabel(l)
		if err != nil {
			return 0, err
		}
		list = append(list, enc)
	}
	item := op + "X-GM-LABELS.SILENT (" + strings.Join(list, " ") + ")"
	n := 0
	for _, set := range uidSets(uids, 4000) {
		if _, err := g.command("UID STORE " + set + " " + item); err != nil {
			return n, fmt.Errorf("UID STORE %sX-GM-LABELS: %w", op, err)
		}
		n++
	}
	return n, nil
}

// Search returns the UIDs of the selected folder that match a Gmail
// query (SEARCH X-GM-RAW), in ascending order.
func (g *Gmail) Search(query string) ([]uint32, error) {
	q, ok := quote(query)
	if !ok {
		return nil, fmt.Errorf("X-GM-RAW query %q cannot be sent", query)
	}
	untagged, err := g.command("UID SEARCH X-GM-RAW " + q)
	if err != nil {
		return nil, fmt.Errorf("UID SEARCH X-GM-RAW: %w", err)
	}
	var out []uint32
	for _, u := range untagged {
		f := strings.Fields(u)
		if len(f) == 0 || !strings.EqualFold(f[0], "SEARCH") {
			continue
		}
		for _, v := range f[1:] {
			if n, err := strconv.ParseUint(v, 10, 32); err == nil {
				out = append(out, uint32(n))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// uidSets renders uids as compact UID sets, each at most max characters.
func uidSets(uids []uint32, max int) []string {
	s := append([]uint32(nil), uids...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] <= s[j]+1 {
			j++
		}
		r := strconv.FormatUint(uint64(s[i]), 10)
		if s[j] != s[i] {
			r += ":" + strconv.FormatUint(uint64(s[j]), 10)
		}
		if b.Len() > 0 && b.Len()+1+len(r) > max {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r)
		i = j + 1
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

var systemLabels = []string{`\Inbox`, `\Sent`, `\Starred`, `\Important`, `\Draft`, `\Drafts`, `\Trash`, `\Spam`, `\Junk`, `\All`, `\AllMail`, `\Chats`}

// DecodeLabel turns a label as received (unquoted) into its decoded form:
// a system label in its canonical spelling, a name from modified UTF-7.
func DecodeLabel(l string) string {
	if strings.HasPrefix(l, `\`) {
		for _, s := range systemLabels {
			if strings.EqualFold(l, s) {
				return s
			}
		}
		return l
	}
	if d, err := mailbox.DecodeUTF7(l); err == nil {
		return d
	}
	return l
}

// EncodeLabel renders a decoded label as a quoted astring.
func EncodeLabel(l string) (string, error) {
	if !strings.HasPrefix(l, `\`) {
		l = mailbox.EncodeUTF7(l)
	}
	q, ok := quote(l)
	if !ok {
		return "", fmt.Errorf("label %q cannot be sent", l)
	}
	return q, nil
}

// parseGmailFetch reads an untagged "n FETCH (...)" with the items
// FetchLabels asks for. Literals arrive Go-quoted (see raw.line).
func parseGmailFetch(u string) (Labeled, bool) {
	var m Labeled
	_, rest, ok := strings.Cut(u, " ")
	if !ok || len(rest) < 6 || !strings.EqualFold(rest[:5], "FETCH") {
		return m, false
	}
	rest = strings.TrimSpace(rest[5:])
	if !strings.HasPrefix(rest, "(") {
		return m, false
	}
	rest = rest[1:]
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" || rest[0] == ')' {
			return m, true
		}
		var name string
		if i := strings.IndexAny(rest, " ["); i < 0 {
			return m, false
		} else if rest[i] == '[' {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return m, false
			}
			name, rest = rest[:end+1], rest[end+1:]
		} else {
			name, rest = rest[:i], rest[i:]
		}
		rest = strings.TrimLeft(rest, " ")
		switch up := strings.ToUpper(name); {
		case up == "X-GM-LABELS":
			labels, r, ok := parseAstringList(rest)
			if !ok {
				return m, false
			}
			m.Labels, rest = labels, r
		case strings.HasPrefix(up, "BODY["):
			v, r, ok := nextString(rest)
			if !ok {
				return m, false
			}
			m.Header, rest = []byte(v), r
		default:
			v, r, ok := nextValue(rest)
			if !ok {
				return m, false
			}
			rest = r
			n, _ := strconv.ParseUint(v, 10, 64)
			switch up {
			case "UID":
				m.UID = uint32(n)
			case "X-GM-MSGID":
				m.MsgID = n
			case "RFC822.SIZE":
				m.Size = int64(n)
			}
		}
	}
}

// nextValue reads an atom, a number, a quoted string or a parenthesised
// list (returned raw) from the start of s.
func nextValue(s string) (string, string, bool) {
	if strings.HasPrefix(s, "(") {
		depth := 0
		inQuote := false
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case inQuote && c == '\\':
				i++
			case c == '"':
				inQuote = !inQuote
			case !inQuote && c == '(':
				depth++
			case !inQuote && c == ')':
				depth--
				if depth == 0 {
					return s[:i+1], s[i+1:], true
				}
			}
		}
		return "", "", false
	}
	if strings.HasPrefix(s, `"`) {
		return nextString(s)
	}
	end := strings.IndexAny(s, " )")
	if end < 0 {
		end = len(s)
	}
	return s[:end], s[end:], end > 0
}

// parseAstringList reads "(a "b" ...)" (or NIL) and decodes each label.
func parseAstringList(s string) ([]string, string, bool) {
	if len(s) >= 3 && strings.EqualFold(s[:3], "NIL") {
		return nil, s[3:], true
	}
	if !strings.HasPrefix(s, "(") {
		return nil, "", false
	}
	s = s[1:]
	labels := []string{}
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return nil, "", false
		}
		if s[0] == ')' {
			return labels, s[1:], true
		}
		var v string
		if s[0] == '"' {
			var ok bool
			if v, s, ok = nextString(s); !ok {
				return nil, "", false
			}
		} else {
			end := strings.IndexAny(s, " )")
			if end <= 0 {
				return nil, "", false
			}
			v, s = s[:end], s[end:]
		}
		labels = append(labels, DecodeLabel(v))
	}
}
