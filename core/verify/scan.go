package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapshift/imapshift/core/identity"
)

// msg is what verify keeps of one message.
type msg struct {
	seq   uint32
	uid   imap.UID
	size  int64
	flags []imap.Flag
	date  time.Time
	key   string // identity key; empty when unidentified
	msgID string // Message-Id value, for the listing
	// hash is the SHA-256 of the message's bytes (with Bodies); on host1
	// with AddHeader for an unidentified message, of the added line and
	// the bytes, which is what its host2 copy holds.
	hash   [sha256.Size]byte
	hashed bool
	// added is true for a host1 message keyed by AddHeaderKey.
	added bool
}

// folderState says whether a folder could be opened.
type folderState int

const (
	folderOpen     folderState = iota
	folderMissing              // not listed, or listed \NonExistent
	folderNoSelect             // listed \Noselect: holds no messages
)

// scan reads one folder of one side: every message's UID, size, flags,
// internal date, identity key and Message-Id, and with Bodies the hash
// of its bytes. side is 1 or 2 (host1 messages may get AddHeader keys).
func scan(ctx context.Context, c *imapclient.Client, side int, name string, opts *Options) ([]msg, folderState, error) {
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		st, lerr := listState(c, name)
		if lerr != nil || st == folderOpen {
			return nil, folderOpen, fmt.Errorf("host%d: EXAMINE %q: %w", side, name, err)
		}
		return nil, st, nil
	}
	total := sel.NumMessages
	msgs := make([]msg, 0, min(total, 1<<16)) // the count is the server's word
	fields := headerFields(opts.Identity)
	items := []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: fields, Peek: true}}
	if opts.Bodies {
		items = append(items, &imap.FetchItemBodySection{Peek: true})
	}
	for first := uint32(1); first <= total; first += uint32(opts.BatchSize) {
		if err := ctx.Err(); err != nil {
			return nil, folderOpen, err
		}
		last := min(total, first+uint32(opts.BatchSize)-1)
		var set imap.SeqSet
		set.AddRange(first, last)
		cmd := c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true, BodySection: items})
		n := len(msgs)
		msgs, err = readBatch(c, cmd, msgs, opts)
		if err != nil {
			return nil, folderOpen, fmt.Errorf("host%d: FETCH %d:%d in %q: %w", side, first, last, name, err)
		}
		if got := len(msgs) - n; got != int(last-first+1) {
			return nil, folderOpen, fmt.Errorf("host%d: FETCH %d:%d in %q returned %d of %d messages", side, first, last, name, got, last-first+1)
		}
	}
	slices.SortFunc(msgs, func(a, b msg) int { return cmpUID(a.uid, b.uid) })
	for i := 1; i < len(msgs); i++ {
		if msgs[i].uid == msgs[i-1].uid {
			return nil, folderOpen, fmt.Errorf("host%d: UID %d appears twice in %q", side, msgs[i].uid, name)
		}
	}
	if side == 1 && opts.AddHeader {
		if err := addHeaders(c, msgs, name, opts); err != nil {
			return nil, folderOpen, err
		}
	}
	return msgs, folderOpen, nil
}

// readBatch reads the answers of one metadata FETCH into msgs. Header
// blocks are kept only while the key is computed; bodies stream through
// the hash. A literal that ends early means the connection broke: c is
// then closed and the command left undrained, because go-imap would read
// the broken literal again while its reader goroutine goes on.
func readBatch(c *imapclient.Client, cmd *imapclient.FetchCommand, msgs []msg, opts *Options) ([]msg, error) {
	var hdr bytes.Buffer
	for {
		data := cmd.Next()
		if data == nil {
			break
		}
		m := msg{seq: data.SeqNum}
		hdr.Reset()
		for {
			item := data.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				m.uid = it.UID
			case imapclient.FetchItemDataFlags:
				m.flags = it.Flags
			case imapclient.FetchItemDataInternalDate:
				m.date = it.Time
			case imapclient.FetchItemDataRFC822Size:
				m.size = it.Size
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					break
				}
				if it.Section != nil && it.Section.Specifier == imap.PartSpecifierHeader {
					if err := readLiteral(c, &hdr, it.Literal, int64(opts.MaxHeader)); err != nil {
						return msgs, err
					}
					break // the rest of an over-long header is discarded by Next
				}
				h := sha256.New()
				if err := readLiteral(c, h, it.Literal, -1); err != nil {
					return msgs, err
				}
				h.Sum(m.hash[:0])
				m.hashed = true
			}
		}
		if m.uid == 0 {
			continue // a FETCH the server sent on its own (flag change)
		}
		if opts.Bodies && !m.hashed {
			m.hash, m.hashed = sha256.Sum256(nil), true // BODY[] NIL: no bytes
		}
		m.key, _ = opts.Identity.Key(hdr.Bytes(), m.size)
		m.msgID = messageID(hdr.Bytes())
		msgs = append(msgs, m)
	}
	return msgs, cmd.Close()
}

