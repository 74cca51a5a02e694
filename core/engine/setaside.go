package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/report"
)

// A poison message is one host2 never takes: it refuses it every time, or
// the connection drops each time it is sent. After the bounded tries of
// copyChunk it is set aside: the run goes on, the message is listed at the
// end with what host2 last said, and a rerun tries it again.

// poison keeps, per host1 message, what its tries met.
type poison struct {
	mu    sync.Mutex
	tries map[poisonKey]*report.SetAside
	aside []report.SetAside
}

type poisonKey struct {
	folder string
	uid    imap.UID
}

// tried records one try of f that did not store it, with the answer.
func (p *poison) tried(folder string, f fetched, answer error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tries == nil {
		p.tries = map[poisonKey]*report.SetAside{}
	}
	k := poisonKey{folder, f.item.uid}
	s := p.tries[k]
	if s == nil {
		s = &report.SetAside{Folder: folder, UID: uint32(f.item.uid), Size: f.item.size}
		p.tries[k] = s
	}
	if f.messageID != "" {
		s.MessageID = f.messageID
	}
	s.Tries++
	if answer != nil {
		s.LastAnswer = strings.TrimSpace(answer.Error())
	}
}

// setAside gives up on it: it is listed, and an error is recorded.
func (e *engine) setAside(fr *folderRun, it copyItem, class report.Class, why error) {
	s := e.poison.giveUp(fr.h1, it, why)
	e.msgFail(fr, class, fmt.Sprintf("- msg %s/%d {%d} set aside after %d tries, could not append to folder %s: %s", fr.h1, it.uid, it.size, s.Tries, fr.h2, s.LastAnswer))
}

// giveUp lists the message as set aside and returns its record.
func (p *poison) giveUp(folder string, it copyItem, why error) report.SetAside {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := report.SetAside{Folder: folder, UID: uint32(it.uid), Size: it.size, Tries: 1}
	if t := p.tries[poisonKey{folder, it.uid}]; t != nil {
		s = *t
	}
	if s.LastAnswer == "" && why != nil {
		s.LastAnswer = strings.TrimSpace(why.Error())
	}
	p.aside = append(p.aside, s)
	return s
}

// list returns the messages set aside, by folder and UID.
func (p *poison) list() []report.SetAside {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.aside)
	slices.SortFunc(out, func(a, b report.SetAside) int {
		if c := strings.Compare(a.Folder, b.Folder); c != 0 {
			return c
		}
		return int(a.UID) - int(b.UID)
	})
	return out
}

// printSetAside lists the messages set aside, one line each.
func (e *engine) printSetAside() {
	list := e.poison.list()
	if len(list) == 0 {
		return
	}
	e.say("%d message(s) set aside (host2 would not take them; a rerun tries them again):", len(list))
	for _, s := range list {
		e.say("  set aside: host1 %s/%d Message-Id %s size %d after %d tries: %s", s.Folder, s.UID, orNone(s.MessageID), s.Size, s.Tries, s.LastAnswer)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// transient reports whether a refused APPEND may succeed when sent again:
// the server says it is unavailable or busy for now, not that the message
// is wrong.
func transient(err error) bool {
	var se *conn.StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch imap.ResponseCode(se.Code) {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeInUse, imap.ResponseCodeServerBug:
		return true
	}
	t := strings.ToLower(se.Text)
	return strings.Contains(t, "server unavailable") || strings.Contains(t, "try again")
}
