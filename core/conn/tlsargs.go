package conn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// TLSArg is one IO::Socket::SSL parameter of --sslargsN: SSL_version=TLSv1_2.
type TLSArg struct {
	Key, Value string
}

// sslArgKeys are the IO::Socket::SSL parameters --sslargsN understands.
var sslArgKeys = []string{"SSL_verify_mode", "SSL_ca_file", "SSL_ca_path", "SSL_hostname", "SSL_version", "SSL_cipher_list"}

// TLSConfig turns --insecureN and the --sslargsN parameters of side into
// a TLS configuration that verifies the server certificate unless told
// otherwise (insecure, or SSL_verify_mode=0). It also reports whether
// verification is off. Its errors name the option: "--sslargs1
// SSL_version=x: unknown version x (...)"; they are usage errors.
func TLSConfig(side int, insecure bool, args []TLSArg) (*tls.Config, bool, error) {
	c := &tls.Config{InsecureSkipVerify: insecure}
	bad := func(kv TLSArg, format string, a ...any) error {
		return fmt.Errorf("--sslargs%d %s=%s: %s", side, kv.Key, kv.Value, fmt.Sprintf(format, a...))
	}
	var pool *x509.CertPool
	addPEM := func(kv TLSArg, file string) error {
		b, err := os.ReadFile(file)
		if err != nil {
			return bad(kv, "%v", pathErr(err))
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(b) {
			return bad(kv, "no PEM certificate in %s", file)
		}
		return nil
	}
	for _, kv := range args {
		switch kv.Key {
		case "SSL_verify_mode":
			mode, err := parseVerifyMode(kv.Value)
			if err != nil {
				return nil, false, bad(kv, "%v", err)
			}
			c.InsecureSkipVerify = mode == 0
		case "SSL_ca_file":
			if err := addPEM(kv, kv.Value); err != nil {
				return nil, false, err
			}
		case "SSL_ca_path":
			entries, err := os.ReadDir(kv.Value)
			if err != nil {
				return nil, false, bad(kv, "%v", pathErr(err))
			}
			found := false
			for _, e := range entries {
				if e.IsDir() {
					continue
				}
				b, err := os.ReadFile(filepath.Join(kv.Value, e.Name()))
				if err != nil {
					continue
				}
				if pool == nil {
					pool = x509.NewCertPool()
				}
				found = pool.AppendCertsFromPEM(b) || found
			}
			if !found {
				return nil, false, bad(kv, "no PEM certificate in directory %s", kv.Value)
			}
		case "SSL_hostname":
			c.ServerName = kv.Value
		case "SSL_version":
			lo, hi, err := parseSSLVersion(kv.Value)
			if err != nil {
				return nil, false, bad(kv, "%v", err)
			}
			c.MinVersion, c.MaxVersion = lo, hi
		case "SSL_cipher_list":
			suites, err := parseCipherList(kv.Value)
			if err != nil {
				return nil, false, bad(kv, "%v", err)
			}
			c.CipherSuites = suites
		default:
			return nil, false, fmt.Errorf("--sslargs%d: unsupported key %s (supported: %s)", side, kv.Key, strings.Join(sslArgKeys, ", "))
		}
	}
	if pool != nil {
		c.RootCAs = pool
	}
	return c, c.InsecureSkipVerify, nil
}

// parseVerifyMode reads SSL_verify_mode: 0 (SSL_VERIFY_NONE) turns
// verification off, any other value keeps it on.
func parseVerifyMode(v string) (int64, error) {
	t := strings.TrimSpace(v)
	switch strings.ToUpper(t) {
	case "SSL_VERIFY_NONE":
		return 0, nil
	case "SSL_VERIFY_PEER":
		return 1, nil
	}
	n, err := strconv.ParseInt(t, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("not a verify mode (0 = no verification, 1 = verify)")
	}
	return n, nil
}

var tlsVersions = []struct {
	name string
	id   uint16
}{
	{"TLSV1", tls.VersionTLS10},
	{"TLSV11", tls.VersionTLS11},
	{"TLSV12", tls.VersionTLS12},
	{"TLSV13", tls.VersionTLS13},
}

// parseSSLVersion maps an IO::Socket::SSL version expression (TLSv1_2,
// SSLv23:!SSLv3:!TLSv1, !SSLv2:!SSLv3) to a Min/MaxVersion range, the
// closest Go can do.
func parseSSLVersion(v string) (uint16, uint16, error) {
	allowed := map[uint16]bool{}
	anyPositive := false
	var negatives []uint16
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		neg := strings.HasPrefix(tok, "!")
		name := strings.ToUpper(strings.NewReplacer("!", "", "_", "", ".", "").Replace(tok))
		var ids []uint16
		switch name {
		case "SSLV23", "ALL", "DEFAULT":
			for _, tv := range tlsVersions {
				ids = append(ids, tv.id)
			}
		case "SSLV2", "SSLV3":
			if !neg {
				return 0, 0, fmt.Errorf("%s is not supported (TLS 1.0 is the oldest)", tok)
			}
		default:
			found := false
			for _, tv := range tlsVersions {
				if tv.name == name {
					ids, found = []uint16{tv.id}, true
				}
			}
			if !found {
				return 0, 0, fmt.Errorf("unknown version %s (use TLSv1, TLSv1_1, TLSv1_2, TLSv1_3, SSLv23, with ! to exclude)", tok)
			}
		}
		if neg {
			negatives = append(negatives, ids...)
			continue
		}
		anyPositive = true
		for _, id := range ids {
			allowed[id] = true
		}
	}
	if !anyPositive {
		for _, tv := range tlsVersions {
			allowed[tv.id] = true
		}
	}
	for _, id := range negatives {
		delete(allowed, id)
	}
	var lo, hi uint16
	for _, tv := range tlsVersions {
		if allowed[tv.id] {
			if lo == 0 {
				lo = tv.id
			}
			hi = tv.id
		}
	}
	if lo == 0 {
		return 0, 0, fmt.Errorf("no TLS version left")
	}
	return lo, hi, nil
}

