package imapmem

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/imapshift/imapshift/core/demomail"
)

// User is an account on a Server. Its methods are safe for concurrent use,
// also while clients are connected.
type User struct {
	srv  *Server
	name string
	mem  *imapmemserver.User

	mu       sync.Mutex
	password string
	boxes    map[string][]imap.MailboxAttr // existing mailboxes → special-use
	subs     map[string]struct{}           // subscriptions (may not exist)
	noselect map[string]bool               // mailboxes LIST marks \Noselect
	active   int                           // authenticated sessions

	gmail *gmailState // nil unless Options.Gmail
}

func newUser(s *Server, name, password string) *User {
	u := &User{
		srv:      s,
		name:     name,
		mem:      imapmemserver.NewUser(name, password),
		password: password,
		boxes:    make(map[string][]imap.MailboxAttr),
		subs:     make(map[string]struct{}),
		noselect: make(map[string]bool),
	}
	u.mem.Create("INBOX", nil)
	u.boxes["INBOX"] = nil
	if s.opts.Gmail {
		u.initGmail(s.opts.GmailLocalised)
	}
	return u
}

// Name returns the login name.
func (u *User) Name() string { return u.name }

// Password returns the current password.
func (u *User) Password() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.password
}

// Message is a message to seed. Date is the internal date (zero: now).
type Message struct {
	Raw   []byte
	Flags []imap.Flag
	Date  time.Time
}

// StoredMessage is a message as the server stores it.
type StoredMessage struct {
	UID          imap.UID
	Flags        []imap.Flag // sorted; keywords lower-cased by memserver
	InternalDate time.Time   // second precision, as sent on the wire
	Size         int64
	Raw          []byte
}

// HasFlag reports whether the message has flag, compared
// case-insensitively (memserver lower-cases keywords).
func (m StoredMessage) HasFlag(flag imap.Flag) bool {
	for _, f := range m.Flags {
		if strings.EqualFold(string(f), string(flag)) {
			return true
		}
	}
	return false
}

// CreateMailbox creates a mailbox (and missing parents) with optional
// special-use attributes (\Sent, \Drafts, \Trash, \Junk, \Archive, \All,
// \Flagged, \Important). Names use '/' as separator; "inbox" in any case
// means INBOX.
func (u *User) CreateMailbox(name string, specialUse ...imap.MailboxAttr) error {
	return u.createMailbox(name, specialUse)
}

// ensureMailbox creates the mailbox if it does not exist yet.
func (u *User) ensureMailbox(name string) error {
	u.mu.Lock()
	_, ok := u.boxes[normMailbox(name)]
	u.mu.Unlock()
	if ok {
		return nil
	}
	err := u.createMailbox(name, nil)
	if e, ok := err.(*imap.Error); ok && e.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	return err
}

// Seed appends messages to mailbox, creating it and its parents if needed.
// Messages get consecutive UIDs in argument order.
func (u *User) Seed(mailbox string, msgs ...Message) error {
	mailbox = normMailbox(mailbox)
	if err := u.ensureMailbox(mailbox); err != nil {
		return fmt.Errorf("imapmem: create %q: %w", mailbox, err)
	}
	for i, m := range msgs {
		opts := &imap.AppendOptions{Flags: m.Flags, Time: m.Date}
		if u.gmail != nil {
			if _, err := u.gmailAppend(mailbox, m.Raw, opts); err != nil {
				return fmt.Errorf("imapmem: seed %q message %d: %w", mailbox, i, err)
			}
			continue
		}
		if _, err := u.mem.Append(mailbox, bytes.NewReader(m.Raw), opts); err != nil {
			return fmt.Errorf("imapmem: seed %q message %d: %w", mailbox, i, err)
		}
	}
	return nil
}

// Subscribe subscribes the user to names (which need not exist).
func (u *User) Subscribe(names ...string) {
	for _, n := range names {
		u.subscribe(n, true)
	}
}

// Mailboxes returns the names of the existing mailboxes, INBOX first, then
// sorted.
func (u *User) Mailboxes() ([]string, error) {
	u.mu.Lock()
	names := make([]string, 0, len(u.boxes))
	for n := range u.boxes {
		names = append(names, n)
	}
	u.mu.Unlock()
	sortMailboxes(names)
	return names, nil
}

