package mailbox

import (
	"fmt"
	"strings"
)

// Rules reported by Translator.Translate.
const (
	RuleF1F2      = "f1f2"      // an exact --f1f2 entry
	RuleAutomap   = "automap"   // an automap entry
	RuleTranslate = "translate" // the prefix/separator pipeline and its rules
)

// Transform rewrites a host2 folder name. It is the shape of one
// --regextrans2 rule (and of the rules imapshift adds itself); an error
// stops the translation.
type Transform = func(string) (string, error)

// Translator maps host1 folder names to host2 folder names exactly as
// imapsync's imap2_folder_name does (docs/folder-names.md). Fill it once, then call
// Translate; it is safe for concurrent use as long as the fields are not
// modified and the RegexTrans2 functions are themselves safe.
type Translator struct {
	// Sep1, Sep2 are the hierarchy separators of host1 and host2 (see
	// ResolveSide). When they are equal, or either is "", names keep
	// their separators.
	Sep1, Sep2 string
	// Prefix1, Prefix2 are the personal-namespace prefixes, e.g. "INBOX.".
	Prefix1, Prefix2 string
	// FixSlash2 turns '/' left in a name into '_' when Sep1 is "/" and Sep2
	// is not. imapsync's default is on; the zero value here is off.
	FixSlash2 bool
	// F1F2 maps exact host1 names to host2 names (--f1f2 A=B); it beats
	// everything. An empty target is ignored.
	F1F2 map[string]string
	// Automap maps host1 names to host2 names (see Automap); it beats the
	// pipeline, subfolders and RegexTrans2. imapsync turns automap off when
	// a subfolder option is given; the caller leaves the map nil then.
	Automap map[string]string
	// Subfolder1 (--subfolder1, host1 syntax) is removed from names;
	// Subfolder2 (--subfolder2, host2 syntax) is where everything lands.
	// Both are passed through SanitizeSubfolder here.
	Subfolder1, Subfolder2 string
	// RegexTrans2 are the user's --regextrans2 rules (and preset ones),
	// applied in order after the Subfolder2 rules.
	RegexTrans2 []Transform
	// InboxFix is the --fixInboxINBOX correction applied last; build it
	// with InboxCaseFix. The zero value does nothing.
	InboxFix InboxFix
}

// Translate returns the host2 name for host1 folder h1 and the rule that
// decided it (RuleF1F2, RuleAutomap or RuleTranslate). First match wins:
//
//  1. F1F2[h1];
//  2. Automap[h1];
//  3. the pipeline: remove Subfolder1 (RemoveSubfolder1); an empty name or
//     Prefix1 alone becomes INBOX; PrefixSeparatorInvert (strip Prefix1,
//     swap separators, FixSlash2, add Prefix2 unless INBOX); the
//     Subfolder2Rules; RegexTrans2 in order; InboxFix.
//
// The only error comes from a RegexTrans2 function (imapsync exits 64).
func (t *Translator) Translate(h1 string) (h2 string, rule string, err error) {
	if v := t.F1F2[h1]; v != "" {
		return v, RuleF1F2, nil
	}
	if v := t.Automap[h1]; v != "" {
		return v, RuleAutomap, nil
	}
	name := RemoveSubfolder1(h1, t.Subfolder1, t.Sep1)
	if name == "" || name == t.Prefix1 {
		name = Inbox
	}
	name = PrefixSeparatorInvert(name, t.Prefix1, t.Prefix2, t.Sep1, t.Sep2, t.FixSlash2)
	for _, f := range Subfolder2Rules(t.Subfolder2, t.Prefix2, t.Sep2) {
		name, _ = f(name)
	}
	for i, f := range t.RegexTrans2 {
		out, err := f(name)
		if err != nil {
			return "", RuleTranslate, fmt.Errorf("mailbox: regextrans2 rule %d on %q: %w", i+1, name, err)
		}
		name = out
	}
	return t.InboxFix.Apply(name), RuleTranslate, nil
}

// RemoveSubfolder1 applies --subfolder1 to a host1 name: sub is sanitized
// (SanitizeSubfolder) and one trailing sep1 is dropped from it; then its
// first occurrence in name, with one sep1 right after it, is removed.
// "S1.S2.F1" → "F1", "Pf1.S1.S2.F1" → "Pf1.F1", "S1.S2" → "". An empty sub
// leaves name unchanged.
func RemoveSubfolder1(name, sub, sep1 string) string {
	part := trimOnce(SanitizeSubfolder(sub), sep1)
	if part == "" {
		return name
	}
	i := strings.Index(name, part)
	if i < 0 {
		return name
	}
	rest := name[i+len(part):]
	if sep1 != "" {
		rest = strings.TrimPrefix(rest, sep1)
	}
	return name[:i] + rest
}

