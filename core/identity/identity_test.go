package identity

import (
	"crypto/md5"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// perlKey is md5_base64 of s, computed independently of Key.
func perlKey(s string) string {
	sum := md5.Sum([]byte(s))
	return strings.TrimRight(base64.StdEncoding.EncodeToString(sum[:]), "=")
}

// constructed returns the string that Key hashes (imapsync's header_construct).
func constructed(o Options, header string) (string, bool) {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	if !o.collect(sc, []byte(header)) {
		return "", false
	}
	var b strings.Builder
	for _, s := range sc.spans {
		b.Write(sc.buf[s.start:s.end])
	}
	return b.String(), true
}

// TestHeaderLineNormalize: one field becomes "NAME: VALUE" in upper case,
// 8-bit bytes become X, blanks collapse, and --messageidnodomain cuts a
// Message-Id at its first @.
func TestHeaderLineNormalize(t *testing.T) {
	tests := []struct {
		name, key, val string
		nodomain       bool
		want           string
	}{
		{"empty", "", "", false, ": "},
		{"plain", "hhh", "vvv", false, "HHH: VVV"},
		{"leading blanks", "hhh", "  vvv", false, "HHH: VVV"},
		{"inner blanks", "hhh", "aa  bb   ccc d", false, "HHH: AA BB CCC D"},
		{"trailing blanks", "hhh", "vvv   ", false, "HHH: VVV"},
		{"tabs", "hhh", "a\tb\t\tc", false, "HHH: A B C"},
		{"tab edges", "hhh", "\tvvv\t", false, "HHH: VVV"},
		{"8-bit", "hhh", "\x80AB\xff", false, "HHH: XABX"},
		{"8-bit utf8", "Subject", "café", false, "SUBJECT: CAFXX"},
		{"other perl blanks", "hhh", "a\f\v\rb", false, "HHH: A B"},
		{"nodomain", "Message-Id", "<abc@example.com>", true, "MESSAGE-ID: <ABC"},
		{"nodomain any case", "MESSAGE-ID", "<abc@example.com>", true, "MESSAGE-ID: <ABC"},
		{"nodomain blank kept", "Message-ID", " <abc  @example.com>", true, "MESSAGE-ID: <ABC "},
		{"nodomain no at", "Message-Id", "<abc>", true, "MESSAGE-ID: <ABC>"},
		{"nodomain leading at", "Message-Id", "@x@y", true, "MESSAGE-ID: @X@Y"},
		{"nodomain other header", "Received", "from a@b", true, "RECEIVED: FROM A@B"},
		{"domain kept by default", "Message-Id", "<abc@example.com>", false, "MESSAGE-ID: <ABC@EXAMPLE.COM>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendLine(nil, []byte(tt.key), [][]byte{[]byte(tt.val)}, tt.nodomain && isMessageID([]byte(tt.key))))
			if got != tt.want {
				t.Errorf("appendLine(%q, %q) = %q, want %q", tt.key, tt.val, got, tt.want)
			}
		})
	}
}

