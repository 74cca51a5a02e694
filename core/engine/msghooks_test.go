package engine

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

type skipSubject string

func (s skipSubject) Skip(m *hooks.Message) (string, error) {
	if bytes.Contains(m.Header(), []byte("Subject: "+string(s))) {
		return "subject is " + string(s), nil
	}
	return "", nil
}
func (skipSubject) HeaderOnly() bool { return true }

type skipBody string

func (s skipBody) Skip(m *hooks.Message) (string, error) {
	raw, err := m.Raw()
	if err != nil {
		return "", err
	}
	if bytes.Contains(raw, []byte(s)) {
		return "body mentions " + string(s), nil
	}
	return "", nil
}

type tagRewrite struct{}

func (tagRewrite) Rewrite(m *hooks.Message) error {
	raw, err := m.Raw()
	if err != nil {
		return err
	}
	if bytes.Contains(raw, []byte("Subject: keep as is")) {
		return nil
	}
	if bytes.Contains(raw, []byte("Subject: broken")) {
		return errors.New("cannot rewrite this one")
	}
	m.SetRaw(append([]byte("X-Migrated: yes\r\n"), raw...))
	return nil
}

type dropKeyword string

func (d dropKeyword) Flags(_ *hooks.Message, flags []string) ([]string, error) {
	return slices.DeleteFunc(flags, func(f string) bool { return strings.EqualFold(f, string(d)) }), nil
}
func (dropKeyword) HeaderOnly() bool { return true }

func TestMessageHooks(t *testing.T) {
	p := newPair(t)
	date := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	add := func(id, subject, body string, flags ...imap.Flag) []byte {
		raw := []byte(fmt.Sprintf("Message-ID: <%s@x>\r\nSubject: %s\r\n\r\n%s\r\n", id, subject, body))
		p.u1.Seed("INBOX", imapmem.Message{Raw: raw, Flags: flags, Date: date})
		return raw
	}
	plain := add("1", "hello", "normal", imap.FlagSeen, "$Label1")
	add("2", "spam", "buy now")
	add("3", "other", "contains SECRET stuff")
	untouched := add("4", "keep as is", "same bytes", imap.FlagFlagged)
	add("5", "broken", "rewrite fails")
	// Already on host2 with other flags: the flag hook applies to the resync.
	resync := []byte("Message-ID: <6@x>\r\nSubject: old\r\n\r\nold\r\n")
	p.u1.Seed("INBOX", imapmem.Message{Raw: resync, Flags: []imap.Flag{imap.FlagAnswered, "$Label1"}, Date: date})
	p.u2.Seed("INBOX", imapmem.Message{Raw: resync, Date: date})

	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Hooks = &hooks.Chain{
		Skips:    []hooks.Named[hooks.MessageSkipper]{{Name: "nospam", Hook: skipSubject("spam")}, {Name: "nosecret", Hook: skipBody("SECRET")}},
		Rewrites: []hooks.Named[hooks.MessageRewriter]{{Name: "tag", Hook: tagRewrite{}}},
		Flags:    []hooks.Named[hooks.FlagFilter]{{Name: "nolabel", Hook: dropKeyword("$Label1")}},
	}
	res := run(t, opts)

	msgs, _ := p.u2.Messages("INBOX")
	got := map[string]imapmem.StoredMessage{}
	for _, m := range msgs {
		_, subj, _ := strings.Cut(string(m.Raw), "Subject: ")
		subj, _, _ = strings.Cut(subj, "\r\n")
		got[subj] = m
	}
	if len(msgs) != 3 {
		t.Fatalf("host2 has %d messages (%v), want hello, keep as is, old\n%s", len(msgs), keysOf(got), out.String())
	}
	if m := got["hello"]; string(m.Raw) != "X-Migrated: yes\r\n"+string(plain) || m.HasFlag("$Label1") || !m.HasFlag(imap.FlagSeen) {
		t.Errorf("rewritten message: %q flags %v", m.Raw, m.Flags)
	}
	if m := got["keep as is"]; !bytes.Equal(m.Raw, untouched) {
		t.Errorf("untouched message changed: %q", m.Raw)
	}
	if m := got["old"]; m.HasFlag("$Label1") || !m.HasFlag(imap.FlagAnswered) {
		t.Errorf("resynced flags %v, want \\Answered without $Label1", m.Flags)
	}
	if res.SkippedBy["nospam"] != 1 || res.SkippedBy["nosecret"] != 1 || res.Rewritten != 1 {
		t.Errorf("skipped by %v, rewritten %d", res.SkippedBy, res.Rewritten)
	}
	if res.Errors.Count() != 1 || !strings.Contains(res.Errors.Records()[0].Message, "cannot rewrite this one") {
		t.Errorf("errors %v, want the failed rewrite only", res.Errors.Records())
	}
	if !strings.Contains(out.String(), "skipped by nospam (subject is spam)") {
		t.Errorf("no skip line:\n%s", out.String())
	}
}

