package imapmem

// The Gmail personality (Options.Gmail): every message lives once in the
// \All folder, each label shows it again in the folder of that name, and
// the X-GM-EXT-1 items (X-GM-LABELS, X-GM-MSGID, X-GM-THRID, X-GM-RAW)
// work on the wire (gmailwire.go, gmailsearch.go).
//
// The model here is the truth: a message is its bytes, its ids and its
// set of labels, kept as folder names ("INBOX", "Work/2024", the special
// folders). Each label folder is a memserver mailbox holding a copy of
// the message, so that SELECT, FETCH, SEARCH and STORE of flags work
// there unchanged; where maps each copy's UID back to the message.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/imapshift/imapshift/core/mailbox"
)

// GmailMaxMessage is the largest message the Gmail personality takes on
// APPEND (Gmail's 25 MB).
const GmailMaxMessage = 25 << 20

// GmailMaxConnections is Gmail's limit of simultaneous IMAP connections
// per account, enforced at login with GmailTooManyConnections.
const GmailMaxConnections = 15

// gmailFolders names the special folders of one locale.
type gmailFolders struct {
	root, all, sent, starred, important, drafts, trash, spam string
}

func newGmailFolders(localised bool) gmailFolders {
	if localised {
		r := "[Google Mail]"
		return gmailFolders{r, r + "/Alle Nachrichten", r + "/Gesendet", r + "/Markiert", r + "/Wichtig", r + "/Entwürfe", r + "/Papierkorb", r + "/Spam"}
	}
	r := "[Gmail]"
	return gmailFolders{r, r + "/All Mail", r + "/Sent Mail", r + "/Starred", r + "/Important", r + "/Drafts", r + "/Trash", r + "/Spam"}
}

// special returns the special folders with their attribute and system
// label, All Mail first.
func (g gmailFolders) special() []struct {
	name  string
	attr  imap.MailboxAttr
	label string
} {
	return []struct {
		name  string
		attr  imap.MailboxAttr
		label string
	}{
		{g.all, imap.MailboxAttrAll, ""},
		{g.sent, imap.MailboxAttrSent, `\Sent`},
		{g.starred, imap.MailboxAttrFlagged, `\Starred`},
		{g.important, imap.MailboxAttrImportant, `\Important`},
		{g.drafts, imap.MailboxAttrDrafts, `\Draft`},
		{g.trash, imap.MailboxAttrTrash, `\Trash`},
		{g.spam, imap.MailboxAttrJunk, `\Spam`},
	}
}

// gmsg is one message of a Gmail account.
type gmsg struct {
	id, thrid uint64
	raw       []byte
	date      time.Time
	flags     []imap.Flag
	labels    map[string]bool // folder names, All Mail excluded
}

type gmailState struct {
	mu      sync.Mutex
	folders gmailFolders
	nextID  uint64
	msgs    map[uint64]*gmsg
	byHash  map[[32]byte]uint64
	byMsgID map[string]uint64 // Message-Id → id, for threads
	where   map[string]map[imap.UID]uint64
}

func (u *User) initGmail(localised bool) {
	g := &gmailState{
		folders: newGmailFolders(localised),
		nextID:  1_600_000_000_000_000_000,
		msgs:    map[uint64]*gmsg{},
		byHash:  map[[32]byte]uint64{},
		byMsgID: map[string]uint64{},
		where:   map[string]map[imap.UID]uint64{},
	}
	u.gmail = g
	for _, sp := range g.folders.special() {
		u.createMailbox(sp.name, []imap.MailboxAttr{sp.attr})
	}
	u.mu.Lock()
	u.noselect[g.folders.root] = true
	u.mu.Unlock()
}

