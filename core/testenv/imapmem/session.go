package imapmem

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// session wraps imapmemserver's UserSession. Message operations (SELECT,
// FETCH, STORE, APPEND, COPY, MOVE, SEARCH, EXPUNGE, STATUS, NAMESPACE,
// IDLE) are delegated to it; login and the mailbox list (CREATE, DELETE,
// RENAME, SUBSCRIBE, LIST/LSUB) are handled here because memserver ignores
// special-use attributes, does not create parent mailboxes and ties
// subscriptions to existing mailboxes.
type session struct {
	*imapmemserver.UserSession // nil until login

	srv      *Server
	conn     *imapserver.Conn // nil for inspection sessions
	fc       *faultConn       // nil for inspection sessions
	user     *User
	loggedIn bool
	selected string      // the selected mailbox, for the Gmail commands
	oauth    *oauthState // OAuth mode, after a token login
}

func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := s.UserSession.Select(name, options)
	if err == nil {
		s.selected = normMailbox(name)
	}
	return data, err
}

func (s *session) Unselect() error {
	s.selected = ""
	return s.UserSession.Unselect()
}

var (
	_ imapserver.SessionIMAP4rev2   = (*session)(nil)
	_ imapserver.SessionAppendLimit = (*limitedSession)(nil)
)

// limitedSession adds APPENDLIMIT support.
type limitedSession struct {
	*session
	limit uint32
}

func (s *limitedSession) AppendLimit() uint32 { return s.limit }

func (s *session) Close() error {
	if s.loggedIn {
		s.user.mu.Lock()
		s.user.active--
		s.user.mu.Unlock()
		s.loggedIn = false
	}
	if s.conn != nil {
		s.srv.mu.Lock()
		delete(s.srv.conns, s.conn)
		s.srv.mu.Unlock()
	}
	if s.UserSession != nil {
		return s.UserSession.Close()
	}
	return nil
}

func (s *session) Login(username, password string) error {
	u := s.srv.User(username)
	if u == nil {
		return imapserver.ErrAuthFailed
	}
	u.mu.Lock()
	ok := subtle.ConstantTimeCompare([]byte(password), []byte(u.password)) == 1
	u.mu.Unlock()
	if !ok {
		return imapserver.ErrAuthFailed
	}
	return s.enter(u)
}

// enter logs the session in as u, once its credentials were checked.
func (s *session) enter(u *User) error {
	limit, resp := s.srv.faults.loginLimit()
	u.mu.Lock()
	if limit > 0 && u.active >= limit {
		u.mu.Unlock()
		if resp.Type == imap.StatusResponseTypeBye && s.conn != nil {
			s.conn.Bye(resp.Text)
		}
		return resp
	}
	u.active++
	u.mu.Unlock()

	s.user = u
	s.loggedIn = true
	s.UserSession = imapmemserver.NewUserSession(u.mem)
	return nil
}

func (s *session) Create(name string, options *imap.CreateOptions) error {
	var use []imap.MailboxAttr
	if options != nil {
		use = options.SpecialUse
	}
	if len(use) > 0 && !s.srv.caps.Has(imap.CapCreateSpecialUse) {
		return &imap.Error{
			Type: imap.StatusResponseTypeBad,
			Text: "CREATE-SPECIAL-USE is not supported",
		}
	}
	return s.user.createMailbox(name, use)
}

func (s *session) Delete(name string) error {
	return s.user.deleteMailbox(name)
}

func (s *session) Rename(oldName, newName string, options *imap.RenameOptions) error {
	return s.user.renameMailbox(oldName, newName)
}

func (s *session) Subscribe(name string) error {
	s.user.subscribe(name, true)
	return nil
}

func (s *session) Unsubscribe(name string) error {
	s.user.subscribe(name, false)
	return nil
}

