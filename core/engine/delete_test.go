package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

func TestDelete2RemovesExtrasAndDuplicates(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 6, 300)
	seedN(t, p.u2, "INBOX", 6, 300) // the same six
	extra := []byte("Message-ID: <extra@x>\r\nSubject: only on host2\r\n\r\nx\r\n")
	noID := []byte("Subject: unidentified on host2\r\n\r\nkept\r\n")
	p.u2.Seed("INBOX", imapmem.Message{Raw: extra}, imapmem.Message{Raw: noID})
	// A duplicate of message 0 on host2.
	h1, _ := p.u1.Messages("INBOX")
	p.u2.Seed("INBOX", imapmem.Message{Raw: h1[0].Raw})

	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Delete2, opts.Delete2Duplicates, opts.UIDExpunge2, opts.Delete2Threshold = true, true, true, 0.5
	res := run(t, opts)
	if res.Errors.Count() != 0 || res.DeletedHost2 != 2 {
		t.Fatalf("errors %v, deleted on host2 %d\n%s", res.Errors.Records(), res.DeletedHost2, out.String())
	}
	msgs, _ := p.u2.Messages("INBOX")
	if len(msgs) != 7 {
		t.Fatalf("host2 INBOX has %d messages, want the 6 of host1 and the unidentified one", len(msgs))
	}
	for _, m := range msgs {
		if bytes.Equal(m.Raw, extra) {
			t.Fatal("the extra message survived --delete2")
		}
	}
}

func TestDelete2ThresholdAndMerge(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 1, 300)
	seedN(t, p.u2, "INBOX", 5, 200) // <m0..m4@INBOX>: m0 matches host1's message
	for i := range 5 {
		p.u2.Seed("INBOX", imapmem.Message{Raw: []byte("Message-ID: <o" + string(rune('a'+i)) + "@x>\r\n\r\nx\r\n")})
	}
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Delete2, opts.UIDExpunge2, opts.Delete2Threshold = true, true, 0.5
	_, err := Run(t.Context(), opts)
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err %v, want a refusal naming --force", err)
	}
	if msgs, _ := p.u2.Messages("INBOX"); len(msgs) != 10 {
		t.Fatalf("host2 changed: %d messages", len(msgs))
	}
	opts.Force = true
	if res := run(t, opts); res.DeletedHost2 != 9 { // <m0@INBOX> is on both sides
		t.Fatalf("with --force deleted %d", res.DeletedHost2)
	}

	// Two host1 folders feeding one host2 folder: refused.
	q := newPair(t)
	seedN(t, q.u1, "A", 1, 300)
	seedN(t, q.u1, "B", 1, 300)
	opts = q.options(t, &out)
	opts.Delete2, opts.F1F2 = true, map[string]string{"A": "Same", "B": "Same"}
	if _, err := Run(t.Context(), opts); exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "same host2 folder") {
		t.Fatalf("merge with --delete2: %v", err)
	}
}

func TestDelete1KeepsWhatWasNotCopied(t *testing.T) {
	p := newPair(t)
	seedN(t, p.u1, "INBOX", 8, 300)
	// Message 3 is refused by host2: it must survive on host1.
	p.s2.Faults().RefuseCommand("APPEND", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "refused"})
	var out bytes.Buffer
	opts := p.options(t, &out)
	opts.Parallel = 1
	opts.Delete1, opts.Expunge1 = true, true
	res := run(t, opts)
	if res.Errors.Count() != 1 || res.Transferred != 7 || res.DeletedHost1 != 7 {
		t.Fatalf("errors %v transferred %d deleted1 %d\n%s", res.Errors.Records(), res.Transferred, res.DeletedHost1, out.String())
	}
	left, _ := p.u1.Messages("INBOX")
	on2, _ := p.u2.Messages("INBOX")
	if len(left) != 1 || len(on2) != 7 {
		t.Fatalf("host1 keeps %d (want 1), host2 has %d (want 7)", len(left), len(on2))
	}
	for _, m := range on2 {
		if bytes.Equal(m.Raw, left[0].Raw) {
			t.Fatal("the message left on host1 is also on host2")
		}
	}
	// A rerun copies it and deletes it.
	p.s2.Faults().Reset()
	res = run(t, opts)
	if left, _ := p.u1.Messages("INBOX"); len(left) != 0 || res.Transferred != 1 {
		t.Fatalf("rerun: host1 keeps %d, transferred %d", len(left), res.Transferred)
	}
}

// TestDelete2Ceiling: the share ceiling of --delete2 applies only above
// Delete2Min messages to delete in a folder; --force lifts it.
func TestDelete2Ceiling(t *testing.T) {
	for _, tc := range []struct {
		name          string
		on1, extras   int  // host1 messages (all on host2 too); host2-only messages
		dup           bool // host2 also holds a second copy of host1's first message
		min           int
		force         bool
		refused       bool
		left2, delete int // host2 messages after the run, messages deleted
	}{
		{"3 messages, an extra and a duplicate, plain --delete2", 1, 1, true, 100, false, false, 1, 2},
		{"the same with no minimum: the share is checked", 1, 1, true, 0, false, true, 3, 0},
		{"150 extras of 151: refused", 1, 150, false, 100, false, true, 151, 0},
		{"150 extras of 151 with --force", 1, 150, false, 100, true, false, 1, 150},
		{"110 extras of 310: under the share", 200, 110, false, 100, false, false, 200, 110},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			seedN(t, p.u1, "INBOX", tc.on1, 200)
			seedN(t, p.u2, "INBOX", tc.on1, 200)
			for i := range tc.extras {
				p.u2.Seed("INBOX", imapmem.Message{Raw: fmt.Appendf(nil, "Message-ID: <extra%d@x>\r\n\r\nx\r\n", i)})
			}
			if tc.dup {
				h1, _ := p.u1.Messages("INBOX")
				p.u2.Seed("INBOX", imapmem.Message{Raw: h1[0].Raw})
			}
			var out bytes.Buffer
			opts := p.options(t, &out)
			opts.Delete2, opts.Delete2Duplicates, opts.UIDExpunge2 = true, true, true
			opts.Delete2Threshold, opts.Delete2Min, opts.Force = 0.5, tc.min, tc.force
			res, err := Run(t.Context(), opts)
			if tc.refused {
				if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "--force") {
					t.Fatalf("err %v, want a refusal naming --force", err)
				}
			} else {
				if err != nil || res.Errors.Count() != 0 || res.DeletedHost2 != int64(tc.delete) {
					t.Fatalf("err %v, errors %v, deleted %d (want %d)\n%s", err, res.Errors.Records(), res.DeletedHost2, tc.delete, out.String())
				}
			}
			if msgs, _ := p.u2.Messages("INBOX"); len(msgs) != tc.left2 {
				t.Fatalf("host2 INBOX has %d messages, want %d", len(msgs), tc.left2)
			}
		})
	}
}
