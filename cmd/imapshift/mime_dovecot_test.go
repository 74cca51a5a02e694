package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/dovecot"
)

// TestDovecotMIMEScripts syncs with strip_attachments.lua (its threshold
// lowered), normalise_encodings.lua and skip_by_attachment_type.lua
// together: the message with an .exe is skipped on Dovecot's
// BODYSTRUCTURE; the message with a large
// attachment and the one with undeclared Latin-1 text arrive rewritten
// exactly as expected, changed parts only (DKIM headers, other parts,
// preamble and epilogue byte for byte); the others arrive byte-exact; a
// rerun copies nothing.
func TestDovecotMIMEScripts(t *testing.T) {
	d1 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutFS})
	d2 := dovecot.StartT(t, dovecot.Options{Layout: dovecot.LayoutMaildirPP})
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	dkim := "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=s1;\n\th=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\tb=dGVzdA==\n"
	pdf := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("%PDF-1.4 not really a pdf\n", 200)))
	var pdfLines strings.Builder
	for len(pdf) > 76 {
		pdfLines.WriteString(pdf[:76] + "\n")
		pdf = pdf[76:]
	}
	pdfLines.WriteString(pdf + "\n")
	pdfPart := "Content-Type: application/pdf; name=\"scan.pdf\"\nContent-Disposition: attachment; filename=\"scan.pdf\"\nContent-Transfer-Encoding: base64\n\n" + pdfLines.String()
	big := crlf("Message-ID: <big@example.net>\n" + dkim + "From: Ana <ana@example.net>\nSubject: scans\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"out\"\n\n" +
		"preamble kept\n--out\nContent-Type: text/plain; charset=utf-8\n\nHere are the scans.\n--out\n" + pdfPart +
		"--out\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment; filename=notes.txt\n\nnotes\n--out--\nepilogue kept\n")
	latin := crlf("Message-ID: <latin@example.net>\n" + dkim + "From: Jose <jose@example.es>\nSubject: factura\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=alt\n\n" +
		"--alt\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nBuenos d\xedas\n--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Buenos d\xc3\xadas</p>\n--alt--\n")
	plain := crlf("Message-ID: <plain@example.net>\n" + dkim + "From: Ana <ana@example.net>\nSubject: hello\n\nJust text.\n")
	small := crlf("Message-ID: <small@example.net>\n" + dkim + "From: Ana <ana@example.net>\nSubject: small file\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nUn caf\xe9.\n--b\nContent-Type: image/png; name=dot.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n")
	exe := crlf("Message-ID: <exe@example.net>\nFrom: Eve <eve@example.net>\nSubject: invoice\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\n\nopen it\n--b\nContent-Type: application/octet-stream; name*=utf-8''factura%C3%A7.exe\nContent-Disposition: attachment; filename*=utf-8''factura%C3%A7.exe\nContent-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n--b--\n")
	date := time.Date(2021, 3, 2, 10, 0, 0, 0, time.UTC)
	var msgs []dovecot.Message
	for _, m := range []string{big, latin, plain, small, exe} {
		msgs = append(msgs, dovecot.Message{Raw: []byte(m), Date: date})
	}
	if err := d1.SeedMany("user1", []dovecot.Folder{{Name: "INBOX", Msgs: msgs}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile("../../scripts/strip_attachments.lua")
	if err != nil {
		t.Fatal(err)
	}
	strip := filepath.Join(dir, "strip_attachments.lua")
	lowered := strings.Replace(string(src), "local MAX_BYTES = 10 * 1024 * 1024", "local MAX_BYTES = 2048", 1)
	if err := os.WriteFile(strip, []byte(lowered), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"--nofoldersizes", "--nolog", "--tmpdir", t.TempDir(),
		"--script", strip, "--script", "../../scripts/normalise_encodings.lua", "--script", "../../scripts/skip_by_attachment_type.lua"},
		dovecotSide(1, d1, "user1", "secret1", "--notls1")...), dovecotSide(2, d2, "user1", "secret1", "--notls2")...)
	code, out := imapshift(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// the .exe is skipped on Dovecot's BODYSTRUCTURE (RFC 2231 name decoded)
	if !strings.Contains(out, "skipped by ../../scripts/skip_by_attachment_type.lua (attachment facturaç.exe is an executable (.exe))") {
		t.Errorf("the .exe message is not skipped by its structure:\n%s", out)
	}
	note := crlf("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nContent-Disposition: inline\n\n" +
		"The attachment \"scan.pdf\" (application/pdf, about 6 KB) was removed when this mailbox was migrated.\n")
	want := map[string]bool{
		"X-Attachments-Removed: scan.pdf\r\n" + strings.Replace(big, crlf(pdfPart), note+"\r\n", 1): true, // the line break before the next delimiter stays
		strings.Replace(latin, "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBuenos d\xedas",
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nBuenos d=C3=ADas", 1): true,
		plain: true,
		small: true,
	}
	got := scriptTestMessages(t, dovecotClient(t, d2, "user1", "secret1"), "INBOX")
	if len(got) != len(want) {
		t.Fatalf("host2 INBOX has %d messages, want %d\n%s", len(got), len(want), out)
	}
	for _, m := range got {
		if !want[m] {
			t.Errorf("unexpected message on host2:\n%q", m)
		}
		if !strings.Contains(m, crlf(dkim)) {
			t.Errorf("DKIM-Signature not kept byte for byte:\n%.300s", m)
		}
		delete(want, m)
	}
	for m := range want {
		t.Errorf("missing on host2:\n%q", m)
	}
	code, out = imapshift(t, args...)
	if code != 0 || !strings.Contains(out, "Messages transferred                    : 0") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}
