package plugins

import (
	"strings"

	"github.com/imapshift/imapshift/core/hooks"
)

func init() {
	register(Plugin{
		Name: "filterbuggyflags",
		Kind: FlagHook,
		Doc:  "Drop flags known to make servers refuse an APPEND or STORE (imapsync's list, any case); runs before regexflag.",
		New: func(values []string) (any, error) {
			if err := noValues("filterbuggyflags", values); err != nil {
				return nil, err
			}
			return filterBuggyFlags{}, nil
		},
	})
}

// BuggyFlags is imapsync's --filterbuggyflags list, compared without
// regard to case.
var BuggyFlags = []string{
	`\RECEIPTCHECKED`, `\JUNK`, `\Indexed`, `\X-EON-HAS-ATTACHMENT`, `\UNSEEN`,
	`\ATTACHED`, `\X-HAS-ATTACH`, `\FORWARDED`, `\FORWARD`, `\X-FORWARDED`,
	`\$FORWARDED`, `\PRIORITY`, `\READRCPT`,
}

// filterBuggyFlags removes whole flags equal to one of BuggyFlags.
// imapsync does it with one substitution on the flag string, which also
// eats a prefix of longer flags (\JUNKMAIL becomes MAIL); here a flag is
// removed only when it matches entirely.
type filterBuggyFlags struct{}

func (filterBuggyFlags) Flags(_ *hooks.Message, flags []string) ([]string, error) {
	for i, f := range flags {
		if isBuggyFlag(f) {
			out := append([]string(nil), flags[:i]...)
			for _, f := range flags[i+1:] {
				if !isBuggyFlag(f) {
					out = append(out, f)
				}
			}
			return out, nil
		}
	}
	return flags, nil
}

func (filterBuggyFlags) HeaderOnly() bool { return true }

func isBuggyFlag(f string) bool {
	if !strings.HasPrefix(f, `\`) {
		return false
	}
	for _, b := range BuggyFlags {
		if strings.EqualFold(f, b) {
			return true
		}
	}
	return false
}