// addHeaders gives the unidentified host1 messages the key and, with
// Bodies, the hash their host2 copies have under --addheader: the line
// identity.AddHeaderLine(uid) followed by the message. Their bodies are
// fetched again, one at a time and streamed, because the line depends on
// the UID, which a server may send after the body.
func addHeaders(c *imapclient.Client, msgs []msg, name string, opts *Options) error {
	for i := range msgs {
		m := &msgs[i]
		if m.key != "" {
			continue
		}
		m.key, m.added = opts.Identity.AddHeaderKey(uint32(m.uid), m.size), true
		if !opts.Bodies {
			continue
		}
		cmd := c.Fetch(imap.SeqSetNum(m.seq), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		h := sha256.New()
		h.Write(identity.AddHeaderLine(uint32(m.uid)))
		got := false
		for data := cmd.Next(); data != nil; data = cmd.Next() {
			for item := data.Next(); item != nil; item = data.Next() {
				if it, ok := item.(imapclient.FetchItemDataBodySection); ok && it.Literal != nil && !got {
					if err := readLiteral(c, h, it.Literal, -1); err != nil {
						return fmt.Errorf("host1: FETCH %d in %q: %w", m.seq, name, err)
					}
					got = true
				}
			}
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("host1: FETCH %d in %q: %w", m.seq, name, err)
		}
		h.Sum(m.hash[:0])
	}
	return nil
}

// errTruncated is the error of a literal that ended before its size.
var errTruncated = errors.New("connection lost in the middle of a message")

// readLiteral copies lit into w, at most limit bytes when limit >= 0.
// When the literal breaks off (an error, or EOF before its announced
// size), it closes c and returns the error.
func readLiteral(c *imapclient.Client, w io.Writer, lit imap.LiteralReader, limit int64) error {
	want := lit.Size()
	var r io.Reader = lit
	if limit >= 0 && limit < want {
		r, want = io.LimitReader(lit, limit), limit
	}
	n, err := io.Copy(w, r)
	if err == nil && n < want {
		err = errTruncated
	}
	if err != nil {
		c.Close()
	}
	return err
}

// listState tells, after a failed EXAMINE, whether the folder exists.
func listState(c *imapclient.Client, name string) (folderState, error) {
	boxes, err := c.List("", name, nil).Collect()
	if err != nil {
		return folderOpen, err
	}
	for _, b := range boxes {
		if b.Mailbox != name && !(strings.EqualFold(name, "INBOX") && strings.EqualFold(b.Mailbox, "INBOX")) {
			continue
		}
		for _, a := range b.Attrs {
			switch {
			case strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)):
				return folderMissing, nil
			case strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)):
				return folderNoSelect, nil
			}
		}
		return folderOpen, nil
	}
	return folderMissing, nil
}

// headerFields returns the fields to fetch: the identity's, plus
// Message-Id for the listing. Nil means the whole header.
func headerFields(id identity.Options) []string {
	fields := id.HeaderFields()
	if fields == nil {
		return nil
	}
	for _, f := range fields {
		if strings.EqualFold(f, "Message-Id") {
			return fields
		}
	}
	return append(fields, "Message-Id")
}

// maxMessageID caps the Message-Id kept for the listing.
const maxMessageID = 200

// messageID returns the unfolded, trimmed value of the first Message-Id
// field of a header block (empty when there is none), cut to
// maxMessageID bytes.
func messageID(hdr []byte) string {
	var val []byte
	in := false
	for rest := hdr; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if in {
			if line[0] == ' ' || line[0] == '\t' {
				val = append(append(val, ' '), bytes.TrimSpace(line)...)
				continue
			}
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimRight(name, " \t")), "Message-Id") {
			val = append(val, bytes.TrimSpace(value)...)
			in = true
		}
	}
	s := strings.TrimSpace(string(val))
	if len(s) > maxMessageID {
		s = s[:maxMessageID] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

func cmpUID(a, b imap.UID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