// opensslCiphers maps OpenSSL cipher names to the Go suites with the same
// algorithms (TLS 1.0-1.2; Go does not let TLS 1.3 suites be chosen).
var opensslCiphers = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"RC4-SHA":                       tls.TLS_RSA_WITH_RC4_128_SHA,
	"ECDHE-RSA-RC4-SHA":             tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	"ECDHE-ECDSA-RC4-SHA":           tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
}

// opensslKeywords are OpenSSL cipher-string words (aliases, classes,
// commands) that select nothing Go would not already choose by itself, or
// exclude what Go never offers; they are accepted and ignored.
var opensslKeywords = map[string]bool{
	"DEFAULT": true, "ALL": true, "HIGH": true, "MEDIUM": true, "LOW": true, "COMPLEMENTOFDEFAULT": true,
	"COMPLEMENTOFALL": true, "@STRENGTH": true, "DH": true, "EDH": true, "DHE": true, "ADH": true, "AECDH": true,
	"ANULL": true, "ENULL": true, "NULL": true, "EXP": true, "EXPORT": true, "MD5": true, "DES": true, "3DES": true,
	"RC4": true, "PSK": true, "SRP": true, "DSS": true, "CAMELLIA": true, "SEED": true, "IDEA": true, "KRB5": true,
	"ECDH": true, "ECDHE": true, "EECDH": true, "AES": true, "AESGCM": true, "CHACHA20": true, "SHA1": true,
	"SHA256": true, "SHA384": true, "RSA": true, "KRSA": true, "ARSA": true, "AECDSA": true, "ECDSA": true,
	"TLSV1": true, "TLSV1.2": true, "SSLV3": true,
}

// parseCipherList maps an OpenSSL cipher list (also accepting Go/IANA
// suite names) to Go cipher suites. Unknown names are refused; nil means
// Go's default choice.
func parseCipherList(v string) ([]uint16, error) {
	iana := map[string]uint16{}
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		iana[cs.Name] = cs.ID
	}
	var out []uint16
	removed := map[uint16]bool{}
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		op := byte(0)
		if strings.ContainsRune("!-+", rune(tok[0])) {
			op, tok = tok[0], tok[1:]
		}
		if tok == "" {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(tok), "SECLEVEL=") || strings.HasPrefix(tok, "@") {
			continue
		}
		id, ok := opensslCiphers[strings.ToUpper(tok)]
		if !ok {
			id, ok = iana[strings.ToUpper(tok)]
		}
		if !ok && strings.HasPrefix(strings.ToUpper(tok), "TLS_") && tls13Suite(tok) {
			continue // TLS 1.3 suites are not configurable in Go
		}
		if !ok {
			if opensslKeywords[strings.ToUpper(tok)] {
				continue
			}
			return nil, fmt.Errorf("unknown cipher %s (known: %s)", tok, knownCiphers())
		}
		switch op {
		case '!', '-':
			removed[id] = true
		default:
			out = append(out, id)
		}
	}
	var kept []uint16
	for _, id := range out {
		if !removed[id] {
			kept = append(kept, id)
		}
	}
	return kept, nil
}

func tls13Suite(name string) bool {
	switch strings.ToUpper(name) {
	case "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256":
		return true
	}
	return false
}

func knownCiphers() string {
	var names []string
	for n := range opensslCiphers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// pathErr drops the path from a file error: the message names the file.
func pathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
