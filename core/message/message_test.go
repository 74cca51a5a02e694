package message

import (
	"bytes"
	"strings"
	"testing"
)

const sample = "Received: from mx.example.org\r\n" +
	"\tby mail.example.org; Tue, 2 Mar 2021 10:00:00 +0000\r\n" +
	"Message-ID: <a1@example.org>\r\n" +
	"Subject : =?iso-8859-1?q?caf=E9?= ok\r\n" +
	"X-Raw: \xe9t\xe9 \x00\r\n" +
	"subject: second\r\n" +
	"From: Ana <ana@example.org>\r\n" +
	"\r\n" +
	"body\r\n\r\nmore\r\n"

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ raw, header string }{
		{"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\n", "A: 1\r\nB: 2\r\n\r\n"},
		{"A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\n\n"},
		{"A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n"},
		{"A: 1", "A: 1"},
		{"\r\nbody", "\r\n"},
		{"\nbody", "\n"},
		{"", ""},
		{"A: 1\r\n\nbody", "A: 1\r\n\n"},
	} {
		h, b := Split([]byte(tc.raw))
		if string(h) != tc.header || string(h)+string(b) != tc.raw {
			t.Errorf("Split(%q) = %q, %q", tc.raw, h, b)
		}
	}
}

func TestUnchangedIsTheSameSlice(t *testing.T) {
	block, _ := Split([]byte(sample))
	h := Parse(block)
	h.Get("Subject")
	h.Values("Received")
	if err := h.Set("Message-ID", "<a1@example.org>"); err != nil {
		t.Fatal(err)
	}
	out := h.Bytes()
	if h.Changed() || &out[0] != &block[0] || len(out) != len(block) {
		t.Fatalf("unchanged header re-serialised: changed=%v %q", h.Changed(), out)
	}
}

func TestGet(t *testing.T) {
	block, _ := Split([]byte(sample))
	h := Parse(block)
	for _, tc := range []struct{ name, want string }{
		{"received", "from mx.example.org\tby mail.example.org; Tue, 2 Mar 2021 10:00:00 +0000"},
		{"SUBJECT", "=?iso-8859-1?q?caf=E9?= ok"},
		{"x-raw", "\xe9t\xe9 \x00"},
		{"from", "Ana <ana@example.org>"},
	} {
		if got, ok := h.Get(tc.name); !ok || got != tc.want {
			t.Errorf("Get(%q) = %q, %v", tc.name, got, ok)
		}
	}
	if _, ok := h.Get("Date"); ok {
		t.Error("Get(Date) found a field")
	}
	if got := h.Values("subject"); len(got) != 2 || got[1] != "second" {
		t.Errorf("Values(subject) = %q", got)
	}
	if got := h.Subject(); got != "café ok" {
		t.Errorf("Subject() = %q", got)
	}
	if got := strings.Join(h.Names(), ","); got != "Received,Message-ID,Subject,X-Raw,subject,From" {
		t.Errorf("Names() = %s", got)
	}
}

func TestSetKeepsOtherBytes(t *testing.T) {
	block, body := Split([]byte(sample))
	h := Parse(block)
	if err := h.Set("Subject", "Été 2021"); err != nil {
		t.Fatal(err)
	}
	if err := h.Add("X-Migrated-From", "imap.example.org"); err != nil {
		t.Fatal(err)
	}
	want := "X-Migrated-From: imap.example.org\r\n" +
		"Received: from mx.example.org\r\n" +
		"\tby mail.example.org; Tue, 2 Mar 2021 10:00:00 +0000\r\n" +
		"Message-ID: <a1@example.org>\r\n" +
		"Subject: =?utf-8?q?=C3=89t=C3=A9_2021?=\r\n" +
		"X-Raw: \xe9t\xe9 \x00\r\n" +
		"From: Ana <ana@example.org>\r\n" +
		"\r\n"
	if got := string(h.Bytes()); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if h.Subject() != "Été 2021" {
		t.Errorf("Subject() = %q", h.Subject())
	}
	if string(body) != "body\r\n\r\nmore\r\n" {
		t.Errorf("body %q", body)
	}
}

func TestSetAbsentAddsAtTopAndLF(t *testing.T) {
	h := Parse([]byte("From: a@b\nTo: c@d\n\n"))
	if err := h.Set("Date", "Tue, 2 Mar 2021 10:00:00 +0000"); err != nil {
		t.Fatal(err)
	}
	if n := h.Del("to"); n != 1 {
		t.Errorf("Del(to) = %d", n)
	}
	if got := string(h.Bytes()); got != "Date: Tue, 2 Mar 2021 10:00:00 +0000\nFrom: a@b\n\n" {
		t.Errorf("got %q", got)
	}
	if h.EOL() != "\n" {
		t.Errorf("EOL %q", h.EOL())
	}
}

