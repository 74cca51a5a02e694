package scripting

import (
	"fmt"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/hooks"
)

var mimeRaw = strings.ReplaceAll(`Message-ID: <m1@example.org>
DKIM-Signature: v=1; d=example.org;
	b=xyz
From: Ana <ana@example.org>
Subject: files
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: multipart/alternative; boundary=YY

--YY
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

caf=E9
--YY
Content-Type: text/html; charset=utf-8

<p>café</p>
--YY--
--XX
Content-Type: application/x-msdownload; name="setup.exe"
Content-Disposition: attachment; filename*=utf-8''s%C3%A9tup.exe
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA
--XX
Content-Type: text/plain; name=notes.txt
Content-Disposition: attachment; filename=notes.txt

small notes
--XX--
`, "\n", "\r\n")

func logLines(got *[]string) Options {
	return Options{Log: func(e Entry) { *got = append(*got, e.Text) }}
}

func TestPartsAPI(t *testing.T) {
	var got []string
	s := compile(t, `
function skip(msg)
  for _, p in ipairs(msg:parts()) do
    log.info(p.index, p.depth, p.content_type, p.filename, p.disposition, p.size, p.params.charset, p:header("content-transfer-encoding"), tostring(p))
  end
  local atts = msg:attachments()
  log.info(#atts, atts[1].filename, atts[1]:body(), atts[2]:raw())
  log.info(msg:text(), msg:html(), msg:parts()[3]:body(), msg:parts()[3]:raw())
  log.info(msg:parts()[1] == msg:parts()[1], msg:parts()[1] == msg:parts()[2])
  local sum, size = atts[1]:sha256()
  log.info(sum, size, msg:parts()[4]:body("iso-8859-1"), atts[1].encoding, msg:parts()[3].charset, msg:parts()[1].params.boundary)
end`, logLines(&got))
	loads := 0
	m := newMsg(mimeRaw, &loads)
	if _, err := s.Chain().Skips[0].Hook.Skip(m); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 0 multipart/mixed nil nil 544 nil nil part multipart/mixed (544 bytes)",
		"2 1 multipart/alternative nil nil 175 nil nil part multipart/alternative (175 bytes)",
		"3 2 text/plain nil nil 6 iso-8859-1 quoted-printable part text/plain (6 bytes)",
		"4 2 text/html nil nil 12 utf-8 nil part text/html (12 bytes)",
		`5 1 application/x-msdownload sétup.exe attachment 16 nil base64 part application/x-msdownload "sétup.exe" (16 bytes)`,
		`6 1 text/plain notes.txt attachment 11 nil nil part text/plain "notes.txt" (11 bytes)`,
		"2 sétup.exe MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00 small notes",
		"café <p>café</p> café caf=E9",
		"true false",
		// sha256 of the 12 decoded bytes; the HTML read as Latin-1 on request
		"d930a77b4e5a6df96f8be687f754be90fa6da7939406d214814a80393847ce1b 12 <p>cafÃ©</p> base64 iso-8859-1 XX",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if loads != 1 {
		t.Errorf("the body was fetched %d times, want once", loads)
	}
	if m.Changed() {
		t.Error("reading parts changed the message")
	}
}

func TestPartsHeaderOnlyNeverFetches(t *testing.T) {
	s := compile(t, `function skip(msg) return msg:header("Subject") == "x" end`)
	if !s.Chain().Skips[0].Hook.(hooks.HeaderOnly).HeaderOnly() {
		t.Error("a header-only script is not HeaderOnly")
	}
	for _, w := range []string{"parts", "attachments", "text", "html"} {
		s := compile(t, fmt.Sprintf(`function skip(msg) return msg:%s() == nil end`, w))
		if s.Chain().Skips[0].Hook.(hooks.HeaderOnly).HeaderOnly() {
			t.Errorf("a script calling msg:%s() is HeaderOnly", w)
		}
	}
	st := compile(t, `function skip(msg) return #msg.structure > 1 end`)
	if !st.Chain().Skips[0].Hook.(hooks.WantsStructure).WantsStructure() || !st.Chain().Skips[0].Hook.(hooks.HeaderOnly).HeaderOnly() {
		t.Error("a structure script: WantsStructure and HeaderOnly expected")
	}
}