// labelToFolder returns the folder of a decoded label (`\Inbox`,
// `\Sent`... or a name).
func (g *gmailState) labelToFolder(label string) string {
	if strings.HasPrefix(label, `\`) {
		if strings.EqualFold(label, `\Inbox`) {
			return "INBOX"
		}
		for _, sp := range g.folders.special() {
			if sp.label != "" && strings.EqualFold(label, sp.label) {
				return sp.name
			}
		}
	}
	return normMailbox(label)
}

// folderToLabel is the label a folder stands for ("" for All Mail).
func (g *gmailState) folderToLabel(folder string) string {
	if folder == "INBOX" {
		return `\Inbox`
	}
	for _, sp := range g.folders.special() {
		if sp.name == folder {
			return sp.label
		}
	}
	return folder
}

func (g *gmailState) sortedLabels(m *gmsg) []string {
	out := make([]string, 0, len(m.labels))
	for f := range m.labels {
		out = append(out, g.folderToLabel(f))
	}
	sort.Strings(out)
	return out
}

func memAppend(u *User, folder string, m *gmsg) (*imap.AppendData, error) {
	return u.mem.Append(folder, bytes.NewReader(m.raw), &imap.AppendOptions{Flags: m.flags, Time: m.date})
}

// gmailAppend stores raw as Gmail does an APPEND into folder: a message
// already in the account (same bytes) gets the folder's label, any other
// is created in All Mail and labelled. It returns the UID in folder.
func (u *User) gmailAppend(folder string, raw []byte, opts *imap.AppendOptions) (*imap.AppendData, error) {
	folder = normMailbox(folder)
	u.mu.Lock()
	_, exists := u.boxes[folder]
	noselect := u.noselect[folder]
	u.mu.Unlock()
	if !exists || noselect {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "Folder doesn't exist."}
	}
	g := u.gmail
	g.mu.Lock()
	defer g.mu.Unlock()
	h := sha256.Sum256(raw)
	var m *gmsg
	if id, ok := g.byHash[h]; ok {
		m = g.msgs[id]
	} else {
		g.nextID += 7
		m = &gmsg{id: g.nextID, thrid: g.nextID, raw: append([]byte(nil), raw...), labels: map[string]bool{}}
		if opts != nil {
			m.flags, m.date = opts.Flags, opts.Time
		}
		if m.date.IsZero() {
			m.date = time.Now()
		}
		if hdr, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
			for _, ref := range strings.Fields(hdr.Header.Get("In-Reply-To") + " " + hdr.Header.Get("References")) {
				if parent, ok := g.byMsgID[ref]; ok {
					m.thrid = g.msgs[parent].thrid
					break
				}
			}
			if mid := strings.TrimSpace(hdr.Header.Get("Message-Id")); mid != "" {
				g.byMsgID[mid] = m.id
			}
		}
		data, err := memAppend(u, g.folders.all, m)
		if err != nil {
			return nil, err
		}
		g.msgs[m.id], g.byHash[h] = m, m.id
		g.place(g.folders.all, data.UID, m.id)
		if folder == g.folders.all {
			return data, nil
		}
	}
	if folder == g.folders.all {
		return g.appendData(u, folder, m)
	}
	if err := g.addLabelLocked(u, m, folder); err != nil {
		return nil, err
	}
	return g.appendData(u, folder, m)
}

// appendData returns the APPENDUID data of m's copy in folder.
func (g *gmailState) appendData(u *User, folder string, m *gmsg) (*imap.AppendData, error) {
	st, err := u.mem.Status(folder, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		return nil, err
	}
	for uid, id := range g.where[folder] {
		if id == m.id {
			return &imap.AppendData{UID: uid, UIDValidity: st.UIDValidity}, nil
		}
	}
	return nil, errors.New("imapmem: gmail: message not in " + folder)
}

func (g *gmailState) place(folder string, uid imap.UID, id uint64) {
	if g.where[folder] == nil {
		g.where[folder] = map[imap.UID]uint64{}
	}
	g.where[folder][uid] = id
}

// addLabelLocked gives m the label of folder (creating the folder, as
// Gmail creates a label stored on a message).
func (g *gmailState) addLabelLocked(u *User, m *gmsg, folder string) error {
	if folder == g.folders.all || m.labels[folder] {
		return nil
	}
	if err := u.ensureMailbox(folder); err != nil {
		return err
	}
	data, err := memAppend(u, folder, m)
	if err != nil {
		return err
	}
	m.labels[folder] = true
	g.place(folder, data.UID, m.id)
	return nil
}

// removeLabelLocked takes the label of folder off m (expunging its copy).
func (g *gmailState) removeLabelLocked(u *User, m *gmsg, folder string) error {
	if !m.labels[folder] {
		return nil
	}
	delete(m.labels, folder)
	for uid, id := range g.where[folder] {
		if id != m.id {
			continue
		}
		delete(g.where[folder], uid)
		s := imapmemserver.NewUserSession(u.mem)
		defer s.Close()
		if _, err := s.Select(folder, nil); err != nil {
			return err
		}
		set := imap.UIDSetNum(uid)
		if err := s.Store(nil, set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil); err != nil {
			return err
		}
		return s.Expunge(nil, &set)
	}
	return nil
}

// reconcileLocked forgets the copies of folder that a client expunged
// (the label is gone; an expunge in All Mail deletes the message) and
// returns the folder's UIDs in ascending order.
func (g *gmailState) reconcileLocked(u *User, folder string) ([]imap.UID, error) {
	s := imapmemserver.NewUserSession(u.mem)
	defer s.Close()
	if _, err := s.Select(folder, nil); err != nil {
		return nil, err
	}
	data, err := s.Search(imapserver.NumKindUID, &imap.SearchCriteria{}, &imap.SearchOptions{})
	if err != nil {
		return nil, err
	}
	present := map[imap.UID]bool{}
	var uids []imap.UID
	if set, ok := data.All.(imap.UIDSet); ok {
		for _, r := range set {
			for n := r.Start; n <= r.Stop && n != 0; n++ {
				present[n] = true
				uids = append(uids, n)
			}
		}
	}
	for uid, id := range g.where[folder] {
		if present[uid] {
			continue
		}
		delete(g.where[folder], uid)
		m := g.msgs[id]
		if m == nil {
			continue
		}
		if folder != g.folders.all {
			delete(m.labels, folder)
			continue
		}
		for f := range m.labels {
			g.removeLabelLocked(u, m, f)
		}
		delete(g.msgs, id)
		delete(g.byHash, sha256.Sum256(m.raw))
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	return uids, nil
}

// GmailMessage is a message of a Gmail account, as the model holds it.
type GmailMessage struct {
	MsgID, ThrID uint64
	// Labels are decoded (`\Inbox`, `\Sent`, "Work/2024"), sorted.
	Labels []string
	Raw    []byte
	Date   time.Time
}

// GmailMessages returns every message of a Gmail account once (what All
// Mail holds), in X-GM-MSGID order. It panics without Options.Gmail.
func (u *User) GmailMessages() ([]GmailMessage, error) {
	g := u.gmail
	if g == nil {
		panic("imapmem: GmailMessages on a server without Options.Gmail")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.reconcileAllLocked(u); err != nil {
		return nil, err
	}
	out := make([]GmailMessage, 0, len(g.msgs))
	for _, m := range g.msgs {
		out = append(out, GmailMessage{MsgID: m.id, ThrID: m.thrid, Labels: g.sortedLabels(m), Raw: m.raw, Date: m.date})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MsgID < out[j].MsgID })
	return out, nil
}

func (g *gmailState) reconcileAllLocked(u *User) error {
	folders := make([]string, 0, len(g.where))
	for f := range g.where {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	for _, f := range folders {
		if _, err := g.reconcileLocked(u, f); err != nil && f != g.folders.all {
			delete(g.where, f) // the folder was deleted: its label is gone
			for _, m := range g.msgs {
				delete(m.labels, f)
			}
		}
	}
	return nil
}

// SeedLabels stores a message in a Gmail account with the given labels
// (`\Inbox`, `\Sent`, `\Important`, "Work/2024"; none: archived, only in
// All Mail) and returns its X-GM-MSGID.
func (u *User) SeedLabels(m Message, labels ...string) (uint64, error) {
	g := u.gmail
	if g == nil {
		return 0, errors.New("imapmem: SeedLabels needs Options.Gmail")
	}
	if _, err := u.gmailAppend(g.folders.all, m.Raw, &imap.AppendOptions{Flags: m.Flags, Time: m.Date}); err != nil {
		return 0, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	id := g.byHash[sha256.Sum256(m.Raw)]
	msg := g.msgs[id]
	for _, l := range labels {
		if err := g.addLabelLocked(u, msg, g.labelToFolder(l)); err != nil {
			return 0, fmt.Errorf("imapmem: label %q: %w", l, err)
		}
	}
	return id, nil
}

// SetLabels replaces the labels of the message with X-GM-MSGID id, as
// the Gmail web interface would.
func (u *User) SetLabels(id uint64, labels ...string) error {
	g := u.gmail
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.msgs[id]
	if m == nil {
		return fmt.Errorf("imapmem: no message %d", id)
	}
	want := map[string]bool{}
	for _, l := range labels {
		want[g.labelToFolder(l)] = true
	}
	for f := range m.labels {
		if !want[f] {
			if err := g.removeLabelLocked(u, m, f); err != nil {
				return err
			}
		}
	}
	for f := range want {
		if err := g.addLabelLocked(u, m, f); err != nil {
			return err
		}
	}
	return nil
}

// AllMail returns the name of the account's \All folder ("" without
// Options.Gmail).
func (u *User) AllMail() string {
	if u.gmail == nil {
		return ""
	}
	return u.gmail.folders.all
}

// encodeLabel renders a decoded label as Gmail sends it: an astring,
// quoted, with the name in modified UTF-7.
func encodeLabel(label string) string {
	if !strings.HasPrefix(label, `\`) {
		label = mailbox.EncodeUTF7(label)
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(label) + `"`
}

// decodeLabel turns a label received on the wire (unquoted) into its
// decoded form.
func decodeLabel(label string) string {
	if strings.HasPrefix(label, `\`) {
		return label
	}
	if d, err := mailbox.DecodeUTF7(label); err == nil {
		return d
	}
	return label
}