// Subscribed returns the subscribed names, INBOX first, then sorted. A
// name may be subscribed without existing.
func (u *User) Subscribed() ([]string, error) {
	u.mu.Lock()
	names := make([]string, 0, len(u.subs))
	for n := range u.subs {
		names = append(names, n)
	}
	u.mu.Unlock()
	sortMailboxes(names)
	return names, nil
}

// SpecialUse returns the special-use attributes of a mailbox (nil if none
// or if it does not exist).
func (u *User) SpecialUse(mailbox string) []imap.MailboxAttr {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]imap.MailboxAttr(nil), u.boxes[normMailbox(mailbox)]...)
}

// Status returns UIDVALIDITY, UIDNEXT and the message, unseen and deleted
// counts and total size of a mailbox, read directly from the backend.
func (u *User) Status(mailbox string) (*imap.StatusData, error) {
	return u.mem.Status(normMailbox(mailbox), &imap.StatusOptions{
		NumMessages: true,
		UIDNext:     true,
		UIDValidity: true,
		NumUnseen:   true,
		NumDeleted:  true,
		Size:        true,
	})
}

// Messages returns every message of a mailbox in UID order. It reads them
// through a private, pre-authenticated IMAP connection (EXAMINE +
// UID FETCH BODY.PEEK[]) that bypasses faults and counters and does not
// change any flag.
func (u *User) Messages(mailbox string) ([]StoredMessage, error) {
	c, err := u.inspectClient()
	if err != nil {
		return nil, err
	}
	defer c.Close()

	sel, err := c.Select(normMailbox(mailbox), &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("imapmem: examine %q: %w", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	body := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID:          true,
		Flags:        true,
		InternalDate: true,
		RFC822Size:   true,
		BodySection:  []*imap.FetchItemBodySection{body},
	}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imapmem: fetch %q: %w", mailbox, err)
	}
	out := make([]StoredMessage, 0, len(bufs))
	for _, b := range bufs {
		flags := append([]imap.Flag(nil), b.Flags...)
		sort.Slice(flags, func(i, j int) bool { return flags[i] < flags[j] })
		out = append(out, StoredMessage{
			UID:          b.UID,
			Flags:        flags,
			InternalDate: b.InternalDate,
			Size:         b.RFC822Size,
			Raw:          b.FindBodySection(body),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	c.Logout().Wait()
	return out, nil
}

func (u *User) inspectClient() (*imapclient.Client, error) {
	conn, err := u.srv.inspectLn.dial(u)
	if err != nil {
		return nil, err
	}
	c := imapclient.New(conn, nil)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imapmem: inspection connection: %w", err)
	}
	return c, nil
}

// SeedDemo loads the demo mailbox of package testdata (folders with their
// special-use attributes, messages with flags and internal dates,
// subscriptions) into this user.
func (u *User) SeedDemo() error {
	folders, err := demomail.DemoFolders()
	if err != nil {
		return err
	}
	for _, f := range folders {
		var use []imap.MailboxAttr
		if f.SpecialUse != "" {
			use = append(use, imap.MailboxAttr(f.SpecialUse))
		}
		name := normMailbox(f.Name)
		u.mu.Lock()
		_, exists := u.boxes[name]
		u.mu.Unlock()
		if exists {
			if len(use) > 0 {
				u.mu.Lock()
				u.boxes[name] = use
				u.mu.Unlock()
			}
			continue
		}
		if err := u.createMailbox(name, use); err != nil {
			return fmt.Errorf("imapmem: create %q: %w", name, err)
		}
	}
	msgs, subscribed, err := demomail.DemoMailbox()
	if err != nil {
		return err
	}
	for _, m := range msgs {
		flags := make([]imap.Flag, len(m.Flags))
		for i, f := range m.Flags {
			flags[i] = imap.Flag(f)
		}
		if err := u.Seed(m.Folder, Message{Raw: m.Raw, Flags: flags, Date: m.Date}); err != nil {
			return err
		}
	}
	u.Subscribe(subscribed...)
	return nil
}