func TestStructureField(t *testing.T) {
	var got []string
	s := compile(t, `
function skip(msg)
  for _, p in ipairs(msg.structure) do
    log.info(p.index, p.depth, p.content_type, p.filename, p.size)
  end
end`, logLines(&got))
	loads := 0
	m := newMsg(mimeRaw, &loads)
	m.Structure = []hooks.StructurePart{{ContentType: "multipart/mixed", Depth: 0}, {ContentType: "application/x-msdownload", Filename: "setup.exe", Size: 20 << 20, Depth: 1}}
	if _, err := s.Chain().Skips[0].Hook.Skip(m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "1 0 multipart/mixed nil 0|2 1 application/x-msdownload setup.exe 20971520" || loads != 0 {
		t.Errorf("server structure: %q, %d loads", got, loads)
	}
	// without a BODYSTRUCTURE, from the parsed message
	got = nil
	m = newMsg(mimeRaw, &loads)
	if _, err := s.Chain().Skips[0].Hook.Skip(m); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[4] != "5 1 application/x-msdownload sétup.exe 16" || loads != 1 {
		t.Errorf("parsed structure: %q, %d loads", got, loads)
	}
}

func TestPartRewrites(t *testing.T) {
	for _, c := range []struct {
		name, src string
		check     func(t *testing.T, out string)
	}{
		{"nothing changed", `function rewrite(msg) for _, p in ipairs(msg:parts()) do p:body() end msg:set_header("Subject", "files") end`,
			func(t *testing.T, out string) {
				if out != mimeRaw {
					t.Error("bytes changed")
				}
			}},
		{"remove", `function rewrite(msg) msg:attachments()[1]:remove() end`,
			func(t *testing.T, out string) {
				i := strings.Index(mimeRaw, "--XX\r\nContent-Type: application/x-msdownload")
				j := strings.Index(mimeRaw, "--XX\r\nContent-Type: text/plain; name=notes.txt")
				if out != mimeRaw[:i]+mimeRaw[j:] {
					t.Errorf("got\n%s", out)
				}
			}},
		{"remove with a note and a header", `function rewrite(msg)
  local a = msg:attachments()[1]
  a:remove("setup.exe was removed")
  msg:set_header("X-Removed", a.filename)
end`,
			func(t *testing.T, out string) {
				if !strings.HasPrefix(out, "X-Removed: =?utf-8?q?s=C3=A9tup.exe?=\r\nMessage-ID:") || !strings.Contains(out, "Content-Disposition: inline\r\n\r\nsetup.exe was removed\r\n\r\n--XX\r\nContent-Type: text/plain; name=notes.txt") {
					t.Errorf("got\n%s", out)
				}
				if !strings.Contains(out, "DKIM-Signature: v=1; d=example.org;\r\n\tb=xyz\r\n") {
					t.Error("DKIM header changed")
				}
			}},
		{"replace and set_header", `function rewrite(msg)
  local p = msg:parts()
  p[3]:replace("text/plain", "plain ascii")
  p[6]:set_header("Content-Description", "notes")
end`,
			func(t *testing.T, out string) {
				if !strings.Contains(out, "--YY\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nplain ascii\r\n--YY\r\n") ||
					!strings.Contains(out, "--XX\r\nContent-Description: notes\r\nContent-Type: text/plain; name=notes.txt") {
					t.Errorf("got\n%s", out)
				}
			}},
		{"add_attachment and set_html", `function rewrite(msg)
  local a = msg:add_attachment("list.csv", "text/csv", "a,b\n1,2\n")
  assert(a.filename == "list.csv" and a.index == 7, a.index)
  msg:set_html("<p>new</p>")
end`,
			func(t *testing.T, out string) {
				if !strings.Contains(out, "Content-Disposition: attachment; filename=list.csv\r\n\r\na,b\r\n1,2\r\n\r\n--XX--\r\n") ||
					!strings.Contains(out, "--YY\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>new</p>\r\n--YY--") {
					t.Errorf("got\n%s", out)
				}
			}},
		{"set_text on HTML only", `function rewrite(msg) msg:set_text(re.gsub(msg:html(), "<[^>]*>", "")) end`,
			func(t *testing.T, out string) {
				if !strings.Contains(out, "Content-Type: multipart/alternative;") || !strings.Contains(out, "Content-Transfer-Encoding: 7bit\r\n\r\nhi\r\n") {
					t.Errorf("got\n%s", out)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := mimeRaw
			if c.name == "set_text on HTML only" {
				raw = "From: a@b\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\r\n"
			}
			s := compile(t, c.src)
			c.check(t, rewriteOne(t, s, newMsg(raw, nil)))
		})
	}
}

func TestPartChangesOnlyInRewrite(t *testing.T) {
	for _, call := range []string{
		`msg:parts()[2]:remove()`, `msg:parts()[2]:replace("text/plain", "x")`, `msg:parts()[2]:set_header("X", "y")`,
		`msg:add_attachment("a", "text/plain", "x")`, `msg:set_text("x")`, `msg:set_html("x")`,
	} {
		s := compile(t, "function skip(msg) "+call+" end")
		_, err := s.Chain().Skips[0].Hook.Skip(newMsg(mimeRaw, nil))
		if err == nil || !strings.Contains(err.Error(), "can only be called in rewrite, not in skip") {
			t.Errorf("%s in skip: %v", call, err)
		}
	}
	s := compile(t, `
local kept
function rewrite(msg)
  if kept then kept:body() end
  kept = msg:parts()[2]
  kept:remove()
  kept:remove()
end`)
	err := s.Chain().Rewrites[0].Hook.Rewrite(newMsg(mimeRaw, nil))
	if err == nil || !strings.Contains(err.Error(), "the part was removed") {
		t.Errorf("removing twice: %v", err)
	}
	s = compile(t, `
local kept
function rewrite(msg)
  if kept then kept:body() end
  kept = msg:parts()[2]
end`)
	s.Chain().Rewrites[0].Hook.Rewrite(newMsg(mimeRaw, nil))
	err = s.Chain().Rewrites[0].Hook.Rewrite(newMsg(mimeRaw, nil))
	if err == nil || !strings.Contains(err.Error(), "only valid during the hook call") {
		t.Errorf("a part kept from an earlier call: %v", err)
	}
	s = compile(t, `function rewrite(msg) msg:parts() msg:set_body("x") end`)
	if err := s.Chain().Rewrites[0].Hook.Rewrite(newMsg(mimeRaw, nil)); err == nil {
		t.Error("set_body after parts accepted")
	}
}
