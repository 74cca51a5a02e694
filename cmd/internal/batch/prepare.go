package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/core/conn"
)

// Account is an account line ready to run.
type Account struct {
	fleet.Account
	// Args is the command line of its run (`imapshift sync` options):
	// the batch's common options, then the account's host, user and
	// password options, then the line's own options. The per-account
	// outputs (log, report, pidfile, tmpdir) are added when it runs.
	Args []string
	Target
	// Signature identifies the line and the options it runs with (no
	// password): a finished account whose signature is unchanged is not
	// run again.
	Signature string
	// Dir is the account's directory name inside the output directory.
	Dir string
}

// Addr1 and Addr2 are the servers' host:port, the keys of the connection
// budget.
func (a *Account) Addr1() string { return strings.ToLower(a.Side1.Address()) }
func (a *Account) Addr2() string { return strings.ToLower(a.Side2.Address()) }

// Target is what a run's command line says of its servers and memory.
type Target struct {
	// Side1 and Side2 are the connection settings the run will use,
	// passwords resolved (the preflight, --check, dials them).
	Side1, Side2 *conn.Config
	// BodyBudget is the run's --bodybudget.
	BodyBudget int64
}

// CheckFunc parses a run's command line with the option registry and
// checks its values as a run would, without connecting.
type CheckFunc func(args []string) (Target, error)

// Prepare builds each line's command line after common and checks it
// with check. It returns the accounts, or LineErrors naming every line
// that is wrong (a password that cannot be read, an unknown option, a bad
// value), so that a batch refuses to start rather than finds them
// halfway.
func Prepare(lines []Line, common []string, getenv func(string) string, check CheckFunc) ([]Account, error) {
	var (
		accts []Account
		errs  LineErrors
		dirs  = map[string]int{} // account directory → its line
	)
	for _, l := range lines {
		dir := accountDir(l.Account)
		if first, ok := dirs[dir]; ok {
			errs = append(errs, &LineError{l.Line, fmt.Errorf("the same accounts as line %d (%s to %s)", first, l.User1, l.User2)})
			continue
		}
		dirs[dir] = l.Line
		p1, err1 := Secret(l.Password1, getenv)
		p2, err2 := Secret(l.Password2, getenv)
		if err := firstErr(err1, err2); err != nil {
			errs = append(errs, &LineError{l.Line, err})
			continue
		}
		args := append([]string(nil), common...)
		args = append(args, "--host1", l.Host1, "--user1", l.User1)
		if p1 != "" {
			args = append(args, "--password1="+p1)
		}
		args = append(args, "--host2", l.Host2, "--user2", l.User2)
		if p2 != "" {
			args = append(args, "--password2="+p2)
		}
		args = append(args, l.Options...)
		tg, err := check(args)
		if err != nil {
			errs = append(errs, &LineError{l.Line, maskErr(err, p1, p2)})
			continue
		}
		accts = append(accts, Account{Account: l.Account, Args: args, Target: tg,
			Signature: signature(l, common), Dir: dir})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return accts, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// maskErr replaces the passwords in an error's text.
func maskErr(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if len(s) >= 1 {
			msg = strings.ReplaceAll(msg, s, "MASKED")
		}
	}
	if msg == err.Error() {
		return err
	}
	return fmt.Errorf("%s", msg)
}

// signature hashes what decides a run but the passwords: the hosts,
// users, the password fields that are references (file:, env:), the
// line's options and the common options (passwords there masked).
func signature(l Line, common []string) string {
	h := sha256.New()
	ref := func(p string) string {
		if literal(p) {
			return "secret"
		}
		return p
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", l.Host1, l.User1, ref(l.Password1), l.Host2, l.User2, ref(l.Password2), strings.Join(l.Options, "\x01"))
	for _, a := range maskCommon(common) {
		fmt.Fprintf(h, "%s\x01", a)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// maskCommon hides the values of password options in args.
func maskCommon(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		name, _, hasValue := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--password") && !strings.HasPrefix(name, "-password") {
			continue
		}
		if hasValue {
			out[i] = name + "=MASKED"
		} else if i+1 < len(out) {
			out[i+1] = "MASKED"
		}
	}
	return out
}

var unsafeChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9._@+-]+`) }) // compiled when first needed, not at every start

// accountDir names an account's directory: its users, made safe for a
// file name, and a hash of both hosts and users (two lines differ in it
// whenever they name different accounts).
func accountDir(a fleet.Account) string {
	safe := func(s string) string {
		s = unsafeChars().ReplaceAllString(s, "_")
		if len(s) > 40 {
			s = s[:40]
		}
		return s
	}
	h := sha256.Sum256([]byte(strings.Join([]string{strings.ToLower(a.Host1), a.User1, strings.ToLower(a.Host2), a.User2}, "\x00")))
	return fmt.Sprintf("%s_%s_%s", safe(a.User1), safe(a.User2), hex.EncodeToString(h[:4]))
}
