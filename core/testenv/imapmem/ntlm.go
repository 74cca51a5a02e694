package imapmem

// NTLM (NTLMv2) on the server side, so that the client's AUTHENTICATE
// NTLM can be tested against a server that checks the proof: Debian's
// Dovecot is built without NTLM. The server sends a challenge with a
// random server challenge and target information, and accepts the
// authenticate message only if its NTProofStr is the HMAC-MD5 of the
// server challenge and the client's blob under the user's NTOWFv2
// (MS-NLMP 3.3.2), computed from the password the server holds.

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"math/bits"
	"strings"
	"unicode/utf16"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"
)

var (
	_ imapserver.SessionSASL = (*session)(nil)
)

// NTLM negotiate flags the challenge sets: UNICODE, REQUEST_TARGET, NTLM,
// EXTENDED_SESSIONSECURITY and TARGET_INFO (never LM_KEY or KEY_EXCH).
const ntlmChallengeFlags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00080000 | 0x00800000

var ntlmSignature = []byte("NTLMSSP\x00")

// AuthenticateMechanisms is PLAIN, plus NTLM when Options.NTLMDomain is
// set, plus XOAUTH2 and OAUTHBEARER in OAuth mode.
func (s *session) AuthenticateMechanisms() []string {
	mechs := []string{"PLAIN"}
	if s.srv.opts.NTLMDomain != "" {
		mechs = append(mechs, "NTLM")
	}
	return append(mechs, s.srv.oauthMechs()...)
}

// Authenticate returns the SASL server of a mechanism. PLAIN behaves as
// imapserver's own.
func (s *session) Authenticate(mech string) (sasl.Server, error) {
	switch {
	case strings.EqualFold(mech, "PLAIN"):
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthorizationFailed, Text: "SASL identity not supported"}
			}
			return s.Login(username, password)
		}), nil
	case strings.EqualFold(mech, "NTLM") && s.srv.opts.NTLMDomain != "":
		return &ntlmServer{s: s}, nil
	case strings.EqualFold(mech, "XOAUTH2") && s.srv.opts.OAuth != nil:
		return &xoauth2Server{s: s}, nil
	case strings.EqualFold(mech, "OAUTHBEARER") && s.srv.opts.OAuth != nil && !s.srv.opts.OAuth.NoOAuthBearer:
		return s.oauthBearerServer(), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// ntlmServer is one NTLM exchange: negotiate, challenge, authenticate.
type ntlmServer struct {
	s         *session
	challenge []byte // the server challenge, once sent
}

func (n *ntlmServer) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case n.challenge == nil && len(resp) == 0:
		return []byte{}, false, nil // ask for the negotiate message
	case n.challenge == nil:
		if !ntlmIs(resp, 1) {
			return nil, false, errors.New("NTLM: not a negotiate message")
		}
		n.challenge = make([]byte, 8)
		rand.Read(n.challenge)
		return ntlmChallenge(n.challenge, n.s.srv.opts.NTLMDomain), false, nil
	}
	if !ntlmIs(resp, 3) || len(resp) < 64 {
		return nil, false, errors.New("NTLM: not an authenticate message")
	}
	nt, ok1 := ntlmField(resp, 20)
	domain, ok2 := ntlmField(resp, 28)
	user, ok3 := ntlmField(resp, 36)
	if !ok1 || !ok2 || !ok3 || len(nt) < 16+28 {
		return nil, false, errors.New("NTLM: malformed authenticate message")
	}
	name := fromUTF16(user)
	u := n.s.srv.User(name)
	if u == nil {
		return nil, false, imapserver.ErrAuthFailed
	}
	u.mu.Lock()
	password := u.password
	u.mu.Unlock()
	ntowf := hmacMD5(md4Sum(toUTF16(password)), toUTF16(strings.ToUpper(name)+fromUTF16(domain)))
	if !hmac.Equal(nt[:16], hmacMD5(ntowf, n.challenge, nt[16:])) {
		return nil, false, imapserver.ErrAuthFailed
	}
	return nil, true, n.s.Login(name, password)
}

func ntlmIs(msg []byte, typ uint32) bool {
	return len(msg) >= 12 && bytes.Equal(msg[:8], ntlmSignature) && binary.LittleEndian.Uint32(msg[8:]) == typ
}

// ntlmField reads the payload of the security buffer at off.
func ntlmField(msg []byte, off int) ([]byte, bool) {
	l := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if start > len(msg) || l > len(msg)-start {
		return nil, false
	}
	return msg[start : start+l], true
}

// ntlmChallenge builds the challenge message: no target name, the
// domain as MsvAvNbDomainName in the target information.
func ntlmChallenge(challenge []byte, domain string) []byte {
	d := toUTF16(domain)
	var info bytes.Buffer
	binary.Write(&info, binary.LittleEndian, [2]uint16{2, uint16(len(d))})
	info.Write(d)
	info.Write([]byte{0, 0, 0, 0}) // MsvAvEOL
	var m bytes.Buffer
	m.Write(ntlmSignature)
	binary.Write(&m, binary.LittleEndian, uint32(2))
	binary.Write(&m, binary.LittleEndian, [2]uint32{0, 48}) // target name: empty
	binary.Write(&m, binary.LittleEndian, uint32(ntlmChallengeFlags))
	m.Write(challenge)
	m.Write(make([]byte, 8))                                                                 // reserved
	binary.Write(&m, binary.LittleEndian, [2]uint16{uint16(info.Len()), uint16(info.Len())}) // target info
	binary.Write(&m, binary.LittleEndian, uint32(48))
	m.Write(info.Bytes())
	return m.Bytes()
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)
}

func toUTF16(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return b
}

func fromUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// md4Sum is MD4 (RFC 1320), which NTLM's password hash needs and the
// standard library lacks.
func md4Sum(msg []byte) []byte {
	n := len(msg)
	msg = append(append([]byte(nil), msg...), 0x80)
	for len(msg)%64 != 56 {
		msg = append(msg, 0)
	}
	msg = binary.LittleEndian.AppendUint64(msg, uint64(n)*8)
	a, b, c, d := uint32(0x67452301), uint32(0xefcdab89), uint32(0x98badcfe), uint32(0x10325476)
	var x [16]uint32
	for len(msg) > 0 {
		for i := range x {
			x[i] = binary.LittleEndian.Uint32(msg[4*i:])
		}
		msg = msg[64:]
		aa, bb, cc, dd := a, b, c, d
		for i := 0; i < 16; i++ {
			f := (b & c) | (^b & d)
			a, b, c, d = d, bits.RotateLeft32(a+f+x[i], [4]int{3, 7, 11, 19}[i%4]), b, c
		}
		for i := 0; i < 16; i++ {
			k := (i%4)*4 + i/4
			g := (b & c) | (b & d) | (c & d)
			a, b, c, d = d, bits.RotateLeft32(a+g+x[k]+0x5a827999, [4]int{3, 5, 9, 13}[i%4]), b, c
		}
		for i := 0; i < 16; i++ {
			k := [16]int{0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15}[i]
			h := b ^ c ^ d
			a, b, c, d = d, bits.RotateLeft32(a+h+x[k]+0x6ed9eba1, [4]int{3, 9, 11, 15}[i%4]), b, c
		}
		a, b, c, d = a+aa, b+bb, c+cc, d+dd
	}
	var out []byte
	for _, v := range []uint32{a, b, c, d} {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	return out
}
