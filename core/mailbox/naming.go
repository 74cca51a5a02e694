package mailbox

import "strings"

// GuessSeparator guesses a server's hierarchy separator from its folder names
// as imapsync does when NAMESPACE cannot tell: it counts '/', '.', a double
// backslash `\\` and a lone '\' over all names, and the most frequent wins;
// with no candidate at all the answer is "/". Ties, which imapsync leaves to
// Perl's hash order, go to the first of "/", ".", `\\`, `\`.
func GuessSeparator(names []string) string {
	candidates := [...]string{"/", ".", `\\`, `\`}
	var count [len(candidates)]int
	for _, n := range names {
		for i := 0; i < len(n); i++ {
			switch n[i] {
			case '/':
				count[0]++
			case '.':
				count[1]++
			case '\\':
				if i+1 < len(n) && n[i+1] == '\\' {
					count[2]++
					i++
				} else {
					count[3]++
				}
			}
		}
	}
	best := 0
	for i := 1; i < len(count); i++ {
		if count[i] > count[best] {
			best = i
		}
	}
	if count[best] == 0 {
		return "/"
	}
	return candidates[best]
}

// GuessPrefix guesses a server's personal-namespace prefix from its folder
// names as imapsync does without NAMESPACE: INBOX itself (any case) is
// ignored; if every other name starts with "INBOX." or "INBOX/" (INBOX in any
// case) the prefix is that start as spelled by the first such name in the
// order given (e.g. "Inbox/"), otherwise, or with no other name, it is "".
// Pass the names in folder order (see Sort) for imapsync's answer.
func GuessPrefix(names []string) string {
	prefix := ""
	for _, n := range names {
		if IsInbox(n) {
			continue
		}
		if len(n) > len(Inbox) && asciiEqualFold(n[:len(Inbox)], Inbox) &&
			(n[len(Inbox)] == '.' || n[len(Inbox)] == '/') {
			if prefix == "" {
				prefix = n[:len(Inbox)+1]
			}
			continue
		}
		return ""
	}
	return prefix
}

// Source tells which rule decided a separator or prefix.
type Source string

// The sources, in imapsync's precedence order.
const (
	FromOption    Source = "option"    // --sepN / --prefixN
	FromNamespace Source = "namespace" // the server's NAMESPACE answer
	FromGuess     Source = "guess"     // GuessSeparator / GuessPrefix
)

// Resolve picks one side's separator or prefix with imapsync's precedence:
// option (the --sepN/--prefixN value, nil when not given; an empty prefix
// is a real value) wins in every case; else namespace (nil when the server
// has no NAMESPACE, the request failed or gave nothing usable); else guess.
func Resolve(option, namespace *string, guess string) (string, Source) {
	switch {
	case option != nil:
		return *option, FromOption
	case namespace != nil:
		return *namespace, FromNamespace
	default:
		return guess, FromGuess
	}
}

// Namespace is the first personal namespace of a NAMESPACE answer. Sep is ""
// for a NIL delimiter.
type Namespace struct {
	Prefix, Sep string
}

// Naming is one side's resolved separator and prefix, with where each came from.
type Naming struct {
	Sep, Prefix         string
	SepFrom, PrefixFrom Source
}

// ResolveSide resolves one side's separator and prefix from its LIST
// names (in folder order), the --sepN/--prefixN options (nil when not
// given) and ns, the first personal namespace (nil when NAMESPACE is not
// supported or failed). For each, the option wins, then the namespace,
// then the guess from the names. A namespace with a NIL delimiter leaves
// the separator to the guess.
func ResolveSide(names []string, sepOption, prefixOption *string, ns *Namespace) Naming {
	var nsSep, nsPrefix *string
	if ns != nil {
		nsPrefix = &ns.Prefix
		if ns.Sep != "" {
			nsSep = &ns.Sep
		}
	}
	var n Naming
	n.Sep, n.SepFrom = Resolve(sepOption, nsSep, GuessSeparator(names))
	n.Prefix, n.PrefixFrom = Resolve(prefixOption, nsPrefix, GuessPrefix(names))
	return n
}

// String renders n as imapsync's "separator and prefix: [/][INBOX.]" suffix.
func (n Naming) String() string {
	return "separator and prefix: [" + n.Sep + "][" + n.Prefix + "]"
}

// trimOnce removes one trailing sep from s, if present.
func trimOnce(s, sep string) string {
	if sep != "" {
		return strings.TrimSuffix(s, sep)
	}
	return s
}