func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{
			Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect},
			Delim: delim,
		})
	}
	if options == nil {
		options = &imap.ListOptions{}
	}
	lsub := s.fc != nil && s.fc.currentCommand() == "LSUB"
	for _, data := range s.user.list(ref, patterns, options, lsub) {
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

const delim = '/'

var specialUseAttrs = map[imap.MailboxAttr]bool{
	imap.MailboxAttrAll:       true,
	imap.MailboxAttrArchive:   true,
	imap.MailboxAttrDrafts:    true,
	imap.MailboxAttrFlagged:   true,
	imap.MailboxAttrJunk:      true,
	imap.MailboxAttrSent:      true,
	imap.MailboxAttrTrash:     true,
	imap.MailboxAttrImportant: true,
}

func normMailbox(name string) string {
	name = strings.TrimRight(name, string(delim))
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

func noErr(code imap.ResponseCode, text string) *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
}

// createMailbox creates name and any missing parent, as RFC 3501 suggests
// ("SHOULD create any superior hierarchical names").
func (u *User) createMailbox(name string, use []imap.MailboxAttr) error {
	name = normMailbox(name)
	if name == "" {
		return noErr(imap.ResponseCodeCannot, "Invalid mailbox name")
	}
	for _, a := range use {
		if !specialUseAttrs[a] {
			return noErr("USEATTR", "Unsupported special-use attribute "+string(a))
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.boxes[name]; ok {
		return noErr(imap.ResponseCodeAlreadyExists, "Mailbox already exists")
	}
	if err := u.createParentsLocked(name); err != nil {
		return err
	}
	if err := u.mem.Create(name, nil); err != nil {
		return err
	}
	u.boxes[name] = append([]imap.MailboxAttr(nil), use...)
	return nil
}

func (u *User) createParentsLocked(name string) error {
	parts := strings.Split(name, string(delim))
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], string(delim))
		if p == "" {
			continue
		}
		if _, ok := u.boxes[p]; ok {
			continue
		}
		if err := u.mem.Create(p, nil); err != nil {
			return err
		}
		u.boxes[p] = nil
	}
	return nil
}