// PrefixSeparatorInvert is imapsync's prefix_seperator_invertion: remove
// prefix1 from the start of name (literal), swap the separators with
// SeparatorInvert, then add prefix2 in front unless the result is INBOX in
// any case. It does not turn "" into INBOX: ("", p1 "PPP", p2 "QQQ") → "QQQ".
func PrefixSeparatorInvert(name, prefix1, prefix2, sep1, sep2 string, fixSlash2 bool) string {
	name = strings.TrimPrefix(name, prefix1)
	name = SeparatorInvert(name, sep1, sep2, fixSlash2)
	if IsInbox(name) {
		return name
	}
	return prefix2 + name
}

// SeparatorInvert swaps hierarchy separators: every sep1 becomes sep2 and
// every sep2 already in the name becomes sep1 (so a literal '.' in a
// '/'-separated name does not become a level on a '.' server). This is
// imapsync's three-step swap through a temporary NUL, done in one pass so
// that a NUL inside a name is left alone; sep2 is matched first. Then, when
// fixSlash2 is set, sep1 is "/" and sep2 is not, every '/' left becomes '_'.
// Equal or empty separators leave the name unchanged.
func SeparatorInvert(name, sep1, sep2 string, fixSlash2 bool) string {
	if sep1 == sep2 || sep1 == "" || sep2 == "" {
		return name
	}
	if strings.Contains(name, sep1) || strings.Contains(name, sep2) {
		var b strings.Builder
		b.Grow(len(name))
		for i := 0; i < len(name); {
			switch {
			case strings.HasPrefix(name[i:], sep2):
				b.WriteString(sep1)
				i += len(sep2)
			case strings.HasPrefix(name[i:], sep1):
				b.WriteString(sep2)
				i += len(sep1)
			default:
				b.WriteByte(name[i])
				i++
			}
		}
		name = b.String()
	}
	if fixSlash2 && sep1 == "/" {
		name = strings.ReplaceAll(name, "/", "_")
	}
	return name
}

// Subfolder2Rules returns the three rules imapsync puts before the user's
// --regextrans2 for --subfolder2 sub (sanitized with SanitizeSubfolder;
// none when that is empty), with S the sanitized value:
//
//  1. a name starting with prefix2: prefix2 + S + sep2 + the rest;
//  2. exactly "INBOX": prefix2 + S + sep2 + "INBOX";
//  3. a doubled prefix2 at the start collapses to one (so S may itself
//     start with prefix2).
//
// The rules never fail. Matching is literal (imapsync interpolates prefix2
// into a regex, where '.' happens to match itself too).
func Subfolder2Rules(sub, prefix2, sep2 string) []Transform {
	s := SanitizeSubfolder(sub)
	if s == "" {
		return nil
	}
	return []Transform{
		func(name string) (string, error) {
			if rest, ok := strings.CutPrefix(name, prefix2); ok {
				return prefix2 + s + sep2 + rest, nil
			}
			return name, nil
		},
		func(name string) (string, error) {
			if name == Inbox {
				return prefix2 + s + sep2 + Inbox, nil
			}
			return name, nil
		},
		func(name string) (string, error) {
			if prefix2 != "" && strings.HasPrefix(name, prefix2+prefix2) {
				return name[len(prefix2):], nil
			}
			return name, nil
		},
	}
}

// InboxFix is the --fixInboxINBOX rule: a host2 name equal to From becomes
// To. The zero value does nothing.
type InboxFix struct {
	From, To string
}

// Apply returns name with the rule applied.
func (f InboxFix) Apply(name string) string {
	if f.From != "" && name == f.From {
		return f.To
	}
	return name
}

// String renders the rule as imapsync's regextrans2 text, or "" for none.
func (f InboxFix) String() string {
	if f.From == "" {
		return ""
	}
	return "s/^" + f.From + "$/" + f.To + "/x"
}

// InboxCaseFix is imapsync's fix_Inbox_INBOX_mapping: when host1 lists
// "INBOX" and host2 lists "Inbox", host1's INBOX goes to "Inbox"; when host1
// lists "Inbox" and host2 "INBOX", the converse; otherwise (both sides
// agree, or neither form) no rule. Names are compared exactly.
func InboxCaseFix(host1, host2 []string) InboxFix {
	has := func(list []string, s string) bool {
		for _, n := range list {
			if n == s {
				return true
			}
		}
		return false
	}
	switch {
	case has(host1, "INBOX") && has(host2, "Inbox"):
		return InboxFix{From: "INBOX", To: "Inbox"}
	case has(host1, "Inbox") && has(host2, "INBOX"):
		return InboxFix{From: "Inbox", To: "INBOX"}
	}
	return InboxFix{}
}