func TestNoTerminatingLine(t *testing.T) {
	h := Parse([]byte("From: a@b\r\nSubject: x"))
	if err := h.Set("Subject", "y"); err != nil {
		t.Fatal(err)
	}
	if got := string(h.Bytes()); got != "From: a@b\r\nSubject: y" {
		t.Errorf("got %q", got)
	}
	h = Parse([]byte("Subject: x"))
	h.Add("A", "1")
	if got := string(h.Bytes()); got != "A: 1\r\nSubject: x" {
		t.Errorf("got %q", got)
	}
}

func TestMalformedLinesKept(t *testing.T) {
	in := " leading continuation\r\nnot a field\r\nFrom x@y Tue Mar  2 10:00:00 2021\r\nA: 1\r\n\r\n"
	h := Parse([]byte(in))
	h.Add("B", "2")
	if got := string(h.Bytes()); got != "B: 2\r\n"+in {
		t.Errorf("got %q", got)
	}
	if h.Has("not a field") || h.Has("From x@y Tue Mar  2 10") {
		t.Error("a malformed line matched a name")
	}
}

func TestValues(t *testing.T) {
	h := Parse([]byte("A: 1\r\n\r\n"))
	for _, tc := range []struct {
		name, value string
		ok          bool
		want        string
	}{
		{"X-Note", "line\r\n\tfolded", true, "X-Note: line\r\n\tfolded\r\n"},
		{"X-Note", "a\nb", false, ""},
		{"X-Note", "a\r\nBcc: evil@example.org", false, ""},
		{"X-Note", "a\rb", false, ""},
		{"Bad Name", "x", false, ""},
		{"", "x", false, ""},
		{"From", "Zoé <zoe@example.org>", true, "From: Zoé <zoe@example.org>\r\n"},
		{"X-Label", "déjà vu", true, "X-Label: =?utf-8?q?d=C3=A9j=C3=A0_vu?=\r\n"},
		{"X-Empty", "", true, "X-Empty:\r\n"},
	} {
		f, err := h.newField(tc.name, tc.value)
		if (err == nil) != tc.ok || (tc.ok && string(f.raw) != tc.want) {
			t.Errorf("newField(%q, %q) = %q, %v", tc.name, tc.value, f.raw, err)
		}
	}
}

func TestFold(t *testing.T) {
	long := strings.Repeat("word ", 40)
	h := Parse(nil)
	h.Add("Subject", long)
	out := string(h.Bytes())
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > maxLine {
			t.Errorf("line of %d: %q", len(l), l)
		}
	}
	if v, _ := h.Get("subject"); v != strings.TrimSpace(long) {
		t.Errorf("unfolded %q", v)
	}
	nonASCII := strings.Repeat("é", 60)
	h = Parse(nil)
	h.Add("Subject", nonASCII)
	if h.Subject() != nonASCII {
		t.Errorf("encoded subject decodes to %q", h.Subject())
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(h.Bytes()), "\r\n"), "\r\n") {
		if len(l) > len("Subject: ")+75 { // one encoded word is at most 75 long
			t.Errorf("line of %d: %q", len(l), l)
		}
	}
	word := strings.Repeat("x", 200)
	if got := fold(9, word); len(got) != 1 {
		t.Errorf("a long word was split: %q", got)
	}
}

func TestDecode(t *testing.T) {
	for in, want := range map[string]string{
		"=?UTF-8?B?w6l0w6k=?=":               "été",
		"=?windows-1252?q?=80uro?=":          "€uro",
		"plain":                              "plain",
		"=?x-unknown?q?abc?=":                "=?x-unknown?q?abc?=",
		"=?utf-8?q?a?= =?utf-8?q?b?=":        "ab",
		"Re: =?ISO-8859-15?Q?=A4?= and more": "Re: € and more",
		"=?utf-8?q?unterminated":             "=?utf-8?q?unterminated",
		"=?utf-8?b?!!!?=":                    "=?utf-8?b?!!!?=",
		"=?koi8-r?b?8NLJ18XU?=":              "Привет",
		"=?iso-2022-jp?b?GyRCJEokcxsoQg==?=": "なん",
	} {
		if got := Decode(in); got != want {
			t.Errorf("Decode(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRoundTrip checks that parsing and an edit undone give back the exact
// input bytes, whatever they are.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{sample, "A: 1\nB: 2\n\nx", "A", "\r\n", " x\r\n", "A: 1\r\n b\r", "A:\r\n\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		block, _ := Split(raw)
		if !bytes.Equal(Parse(block).Bytes(), block) {
			t.Fatalf("unchanged round trip differs for %q", block)
		}
		if bytes.Contains(bytes.ToLower(block), []byte("x-fuzz-probe")) {
			return
		}
		h := Parse(block)
		if err := h.Add("X-Fuzz-Probe", "1"); err != nil {
			t.Fatal(err)
		}
		if h.Size() != len(h.Bytes()) {
			t.Fatalf("Size %d, Bytes %d", h.Size(), len(h.Bytes()))
		}
		h.Del("X-Fuzz-Probe")
		if got := h.Bytes(); !bytes.Equal(got, block) {
			t.Fatalf("add+del round trip of %q gave %q", block, got)
		}
	})
}