func (u *User) deleteMailbox(name string) error {
	name = normMailbox(name)
	if name == "INBOX" {
		return noErr(imap.ResponseCodeCannot, "INBOX cannot be deleted")
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.mem.Delete(name); err != nil {
		return err
	}
	delete(u.boxes, name)
	// Subscriptions survive the mailbox, as RFC 3501 requires.
	return nil
}

// renameMailbox renames a mailbox and its inferiors, as IMAP RENAME does,
// creating missing parents of the new name. Renaming INBOX moves its
// messages to the new mailbox and leaves an empty INBOX; inferiors of
// INBOX are not renamed. Subscriptions follow the renamed mailboxes.
func (u *User) renameMailbox(oldName, newName string) error {
	oldName, newName = normMailbox(oldName), normMailbox(newName)
	if newName == "" || newName == "INBOX" {
		return noErr(imap.ResponseCodeCannot, "Invalid target name")
	}
	if strings.HasPrefix(newName, oldName+string(delim)) {
		return noErr(imap.ResponseCodeCannot, "Cannot rename a mailbox into itself")
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.boxes[oldName]; !ok {
		return noErr(imap.ResponseCodeNonExistent, "No such mailbox")
	}
	if _, ok := u.boxes[newName]; ok {
		return noErr(imap.ResponseCodeAlreadyExists, "Mailbox already exists")
	}
	renames := [][2]string{{oldName, newName}}
	if oldName != "INBOX" {
		prefix := oldName + string(delim)
		var inferiors []string
		for n := range u.boxes {
			if strings.HasPrefix(n, prefix) {
				inferiors = append(inferiors, n)
			}
		}
		sort.Strings(inferiors)
		for _, n := range inferiors {
			to := newName + n[len(oldName):]
			if _, ok := u.boxes[to]; ok {
				return noErr(imap.ResponseCodeAlreadyExists, "Mailbox already exists: "+to)
			}
			renames = append(renames, [2]string{n, to})
		}
	}
	if err := u.createParentsLocked(newName); err != nil {
		return err
	}
	for _, r := range renames {
		if err := u.mem.Rename(r[0], r[1], nil); err != nil {
			return err
		}
		u.boxes[r[1]] = u.boxes[r[0]]
		delete(u.boxes, r[0])
		if _, ok := u.subs[r[0]]; ok && r[0] != "INBOX" {
			delete(u.subs, r[0])
			u.subs[r[1]] = struct{}{}
		}
	}
	if oldName == "INBOX" {
		if err := u.mem.Create("INBOX", nil); err != nil {
			return err
		}
		u.boxes["INBOX"] = nil
	}
	return nil
}

func (u *User) subscribe(name string, on bool) {
	name = normMailbox(name)
	u.mu.Lock()
	defer u.mu.Unlock()
	if on {
		u.subs[name] = struct{}{}
	} else {
		delete(u.subs, name)
	}
}

// list builds the LIST/LSUB answer.
func (u *User) list(ref string, patterns []string, options *imap.ListOptions, lsub bool) []*imap.ListData {
	caps := u.srv.caps
	u.mu.Lock()
	defer u.mu.Unlock()

	// Candidates: existing mailboxes, or subscriptions (which may not
	// exist) when only subscribed names are asked for.
	selectSub := options.SelectSubscribed || lsub
	cand := make(map[string]struct{})
	if selectSub {
		for n := range u.subs {
			cand[n] = struct{}{}
		}
	} else {
		for n := range u.boxes {
			cand[n] = struct{}{}
		}
	}
	names := make([]string, 0, len(cand))
	for n := range cand {
		for _, p := range patterns {
			if imapserver.MatchList(n, delim, ref, p) {
				names = append(names, n)
				break
			}
		}
	}
	sortMailboxes(names)

	var out []*imap.ListData
	for _, n := range names {
		use, exists := u.boxes[n]
		_, subscribed := u.subs[n]
		if selectSub && !subscribed {
			continue
		}
		if options.SelectSpecialUse && len(use) == 0 {
			continue
		}
		data := &imap.ListData{Mailbox: n, Delim: delim}
		switch {
		case !exists && lsub:
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		case !exists:
			data.Attrs = append(data.Attrs, imap.MailboxAttrNonExistent)
		case !lsub && (caps.Has(imap.CapChildren) || options.ReturnChildren):
			if u.hasChildrenLocked(n) {
				data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
			} else {
				data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
			}
		}
		if !lsub && subscribed && (options.SelectSubscribed || options.ReturnSubscribed) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if exists && u.noselect[n] {
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		}
		if !lsub && exists && (caps.Has(imap.CapSpecialUse) || options.ReturnSpecialUse || options.SelectSpecialUse) {
			data.Attrs = append(data.Attrs, use...)
		}
		if exists && options.ReturnStatus != nil {
			if st, err := u.mem.Status(n, options.ReturnStatus); err == nil {
				data.Status = st
			}
		}
		out = append(out, data)
	}
	return out
}

func (u *User) hasChildrenLocked(name string) bool {
	prefix := name + string(delim)
	for n := range u.boxes {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// sortMailboxes sorts names with INBOX first.
func sortMailboxes(names []string) {
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "INBOX") != (names[j] == "INBOX") {
			return names[i] == "INBOX"
		}
		return names[i] < names[j]
	})
}

// Append stores a message only once its literal has arrived whole. The
// backend would store whatever it read before a connection dropped in
// the middle of the literal, which no real server does.
func (s *session) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	buf := make([]byte, 0, min(r.Size(), 1<<20))
	b := bytes.NewBuffer(buf)
	if _, err := b.ReadFrom(r); err != nil {
		return nil, err
	}
	if int64(b.Len()) != r.Size() {
		return nil, fmt.Errorf("imapmem: literal cut short (%d of %d bytes): not stored", b.Len(), r.Size())
	}
	if s.user.gmail != nil {
		if b.Len() > GmailMaxMessage {
			return nil, GmailTooBig()
		}
		return s.user.gmailAppend(mailbox, b.Bytes(), options)
	}
	return s.UserSession.Append(mailbox, &bytesLiteral{Reader: bytes.NewReader(b.Bytes()), n: int64(b.Len())}, options)
}
