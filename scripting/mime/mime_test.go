package mime

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

const mixed = `From: a@example.net
DKIM-Signature: v=1; a=rsa-sha256; d=example.net;
	b=abc
Subject: test
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

preamble text
--XX
Content-Type: multipart/alternative; boundary=YY

--YY
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

caf=E9 cr=E8me=
 br=FBl=E9e
--YY
Content-Type: text/html; charset=utf-8

<p>café</p>
--YY--
--XX
Content-Type: application/pdf; name="=?utf-8?q?r=C3=A9sum=C3=A9.pdf?="
Content-Disposition: attachment;
 filename*0*=utf-8''r%C3%A9sum;
 filename*1*=%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--XX
Content-Type: image/png; name=dot.png
Content-Transfer-Encoding: base64

iVBORw0K
--XX--
epilogue
`

// tree renders a tree as one line per part.
func tree(p *Part) string {
	var b strings.Builder
	for _, q := range p.Walk() {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", q.Depth()), q.MediaType())
		if f := q.Filename(); f != "" {
			fmt.Fprintf(&b, " %q", f)
		}
		if q.IsAttachment() {
			b.WriteString(" attachment")
		}
		if q.Opaque() {
			b.WriteString(" opaque")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestParseTree(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		raw := []byte(strings.ReplaceAll(mixed, "\n", eol))
		p := Parse(raw)
		want := `multipart/mixed
  multipart/alternative
    text/plain
    text/html
  application/pdf "résumé.pdf" attachment
  image/png "dot.png" attachment
`
		if got := tree(p); got != want {
			t.Errorf("eol %q: tree\n%s\nwant\n%s", eol, got, want)
		}
		if got := p.Write(); !bytes.Equal(got, raw) {
			t.Errorf("eol %q: unchanged write differs", eol)
		}
		parts := p.Walk()
		text, _ := parts[2].Text("")
		if string(text) != "café crème brûlée" || parts[2].Charset() != "iso-8859-1" {
			t.Errorf("eol %q: text/plain decoded %q", eol, text)
		}
		pdf, err := parts[4].Text("")
		if string(pdf) != "%PDF-1.4\n" || err != nil {
			t.Errorf("pdf decoded %q, %v", pdf, err)
		}
		if got := string(parts[4].Raw()); got != "JVBERi0xLjQK" || parts[4].BodySize() != len(got) {
			t.Errorf("pdf raw %q", got)
		}
		if d, dp := parts[4].Disposition(); d != "attachment" || dp["filename"] != "résumé.pdf" {
			t.Errorf("disposition %q %v", d, dp)
		}
	}
}

func TestParseValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		typ  string
		want map[string]string
	}{
		{`text/plain`, "text/plain", map[string]string{}},
		{`Text/HTML; Charset="UTF-8"`, "text/html", map[string]string{"charset": "UTF-8"}},
		{`attachment; filename="a \"b\".txt"; size=12`, "attachment", map[string]string{"filename": `a "b".txt`, "size": "12"}},
		{`attachment; filename*=iso-8859-1'fr'caf%E9.txt`, "attachment", map[string]string{"filename": "café.txt"}},
		{`attachment; filename*0="long"; filename*1="name.txt"`, "attachment", map[string]string{"filename": "longname.txt"}},
		{`application/pdf; name==?ISO-8859-1?Q?caf=E9.pdf?=`, "application/pdf", map[string]string{"name": "café.pdf"}},
		{`application/pdf; name=two words.pdf; ;x`, "application/pdf", map[string]string{"name": "two words.pdf"}},
		{`multipart/mixed; boundary="unterminated`, "multipart/mixed", map[string]string{"boundary": "unterminated"}},
		{`attachment; filename*=bogus-charset''a%ZZ`, "attachment", map[string]string{"filename": "a%ZZ"}},
	} {
		typ, got := ParseValue(c.in)
		if typ != c.typ || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ParseValue(%q) = %q %v, want %q %v", c.in, typ, got, c.typ, c.want)
		}
	}
}

