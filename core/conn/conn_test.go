package conn

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestAppendUID(t *testing.T) {
	for _, tc := range []struct {
		text     string
		validity uint32
		uids     []uint32
	}{
		{"[APPENDUID 38505 3955] APPEND completed", 38505, []uint32{3955}},
		{"[APPENDUID 1 5:7] done", 1, []uint32{5, 6, 7}},
		{"[appenduid 9 5,9,11:12] ok", 9, []uint32{5, 9, 11, 12}},
		{"APPEND completed", 0, nil},
		{"[APPENDUID 1 7:5] backwards", 1, nil},
		{"[APPENDUID 1 x] junk", 1, nil},
		{"[APPENDUID 1] short", 0, nil},
	} {
		v, uids := appendUID(tc.text)
		if v != tc.validity || !slices.Equal(uids, tc.uids) {
			t.Errorf("appendUID(%q) = %d %v, want %d %v", tc.text, v, uids, tc.validity, tc.uids)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:      `"plain"`,
		`a"b\c`:      `"a\"b\\c"`,
		"with\r\nlf": "",
		"8bit\xe9":   "",
	} {
		got, ok := quote(in)
		if (want == "") == ok || got != want {
			t.Errorf("quote(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestTraceMasksCredentials feeds a go-imap style conversation through
// the trace streams: LOGIN and AUTHENTICATE arguments, SASL responses and
// every known secret are masked, literals abbreviated.
func TestTraceMasksCredentials(t *testing.T) {
	var buf bytes.Buffer
	tr := newTracer(&buf, "Host1", []string{"s3cr3t-pw", "tok-abc-123"})
	w := newWireConn(nil, nil, 0, tr)
	w.out.feed([]byte("T1 LOGIN \"joe\" \"s3cr3t-pw\"\r\nT2 AUTHENTICATE XOAUTH2\r\n"))
	w.in.feed([]byte("+ \r\n"))
	w.out.feed([]byte("dXNlcj1qb2UBYXV0aD1CZWFyZXIgdG9rLWFiYy0xMjMBAQ==\r\n"))
	w.in.feed([]byte("T2 OK done\r\n* 1 FETCH (BODY[] {11}\r\nhello world)\r\n"))
	w.out.feed([]byte("T3 NOOP tok-abc-123\r\n"))
	out := buf.String()
	for _, secret := range []string{"s3cr3t-pw", "tok-abc-123", "dXNlcj1qb2U", "hello world"} {
		if strings.Contains(out, secret) {
			t.Errorf("trace shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"Host1 C: T1 LOGIN MASKED", "Host1 C: MASKED", "<11 bytes>", "Host1 C: T3 NOOP MASKED"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

// TestPendingCounting checks the command/response accounting that drives
// the inactivity timeout: a command counts from its first line, even when
// a literal follows, and its tagged answer ends it.
func TestPendingCounting(t *testing.T) {
	w := newWireConn(nil, nil, 0, newTracer(nil, "Host2", nil))
	steps := []struct {
		in, out string
		pending int
	}{
		{out: "A1 APPEND INBOX {5}\r\n", pending: 1},
		{in: "+ go\r\n", pending: 1},
		{out: "hello\r\n", pending: 1},
		{out: "A2 NOOP\r\n", pending: 2},
		{in: "* 3 EXISTS\r\nA1 OK [APPENDUID 1 3] done\r\n", pending: 1},
		{in: "A2 OK\r\n", pending: 0},
	}
	for i, s := range steps {
		if s.out != "" {
			w.out.feed([]byte(s.out))
		}
		if s.in != "" {
			w.in.feed([]byte(s.in))
		}
		if w.pending != s.pending {
			t.Fatalf("step %d: pending %d, want %d", i, w.pending, s.pending)
		}
	}
}
