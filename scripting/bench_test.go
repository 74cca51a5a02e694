package scripting

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/message"
)

// msg10k is a 10 KB message with a realistic 2.6 KB header (trace fields,
// DKIM, list headers) and a text body.
var msg10k = func() []byte {
	var b strings.Builder
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&b, "Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d])\r\n\tby mx.example.org with ESMTPS id abc%d; Tue, 2 Mar 2021 10:00:%02d +0000\r\n", i, i, i, i, i)
	}
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=s1;\r\n\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaGFzIHRoZSByaWdodCBzaGFwZQ==\r\n")
	b.WriteString("Message-ID: <20210302100000.abc@example.net>\r\nDate: Tue, 2 Mar 2021 10:00:00 +0000\r\nFrom: Ana <ana@example.net>\r\nTo: Bob <bob@example.org>\r\n")
	b.WriteString("Subject: =?utf-8?q?R=C3=A9union_de_mars?=\r\nList-Id: <team.example.net>\r\nList-Unsubscribe: <mailto:leave@example.net>\r\nX-Spam-Flag: NO\r\nX-Spam-Status: No, score=-1.2\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for b.Len() < 10*1024-80 {
		b.WriteString("Bonjour, voici le compte rendu de la réunion de mars, point par point.\r\n")
	}
	return []byte(b.String())
}()

// benchOpts: a generous time limit, since on a loaded machine one call in
// a million can wait for a CPU for a long time.
var benchOpts = Options{Timeout: time.Minute}

func benchMessage(raw []byte) *hooks.Message {
	h, _ := message.Split(raw)
	m := hooks.NewMessage(h, nil, func() ([]byte, error) { return raw, nil })
	m.Folder, m.UID, m.Size = "INBOX", 1, int64(len(raw))
	m.Flags = []string{`\Seen`}
	return m
}

// BenchmarkRewriteHeaders is a header-only rewrite, the common script:
// add a header and change the subject of a 10 KB message. It should stay
// under 20 µs, so a script adds little to a copy.
func BenchmarkRewriteHeaders(b *testing.B) {
	s := compile(b, `
function rewrite(msg)
  msg:add_header("X-Migrated-From", "imap.example.net")
  msg:set_header("Subject", "[archive] " .. msg:subject())
end`, benchOpts)
	h := s.Chain().Rewrites[0].Hook
	b.ReportAllocs()
	b.SetBytes(int64(len(msg10k)))
	for b.Loop() {
		m := benchMessage(msg10k)
		if err := h.Rewrite(m); err != nil || !m.Changed() {
			b.Fatal(err)
		}
	}
}

// BenchmarkSkipOneHeader is a skip rule on one header (target < 10 µs).
func BenchmarkSkipOneHeader(b *testing.B) {
	s := compile(b, `
function skip(msg)
  if msg:header("X-Spam-Flag") == "YES" then return "spam" end
end`, benchOpts)
	h := s.Chain().Skips[0].Hook
	b.ReportAllocs()
	for b.Loop() {
		if r, err := h.Skip(benchMessage(msg10k)); err != nil || r != "" {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkRewriteUnchanged is a rewrite that looks and changes nothing:
// no bytes are produced.
func BenchmarkRewriteUnchanged(b *testing.B) {
	s := compile(b, `
function rewrite(msg)
  if msg:header("X-Absent") then msg:remove_header("X-Spam-Flag") end
end`, benchOpts)
	h := s.Chain().Rewrites[0].Hook
	b.ReportAllocs()
	for b.Loop() {
		m := benchMessage(msg10k)
		if err := h.Rewrite(m); err != nil || m.Changed() {
			b.Fatal(err)
		}
	}
}

// BenchmarkSkipParallel runs the skip rule from every P at once, one
// state per goroutine from the pool.
func BenchmarkSkipParallel(b *testing.B) {
	s := compile(b, `
function skip(msg)
  if msg:header("X-Spam-Flag") == "YES" then return "spam" end
end`, benchOpts)
	h := s.Chain().Skips[0].Hook
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Skip(benchMessage(msg10k)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFolder is one map_folder call.
func BenchmarkFolder(b *testing.B) {
	s := compile(b, `
local map = {["Sent Items"] = "Sent", ["Deleted Items"] = "Trash"}
function map_folder(f) return map[f.name] end`, benchOpts)
	h := s.Chain().Folders[0].Hook
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.MapFolder(hooks.Folder{Name: "Sent Items", Target: "Sent Items", Sep1: "/", Sep2: "/"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewState is the cost of a new Lua state (one per worker, and
// after a timeout).
func BenchmarkNewState(b *testing.B) {
	s := compile(b, `function skip(msg) return msg:header("X-Spam-Flag") == "YES" end`, benchOpts)
	b.ReportAllocs()
	for b.Loop() {
		st, err := s.newState()
		if err != nil {
			b.Fatal(err)
		}
		st.L.Close()
	}
}