func keysOf[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

func TestDryRunPreviewsHookDecisions(t *testing.T) {
	p := newPair(t)
	p.u1.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <a@x>\r\nSubject: s\r\n\r\nSECRET\r\n")})
	p.u1.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <b@x>\r\nSubject: spam\r\n\r\nx\r\n")})
	p.u1.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <c@x>\r\nSubject: fine\r\n\r\nx\r\n")})
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Dry = true
	opts.Hooks = &hooks.Chain{
		Skips:    []hooks.Named[hooks.MessageSkipper]{{Name: "nospam", Hook: skipSubject("spam")}, {Name: "nosecret", Hook: skipBody("SECRET")}},
		Rewrites: []hooks.Named[hooks.MessageRewriter]{{Name: "tag", Hook: tagRewrite{}}},
	}
	res := run(t, opts)
	if res.WouldTransfer != 1 || res.SkippedBy["nosecret"] != 1 || res.SkippedBy["nospam"] != 1 {
		t.Fatalf("dry: would %d, skipped %v\n%s", res.WouldTransfer, res.SkippedBy, out.String())
	}
	// The kept message's line names the rewrite and the new size.
	if !strings.Contains(out.String(), "msg INBOX/3 {56} copying to INBOX rewritten by tag (not really since --dry mode)") {
		t.Fatalf("no rewrite preview:\n%s", out.String())
	}
	if msgs, _ := p.u2.Messages("INBOX"); len(msgs) != 0 {
		t.Fatal("dry run appended")
	}
}

// bodyFlagCounter is a flag hook that reads the body and counts its calls.
type bodyFlagCounter struct{ calls *atomic.Int32 }

func (b bodyFlagCounter) Flags(m *hooks.Message, flags []string) ([]string, error) {
	b.calls.Add(1)
	_, err := m.Raw()
	return flags, err
}

// TestFlagHooksOnlyWhereFlagsMatter: a body-reading flag hook runs for
// messages to copy, and, for messages already on host2, only when flags
// are resynced: a rerun with --noresyncflags runs it (and fetches the
// body) for none.
func TestFlagHooksOnlyWhereFlagsMatter(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 5, 300)
	var calls atomic.Int32
	sync := func(resync bool) {
		var out bytes.Buffer
		opts := p.options(t, &out)
		opts.ResyncFlags = resync
		opts.Hooks = &hooks.Chain{Flags: []hooks.Named[hooks.FlagFilter]{{Name: "count", Hook: bodyFlagCounter{&calls}}}}
		if res := run(t, opts); res.Errors.Count() != 0 {
			t.Fatalf("errors %v", res.Errors.Records())
		}
	}
	for _, tc := range []struct {
		resync bool
		want   int32
	}{{false, 5}, {false, 0}, {true, 5}} {
		calls.Store(0)
		sync(tc.resync)
		if got := calls.Load(); got != tc.want {
			t.Errorf("resyncflags %v: the flag hook ran %d times, want %d", tc.resync, got, tc.want)
		}
	}
}
