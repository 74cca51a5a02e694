package report

import "strings"

// Masked replaces a secret in a printed command line.
const Masked = "MASKED"

// DefaultSecretOptions are the options whose value is a secret.
var DefaultSecretOptions = []string{
	"password1", "password2",
	"oauthaccesstoken1", "oauthaccesstoken2",
	"oauthdirect1", "oauthdirect2",
}

// MaskArgs returns a copy of args, as printed in "Command line used", with
// the value of every option named in secretOpts replaced by MASKED, in both
// the "--opt value" and the "--opt=value" forms. imapsync 2.229 masks only
// the first form and only passwords: it prints "--password1=secret" as is
// and never masks OAuth tokens. Option
// names are given without dashes and match case-insensitively, with one or
// two leading dashes. Nothing is masked after a "--" argument. With show
// (--showpasswords) args is returned unchanged.
func MaskArgs(args []string, secretOpts []string, show bool) []string {
	out := append([]string(nil), args...)
	if show {
		return out
	}
	secret := func(name string) bool {
		for _, s := range secretOpts {
			if strings.EqualFold(name, strings.TrimLeft(s, "-")) {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		if n, _, hasValue := strings.Cut(name, "="); hasValue {
			if secret(n) {
				out[i] = a[:len(a)-len(name)] + n + "=" + Masked
			}
			continue
		}
		if secret(name) && i+1 < len(out) {
			out[i+1] = Masked
			i++
		}
	}
	return out
}
