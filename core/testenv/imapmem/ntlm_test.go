package imapmem

import (
	"encoding/hex"
	"testing"
)

// TestMD4 checks the MD4 that the NTLM server needs against RFC 1320's
// vectors and NTLM's well-known hash of "password".
func TestMD4(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "d9130a8164549fe818874806e1c7014b"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"},
	} {
		if got := hex.EncodeToString(md4Sum([]byte(tc.in))); got != tc.want {
			t.Errorf("MD4(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := hex.EncodeToString(md4Sum(toUTF16("password"))); got != "8846f7eaee8fb117ad06bdd830b7586c" {
		t.Errorf("NT hash of password = %s", got)
	}
}