func TestDecodeBodies(t *testing.T) {
	for _, c := range []struct {
		name, hdr, body, want string
		err                   bool
	}{
		{"7bit", "Content-Type: text/plain\n", "hello\n", "hello\n", false},
		{"qp soft breaks", "Content-Transfer-Encoding: quoted-printable\n", "a=3Db=\nc =\n", "a=bc ", false},
		{"qp stray =", "Content-Transfer-Encoding: Quoted-Printable\n", "1+1=2 =ZZ\n", "1+1=2 =ZZ\n", false},
		{"base64 lines", "Content-Transfer-Encoding: base64\n", "aGVs\nbG8=\n", "hello", false},
		{"bad base64", "Content-Transfer-Encoding: base64\n", "aGVs*bG8\n", "hello", true},
		{"truncated base64", "Content-Transfer-Encoding: base64\n", "aGVsbG8gd\n", "hello ", true},
		{"windows-1252", "Content-Type: text/plain; charset=windows-1252\n", "\x93quoted\x94\n", "“quoted”\n", false},
		{"unknown charset", "Content-Type: text/plain; charset=x-klingon\n", "caf\xe9\n", "caf\xe9\n", true},
		{"koi8-r", "Content-Type: text/plain; charset=koi8-r\n", "\xf0\xd2\xc9\xd7\xc5\xd4\n", "Привет\n", false},
	} {
		p := Parse([]byte(c.hdr + "\n" + c.body))
		got, err := p.Text("")
		if string(got) != c.want || (err != nil) != c.err {
			t.Errorf("%s: %q, %v; want %q (error %v)", c.name, got, err, c.want, c.err)
		}
	}
	p := Parse([]byte("Content-Type: text/plain; charset=us-ascii\n\ncaf\xe9\n"))
	if got, _ := p.Text("iso-8859-1"); string(got) != "café\n" {
		t.Errorf("charset override: %q", got)
	}
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name, raw, tree string
	}{
		{"no closing delimiter", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo\n",
			"multipart/mixed\n  text/plain\n  text/html\n"},
		{"no delimiter at all", "Content-Type: multipart/mixed; boundary=b\n\njust text\n", "multipart/mixed\n"},
		{"no boundary", "Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n", "multipart/mixed\n"},
		{"part without header or blank line", "Content-Type: multipart/mixed; boundary=b\n\n--b\nno header here\n--b--\n", "multipart/mixed\n  text/plain\n"},
		{"longer boundary lines are content", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n--b  \n\ny\n--b--  \nafter\n--b\n",
			"multipart/mixed\n  text/plain\n  text/plain\n"},
		{"close first", "Content-Type: multipart/mixed; boundary=b\n\n--b--\n--b\n\nx\n", "multipart/mixed\n"},
		{"empty", "", "text/plain\n"},
		{"digest", "Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: x\n\nbody\n--b--\n", "multipart/digest\n  message/rfc822\n"},
	} {
		p := Parse([]byte(c.raw))
		if got := tree(p); got != c.tree {
			t.Errorf("%s: tree\n%s\nwant\n%s", c.name, got, c.tree)
		}
		if !bytes.Equal(p.Write(), []byte(c.raw)) {
			t.Errorf("%s: write differs", c.name)
		}
	}
	p := Parse([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo\n"))
	if got, _ := p.Walk()[2].Text(""); string(got) != "two\n" {
		t.Errorf("last part without closing delimiter: %q", got)
	}
}

// nested builds n levels of multiparts around a text part.
func nested(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\n\ndeep\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return []byte(b.String())
}

func TestLimits(t *testing.T) {
	raw := nested(200)
	p := Parse(raw)
	parts := p.Walk()
	if len(parts) != MaxDepth+1 || !parts[MaxDepth].Opaque() || parts[MaxDepth].Depth() != MaxDepth {
		t.Fatalf("200 levels: %d parts, last opaque %v depth %d", len(parts), parts[len(parts)-1].Opaque(), parts[len(parts)-1].Depth())
	}
	if !bytes.Equal(p.Write(), raw) {
		t.Error("200 levels: write differs")
	}
	// a change above the limit keeps the opaque bytes
	parts[3].SetHeader("X-Seen", "yes")
	if out := p.Write(); !bytes.Contains(out, []byte("X-Seen: yes\n")) || len(out) != len(raw)+len("X-Seen: yes\n") {
		t.Errorf("change above the depth limit: %d bytes", len(out))
	}

	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\n\n")
	for i := range 1500 {
		fmt.Fprintf(&b, "--b\nContent-Type: text/plain; name=f%d.txt\n\n%d\n", i, i)
	}
	b.WriteString("--b--\nepilogue\n")
	raw = []byte(b.String())
	p = Parse(raw)
	parts = p.Walk()
	if len(parts) != MaxParts || !p.Opaque() {
		t.Fatalf("1500 parts: %d listed, opaque %v", len(parts), p.Opaque())
	}
	if !bytes.Equal(p.Write(), raw) {
		t.Error("1500 parts: write differs")
	}
	if err := parts[10].Remove(""); err != nil {
		t.Fatal(err)
	}
	out := string(p.Write())
	if strings.Contains(out, "f9.txt\n\n9\n--b\nContent-Type: text/plain; name=f10.txt") || !strings.Contains(out, "name=f1499.txt\n\n1499\n--b--\nepilogue\n") {
		t.Errorf("remove below the part limit: parts past the limit lost or part not removed")
	}
	if _, err := p.AddAttachment("x.bin", "application/octet-stream", []byte("x")); err != ErrOpaque {
		t.Errorf("add to an opaque multipart: %v", err)
	}
}

func TestRemoveKeepsOtherBytes(t *testing.T) {
	raw := crlf(mixed)
	p := Parse(raw)
	pdf := p.Walk()[4]
	if err := pdf.Remove(""); err != nil {
		t.Fatal(err)
	}
	out := p.Write()
	i := bytes.Index(raw, []byte("--XX\r\nContent-Type: application/pdf"))
	j := bytes.Index(raw, []byte("--XX\r\nContent-Type: image/png"))
	want := append(append([]byte{}, raw[:i]...), raw[j:]...)
	if !bytes.Equal(out, want) {
		t.Errorf("remove:\n%s", out)
	}
	if !pdf.Removed() || p.Walk()[1].Removed() {
		t.Error("Removed")
	}
	if err := pdf.Remove(""); err == nil {
		t.Error("a removed part removed twice")
	}
	// first child, with a note, and the root
	p = Parse(raw)
	if err := p.Remove(""); err != ErrRoot {
		t.Errorf("root: %v", err)
	}
	if err := p.Walk()[1].Remove("gone"); err != nil {
		t.Fatal(err)
	}
	out = p.Write()
	i = bytes.Index(raw, []byte("Content-Type: multipart/alternative"))
	j = bytes.Index(raw, []byte("\r\n--XX\r\nContent-Type: application/pdf"))
	want = append(append(append([]byte{}, raw[:i]...), "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nContent-Disposition: inline\r\n\r\ngone\r\n"...), raw[j:]...)
	if !bytes.Equal(out, want) {
		t.Errorf("remove with note:\n%q\nwant\n%q", out, want)
	}
	if got := tree(Parse(out)); got != "multipart/mixed\n  text/plain\n  application/pdf \"résumé.pdf\" attachment\n  image/png \"dot.png\" attachment\n" {
		t.Errorf("after the note: %s", got)
	}
}

func TestReplaceAndSetHeader(t *testing.T) {
	raw := crlf(mixed)
	p := Parse(raw)
	txt := p.Walk()[2]
	if err := txt.Replace("text/plain", []byte("plain ascii\n")); err != nil {
		t.Fatal(err)
	}
	if err := p.Walk()[3].Replace("text/html", []byte("<p>"+strings.Repeat("é", 20)+"</p>")); err != nil {
		t.Fatal(err)
	}
	if err := p.Walk()[5].Replace("application/octet-stream", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	out := Parse(p.Write())
	parts := out.Walk()
	for i, want := range []string{"", "", "plain ascii\r\n", "<p>" + strings.Repeat("é", 20) + "</p>", "%PDF-1.4\n", "\x00\x01\x02"} {
		if i < 2 {
			continue
		}
		if got, _ := parts[i].Text(""); string(got) != want {
			t.Errorf("part %d: %q, want %q", i, got, want)
		}
	}
	for i, enc := range map[int]string{2: "7bit", 3: "base64", 5: "base64"} {
		if parts[i].Encoding() != enc {
			t.Errorf("part %d encoding %s, want %s", i, parts[i].Encoding(), enc)
		}
	}
	if !bytes.Contains(p.Write(), raw[:bytes.Index(raw, []byte("--YY\r\nContent-Type: text/plain"))]) {
		t.Error("the message header or preamble changed")
	}
	// quoted-printable for mostly ASCII text
	p = Parse(raw)
	p.Walk()[2].Replace("text/plain", []byte("mostly ascii, one é\n"))
	if q := Parse(p.Write()).Walk()[2]; q.Encoding() != "quoted-printable" || !bytes.Contains(q.Raw(), []byte("=C3=A9")) {
		t.Errorf("qp: %s %q", q.Encoding(), q.Raw())
	}

	p = Parse(raw)
	p.Walk()[5].SetHeader("Content-Description", "a dot")
	p.SetHeader("X-Tag", "1")
	out2 := p.Write()
	want := string(raw)
	want = strings.Replace(want, "From:", "X-Tag: 1\r\nFrom:", 1)
	want = strings.Replace(want, "Content-Type: image/png", "Content-Description: a dot\r\nContent-Type: image/png", 1)
	if string(out2) != want {
		t.Errorf("set_header:\n%s", out2)
	}
	p.Walk()[5].SetHeader("Content-Description", "")
	if string(p.Write()) != strings.Replace(string(raw), "From:", "X-Tag: 1\r\nFrom:", 1) {
		t.Error("removing a field")
	}
}

func TestAddAttachmentAndBodies(t *testing.T) {
	raw := crlf(mixed)
	p := Parse(raw)
	np, err := p.AddAttachment("näme.txt", "text/plain", []byte("hi\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := p.Write()
	if !bytes.HasPrefix(out, raw[:bytes.Index(raw, []byte("\r\n--XX--"))]) {
		t.Error("adding changed what came before")
	}
	q := Parse(out)
	if got := tree(q); !strings.HasSuffix(got, "  text/plain \"näme.txt\" attachment\n") || np.Filename() != "näme.txt" {
		t.Errorf("after add_attachment:\n%s", got)
	}
	if !bytes.HasSuffix(out, []byte("hi\r\n\r\n--XX--\r\nepilogue\r\n")) {
		t.Errorf("tail: %q", out[len(out)-40:])
	}

	// a single-part message becomes multipart/mixed
	single := crlf("From: a@b\nSubject: s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nhello\n")
	p = Parse(single)
	if _, err := p.AddAttachment("a.bin", "application/octet-stream", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	q = Parse(p.Write())
	if got := tree(q); got != "multipart/mixed\n  text/plain\n  application/octet-stream \"a.bin\" attachment\n" {
		t.Errorf("wrapped:\n%s\n%s", got, p.Write())
	}
	if b, _ := q.Walk()[1].Text(""); string(b) != "hello\r\n" || q.Walk()[1].Encoding() != "8bit" {
		t.Errorf("moved body %q", b)
	}
	if v, _ := q.Header.Get("MIME-Version"); v != "1.0" || !strings.HasPrefix(string(p.Write()), "MIME-Version: 1.0\r\nFrom: a@b\r\nSubject: s\r\nContent-Type: multipart/mixed;") {
		t.Errorf("root header:\n%s", p.Write())
	}

	// set_text on an HTML-only message
	html := crlf("From: a@b\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>hi</p>\n")
	p = Parse(html)
	if p.Body("plain") != nil || p.Body("html") == nil {
		t.Fatal("Body")
	}
	if err := p.SetBody("plain", []byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	q = Parse(p.Write())
	if got := tree(q); got != "multipart/alternative\n  text/plain\n  text/html\n" {
		t.Errorf("set_text on html only:\n%s\n%s", got, p.Write())
	}
	// set_html next to a text body in a mixed message
	p = Parse(single)
	p.SetBody("html", []byte("<b>x</b>"))
	if got := tree(Parse(p.Write())); got != "multipart/alternative\n  text/plain\n  text/html\n" {
		t.Errorf("set_html on text only:\n%s", got)
	}
	p = Parse(raw)
	p.SetBody("plain", []byte("new"))
	q = Parse(p.Write())
	if b, _ := q.Body("plain").Text(""); string(b) != "new" {
		t.Errorf("set_text replaced: %q", b)
	}
	if !bytes.Equal(q.Walk()[3].src, Parse(raw).Walk()[3].src) {
		t.Error("the html part changed")
	}
	// neither body: a text part first in a mixed
	p = Parse(crlf("Content-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0K\n"))
	p.SetBody("plain", []byte("see the image"))
	if got := tree(Parse(p.Write())); got != "multipart/mixed\n  text/plain\n  image/png\n" {
		t.Errorf("set_text on an image:\n%s", got)
	}
}