// TestHeaderConstruct: the wanted fields of a header block, every occurrence,
// normalised, sorted and joined without a separator.
func TestHeaderConstruct(t *testing.T) {
	block := "key1: val1_key1\r\nkey2: val1_key2\r\nkey1: val3_key1\r\nkey1:  val2_key1\r\nkey3: val_key3\r\n\r\n"
	tests := []struct {
		name string
		opts Options
		want string
		ok   bool
	}{
		{"no wanted header", Options{UseHeaders: []string{"nope"}}, "", false},
		{"key1 sorted", Options{UseHeaders: []string{"KEY1"}},
			"KEY1: VAL1_KEY1KEY1: VAL2_KEY1KEY1: VAL3_KEY1", true},
		{"ALL", Options{UseHeaders: []string{"ALL"}},
			"KEY1: VAL1_KEY1KEY1: VAL2_KEY1KEY1: VAL3_KEY1KEY2: VAL1_KEY2KEY3: VAL_KEY3", true},
		{"all lowercase", Options{UseHeaders: []string{"key2", "all"}},
			"KEY1: VAL1_KEY1KEY1: VAL2_KEY1KEY1: VAL3_KEY1KEY2: VAL1_KEY2KEY3: VAL_KEY3", true},
		{"ALL skipheader key1", Options{UseHeaders: []string{"ALL"}, SkipHeader: mustSkip(t, "key1")},
			"KEY2: VAL1_KEY2KEY3: VAL_KEY3", true},
		{"skipheader drops everything", Options{UseHeaders: []string{"key1"}, SkipHeader: mustSkip(t, "^KEY1")},
			"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := constructed(tt.opts, block)
			if got != tt.want || ok != tt.ok {
				t.Errorf("constructed = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
			key, kok := tt.opts.Key([]byte(block), 0)
			if kok != tt.ok || (tt.ok && key != perlKey(tt.want)) {
				t.Errorf("Key = %q, %v; want %q, %v", key, kok, perlKey(tt.want), tt.ok)
			}
		})
	}
}

func mustSkip(t *testing.T, expr string) *regexp.Regexp {
	t.Helper()
	re, err := CompileSkipHeader(expr)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

const sampleHeader = "Return-Path: <alice@example.org>\r\n" +
	"Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n" +
	"\tby mail.example.net (Postfix) with ESMTPS id 4F1A2B3C\r\n" +
	"\tfor <bob@example.net>; Thu, 26 Nov 2026 00:07:03 +0000 (UTC)\r\n" +
	"Received: from [10.0.0.5] (client.example.org [198.51.100.7])\r\n" +
	"        by mx.example.org with ESMTPSA; Thu, 26 Nov 2026 00:07:01 +0000\r\n" +
	"Message-ID: <20261126000701.12345@example.org>\r\n" +
	"Date: Thu, 26 Nov 2026 00:07:01 +0000\r\n" +
	"From: Alice Émile <alice@example.org>\r\n" +
	"To: Bob <bob@example.net>\r\n" +
	"Subject: =?UTF-8?B?UmFwcG9ydCBkZSBsYSByw6l1bmlvbg==?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"\r\n"

const sampleConstructed = "MESSAGE-ID: <20261126000701.12345@EXAMPLE.ORG>" +
	"RECEIVED: FROM MX.EXAMPLE.ORG (MX.EXAMPLE.ORG [192.0.2.1]) BY MAIL.EXAMPLE.NET (POSTFIX) WITH ESMTPS ID 4F1A2B3C FOR <BOB@EXAMPLE.NET>; THU, 26 NOV 2026 00:07:03 +0000 (UTC)" +
	"RECEIVED: FROM [10.0.0.5] (CLIENT.EXAMPLE.ORG [198.51.100.7]) BY MX.EXAMPLE.ORG WITH ESMTPSA; THU, 26 NOV 2026 00:07:01 +0000"

func TestKey(t *testing.T) {
	def := Options{}
	want := perlKey(sampleConstructed)
	if got, _ := constructed(def, sampleHeader); got != sampleConstructed {
		t.Fatalf("constructed =\n%q\nwant\n%q", got, sampleConstructed)
	}
	lf := strings.ReplaceAll(sampleHeader, "\r\n", "\n")
	lower := strings.NewReplacer("Message-ID:", "message-id:", "Received:", "RECEIVED:").Replace(sampleHeader)
	reordered := "Message-ID: <20261126000701.12345@example.org>\r\n" +
		"Received: from [10.0.0.5] (client.example.org [198.51.100.7]) by mx.example.org with ESMTPSA; Thu, 26 Nov 2026 00:07:01 +0000\r\n" +
		"Received: from mx.example.org (mx.example.org [192.0.2.1]) by mail.example.net (Postfix) with ESMTPS id 4F1A2B3C for <bob@example.net>; Thu, 26 Nov 2026 00:07:03 +0000 (UTC)\r\n"
	tests := []struct {
		name   string
		opts   Options
		header string
		size   int64
		want   string
		ok     bool
	}{
		{"default CRLF", def, sampleHeader, 0, want, true},
		{"LF gives the same key", def, lf, 0, want, true},
		{"no trailing blank line", def, strings.TrimSuffix(sampleHeader, "\r\n"), 0, want, true},
		{"names are case-insensitive", def, lower, 0, want, true},
		{"fetched fields, other order, unfolded", def, reordered, 0, want, true},
		{"body ignored", def, sampleHeader + "Received: not a header\r\n", 0, want, true},
		{"useheader case-insensitive", Options{UseHeaders: []string{"message-id", "RECEIVED"}}, sampleHeader, 0, want, true},
		{"noskipsize", Options{NoSkipSize: true}, sampleHeader, 8259, want + ":8259", true},
		{"message-id only", Options{UseHeaders: []string{"Message-Id"}}, sampleHeader, 0,
			perlKey("MESSAGE-ID: <20261126000701.12345@EXAMPLE.ORG>"), true},
		{"nodomain", Options{UseHeaders: []string{"Message-Id"}, MessageIDNoDomain: true}, sampleHeader, 0,
			perlKey("MESSAGE-ID: <20261126000701.12345"), true},
		{"skip received", Options{SkipHeader: mustSkip(t, "^received:")}, sampleHeader, 0,
			perlKey("MESSAGE-ID: <20261126000701.12345@EXAMPLE.ORG>"), true},
		{"8-bit value", Options{UseHeaders: []string{"From"}}, sampleHeader, 0,
			perlKey("FROM: ALICE XXMILE <ALICE@EXAMPLE.ORG>"), true},
		{"unidentified", def, "From: a@b\r\nSubject: hi\r\n\r\n", 0, "", false},
		{"empty", def, "", 0, "", false},
		{"empty value counts", def, "Message-Id:\r\n", 0, perlKey("MESSAGE-ID: "), true},
		{"leading continuation ignored", def, "  Message-Id: <x@y>\r\n", 0, "", false},
		{"blank-only line skipped in fold", def, "Message-Id: <a\r\n   \r\n b@c>\r\n", 0, perlKey("MESSAGE-ID: <A B@C>"), true},
		// Two deliberate differences from Mail::IMAPClient, which folds any
		// line that is not a field into the previous one and requires the
		// colon right after the name: a line put on top of a message whose
		// first line is garbage (--addheader) would get another key on
		// host2, and the message would be copied again on every run.
		{"unindented non-field line ends the field", def, "Message-Id: <a\r\nb@c>\r\n", 0, perlKey("MESSAGE-ID: <A"), true},
		{"added line keeps its key over an mbox From_ line", def, "Message-Id: <7@imapsync>\r\nFrom joe@x  Fri Feb 22 17:06:23 2008\r\nFrom: joe@x\r\n", 0, perlKey("MESSAGE-ID: <7@IMAPSYNC>"), true},
		{"blanks before the colon", def, "Message-Id : <a@b>\r\n", 0, perlKey("MESSAGE-ID: <A@B>"), true},
		{"first colon ends the name", def, "Message-Id:<a:b@c>\r\n", 0, perlKey("MESSAGE-ID: <A:B@C>"), true},
		{"folded unwanted field skipped", def, "Subject: x\r\n Message-Id: <a@b>\r\nMessage-Id: <c@d>\r\n", 0, perlKey("MESSAGE-ID: <C@D>"), true},
		{"duplicate lines both count", def, "Received: a\r\nReceived: a\r\n", 0, perlKey("RECEIVED: ARECEIVED: A"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.opts.Key([]byte(tt.header), tt.size)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Key = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestKeyMultipleReceived(t *testing.T) {
	a := "Message-Id: <m@x>\r\nReceived: by one\r\nReceived: by two\r\n"
	b := "Received: by two\r\nMessage-Id: <m@x>\r\nReceived: by one\r\n"
	c := "Message-Id: <m@x>\r\nReceived: by one\r\n"
	ka, _ := Options{}.Key([]byte(a), 0)
	kb, _ := Options{}.Key([]byte(b), 0)
	kc, _ := Options{}.Key([]byte(c), 0)
	if ka != kb {
		t.Errorf("order of Received lines changed the key: %q vs %q", ka, kb)
	}
	if ka == kc {
		t.Errorf("a missing Received line did not change the key")
	}
	if want := perlKey("MESSAGE-ID: <M@X>RECEIVED: BY ONERECEIVED: BY TWO"); ka != want {
		t.Errorf("Key = %q, want %q", ka, want)
	}
}

// TestAddHeader: --addheader's line is "Message-Id: <UID@imapsync>", and the
// key of a message without wanted headers is computed as if it were there.
func TestAddHeader(t *testing.T) {
	if got, want := string(AddHeaderLine(123456789)), "Message-Id: <123456789@imapsync>\r\n"; got != want {
		t.Errorf("AddHeaderLine(123456789) = %q, want %q", got, want)
	}
	if got, want := string(AddHeaderLine(0)), "Message-Id: <mistake@imapsync>\r\n"; got != want {
		t.Errorf("AddHeaderLine(0) = %q, want %q", got, want)
	}
	if got, want := (Options{}).AddHeaderKey(123456789, 100), perlKey("MESSAGE-ID: <123456789@IMAPSYNC>"); got != want {
		t.Errorf("AddHeaderKey = %q, want %q", got, want)
	}
	// The copy on host2 (line prepended to an unidentified message) must
	// get the key the host1 message was given, whatever the options.
	body := "From: a@b\r\nSubject: draft\r\n\r\nhello\r\n"
	for _, o := range []Options{{}, {NoSkipSize: true}, {MessageIDNoDomain: true}, {UseHeaders: []string{"Message-Id"}, NoSkipSize: true}} {
		if _, ok := o.Key([]byte(body), int64(len(body))); ok {
			t.Fatalf("%+v: sample message should be unidentified", o)
		}
		const uid = 42
		copyMsg := string(AddHeaderLine(uid)) + body
		got, ok := o.Key([]byte(copyMsg), int64(len(copyMsg)))
		if want := o.AddHeaderKey(uid, int64(len(body))); !ok || got != want {
			t.Errorf("%+v: copy key = %q, %v; AddHeaderKey = %q", o, got, ok, want)
		}
	}
}

func TestHeaderFields(t *testing.T) {
	tests := []struct {
		use  []string
		want []string
	}{
		{nil, []string{"Message-Id", "Received"}},
		{[]string{"X-Gmail-Received", "Message-Id"}, []string{"X-Gmail-Received", "Message-Id"}},
		{[]string{"Message-Id", "MESSAGE-ID", "Date"}, []string{"Message-Id", "Date"}},
		{[]string{"Message-Id", "ALL"}, nil},
		{[]string{"all"}, nil},
	}
	for _, tt := range tests {
		got := Options{UseHeaders: tt.use}.HeaderFields()
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || (got == nil) != (tt.want == nil) {
			t.Errorf("HeaderFields(%q) = %q, want %q", tt.use, got, tt.want)
		}
	}
}

func TestRanker(t *testing.T) {
	var r Ranker
	in := []string{"a", "b", "a", "a", "b", "c"}
	want := []string{"a", "b", "a#1", "a#2", "b#1", "c"}
	wantRank := []int{0, 0, 1, 2, 1, 0}
	for i, k := range in {
		got, rank := r.Rank(k)
		if got != want[i] || rank != wantRank[i] {
			t.Errorf("Rank(%q) #%d = %q, %d; want %q, %d", k, i, got, rank, want[i], wantRank[i])
		}
	}
	// Ranking is what makes a folder with identical copies sync them all.
	var h1, h2 Ranker
	key, _ := Options{}.Key([]byte(sampleHeader), 0)
	seen := map[string]bool{}
	for range 3 {
		k, _ := h1.Rank(key)
		seen[k] = true
	}
	k2, _ := h2.Rank(key)
	if len(seen) != 3 || !seen[k2] {
		t.Errorf("ranked keys %v, host2 first copy %q", seen, k2)
	}
}

func TestKeyConcurrent(t *testing.T) {
	want, _ := Options{}.Key([]byte(sampleHeader), 0)
	done := make(chan string)
	for range 8 {
		go func() {
			var k string
			for range 200 {
				k, _ = Options{}.Key([]byte(sampleHeader), 0)
			}
			done <- k
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Key = %q, want %q", got, want)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	// A realistic ~1 KB header block: the sample plus the usual filler.
	header := []byte(sampleHeader[:len(sampleHeader)-2])
	for len(header) < 1022 {
		header = append(header, "X-Spam-Status: No, score=-2.9 required=5.0 tests=ALL_TRUSTED,BAYES_00\r\n"...)
	}
	header = append(header, "\r\n"...)
	o := Options{}
	b.SetBytes(int64(len(header)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := o.Key(header, 4096); !ok {
			b.Fatal("unidentified")
		}
	}
}
