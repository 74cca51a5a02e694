package config

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
)

// chainNames renders a hook chain as "folders | skips | rewrites | flags",
// each the hook names in order.
func chainNames(folderRules []hooks.Named[hooks.FolderMapper], c *hooks.Chain) string {
	names := func(n int, name func(int) string) string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, name(i))
		}
		return strings.Join(out, ",")
	}
	return strings.Join([]string{
		names(len(folderRules), func(i int) string { return folderRules[i].Name }),
		names(len(c.Skips), func(i int) string { return c.Skips[i].Name }),
		names(len(c.Rewrites), func(i int) string { return c.Rewrites[i].Name }),
		names(len(c.Flags), func(i int) string { return c.Flags[i].Name }),
	}, " | ")
}

// TestEngineOptions turns command lines into engine options and checks
// the options that follow from imapsync's rules and the hook chain.
func TestEngineOptions(t *testing.T) {
	base := []string{"--host1", "a.example", "--user1", "u1", "--password1", "p1",
		"--host2", "b.example", "--user2", "u2", "--password2", "p2", "--nosslcheck"}
	tests := []struct {
		name  string
		args  []string
		chain string
		check func(o engine.Options) bool
	}{
		{"defaults", nil, " |  |  | ", func(o engine.Options) bool {
			return o.Host1.Host == "a.example" && o.Host2.User == "u2" && o.Sep1 == nil && o.Prefix2 == nil &&
				!o.Delete2Duplicates && !o.UIDExpunge2 && !o.FolderSizesAtEnd == !o.FolderSizes &&
				o.Parallel == 4 && o.ErrorsMax == 50 && o.SyncInternalDates && o.MultiAppend && o.State != nil
		}},
		{"--nostate keeps no state", []string{"--nostate"}, " |  |  | ", func(o engine.Options) bool { return o.State == nil }},
		{"--nousecache keeps no state", []string{"--nousecache"}, " |  |  | ", func(o engine.Options) bool { return o.State == nil }},
		{"--usecache is still accepted", []string{"--usecache"}, " |  |  | ", func(o engine.Options) bool { return o.State != nil }},
		{"--skipcrossduplicates turns the default state off", []string{"--skipcrossduplicates"}, " |  |  | ", func(o engine.Options) bool {
			return o.State == nil && o.SkipCrossDuplicates
		}},
		{"--useuid --nousecache keeps no state", []string{"--useuid", "--nousecache"}, " |  |  | ", func(o engine.Options) bool { return o.State == nil && o.UseUID }},
		{"--dry opens no default state", []string{"--dry"}, " |  |  | ", func(o engine.Options) bool { return o.State == nil }},
		{"message plugins in imapsync's order", []string{"--regexflag", "s/a/b/", "--filterbuggyflags", "--truncmess", "100",
			"--addheader", "--pipemess", "cat", "--nopipemesscheck", "--disarmreadreceipts", "--regexmess", "s/x/y/",
			"--skipmess", "/z/", "--minsize", "0", "--maxsize", "9"}, " | maxsize,minsize,skipmess | regexmess,disarmreadreceipts,pipemess,addheader,truncmess | filterbuggyflags,regexflag",
			func(o engine.Options) bool { return o.AddHeader }},
		{"maxlinelength with a command rewrites", []string{"--maxlinelength", "80", "--maxlinelengthcmd", "cat"}, " |  | maxlinelengthcmd | ", nil},
		{"maxlinelength alone skips", []string{"--maxlinelength", "80"}, " | maxlinelength |  | ", nil},
		{"--noregexmess and --noregexflag drop the rules", []string{"--regexmess", "s/x/y/", "--noregexmess", "--regexflag", "s/a/b/", "--noregexflag"}, " |  |  | ", nil},
		{"regextrans2 is a folder rule", []string{"--regextrans2", "s/a/b/"}, "regextrans2 |  |  | ", nil},
		{"separators given", []string{"--sep1", "/", "--prefix2", ""}, " |  |  | ", func(o engine.Options) bool {
			return o.Sep1 != nil && *o.Sep1 == "/" && o.Sep2 == nil && o.Prefix2 != nil && *o.Prefix2 == ""
		}},
		{"connection caps and throttling bound", []string{"--maxconns2", "3", "--throttlemax", "60", "--maxinflight", "0"}, " |  |  | ", func(o engine.Options) bool {
			return o.MaxConns1 == 0 && o.MaxConns2 == 3 && o.ThrottleMax == time.Minute && o.MaxInFlight < 0
		}},
		{"journal beside the pidfile in --tmpdir", []string{"--nostate", "--tmpdir", "/run/x"}, " |  |  | ", func(o engine.Options) bool {
			return strings.HasPrefix(o.Journal, "/run/x/a.example_u1__b.example_u2_") && strings.HasSuffix(o.Journal, ".journal")
		}},
		{"journal beside --pidfile", []string{"--nostate", "--pidfile", "/run/y/p.pid"}, " |  |  | ", func(o engine.Options) bool {
			return strings.HasPrefix(o.Journal, "/run/y/a.example_u1__")
		}},
		{"journal beside the state", []string{"--usecache", "--statedir", "/var/lib/s", "--dry"}, " |  |  | ", func(o engine.Options) bool {
			return strings.HasPrefix(o.Journal, "/var/lib/s/a.example_u1__")
		}},
		{"--delete1 implies --expunge1", []string{"--delete1"}, " |  |  | ", func(o engine.Options) bool { return o.Delete1 && o.Expunge1 }},
		{"--delete1 --noexpunge1", []string{"--delete1", "--noexpunge1"}, " |  |  | ", func(o engine.Options) bool { return o.Delete1 && !o.Expunge1 }},
		{"--delete2 implies duplicates and uidexpunge2", []string{"--delete2"}, " |  |  | ", func(o engine.Options) bool {
			return o.Delete2 && o.Delete2Duplicates && o.UIDExpunge2
		}},
		{"--delete2 --syncduplicates keeps duplicates", []string{"--delete2", "--syncduplicates"}, " |  |  | ", func(o engine.Options) bool {
			return o.Delete2 && !o.Delete2Duplicates && o.UIDExpunge2
		}},
		{"--delete2foldersonly turns on --delete2folders", []string{"--delete2foldersonly", "/^Old/"}, " |  |  | ", func(o engine.Options) bool {
			return o.Delete2Folders && o.Delete2FoldersOnly("Old/x") && !o.Delete2FoldersOnly("New")
		}},
		{"--foldersizes gives --foldersizesatend", []string{"--foldersizes"}, " |  |  | ", func(o engine.Options) bool { return o.FolderSizes && o.FolderSizesAtEnd }},
		{"--foldersizes --nofoldersizesatend", []string{"--foldersizes", "--nofoldersizesatend"}, " |  |  | ", func(o engine.Options) bool { return o.FolderSizes && !o.FolderSizesAtEnd }},
		{"--idatefromheader turns off --syncinternaldates", []string{"--idatefromheader"}, " |  |  | ", func(o engine.Options) bool {
			return o.IDateFromHeader && !o.SyncInternalDates
		}},
		{"--justautomap turns on --automap", []string{"--justautomap"}, " |  |  | ", func(o engine.Options) bool { return o.JustAutomap && o.Automap }},
		{"--search applies to both sides", []string{"--search", "SEEN"}, " |  |  | ", func(o engine.Options) bool {
			return o.MessageSelection.Search1 != nil && o.MessageSelection.Search2 != nil
		}},
		{"--dry opens no state", []string{"--useuid", "--dry", "--statedir", "/nonexistent"}, " |  |  | ", func(o engine.Options) bool { return o.Dry && o.UseUID && o.State == nil }},
	}
	for _, tt := range tests {
		s := mustParse(t, append(append([]string(nil), base...), tt.args...)...)
		o, cleanup, err := s.EngineOptions(context.Background(), io.Discard)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := chainNames(o.FolderRules, o.Hooks); got != tt.chain {
			t.Errorf("%s: chain %q, want %q", tt.name, got, tt.chain)
		}
		if tt.check != nil && !tt.check(o) {
			t.Errorf("%s: unexpected options %+v", tt.name, o)
		}
		cleanup()
	}
}

// TestEngineOptionsRefused: the option combinations imapsync refuses are
// usage errors.
func TestEngineOptionsRefused(t *testing.T) {
	base := []string{"--host1", "a", "--user1", "u1", "--host2", "b", "--user2", "u2", "--nosslcheck"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--delete1", "--delete2"}, "--delete1 and --delete2 together are refused"},
		{[]string{"--skipcrossduplicates", "--usecache"}, "--skipcrossduplicates and --usecache together are refused"},
		{[]string{"--include", "("}, "--include"},
		{[]string{"--maxage", "-1"}, "must not be negative"},
		{[]string{"--search1", "NOSUCHKEY"}, "--search1"},
		{[]string{"--regexmess", "nonsense"}, "regexmess"},
	} {
		s := mustParse(t, append(append([]string(nil), base...), tt.args...)...)
		_, _, err := s.EngineOptions(context.Background(), io.Discard)
		if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
}

// TestIsSetUnknownPanics: asking about a name that is not an option is a
// bug, caught at once.
func TestIsSetUnknownPanics(t *testing.T) {
	s := mustParse(t, "--maxage", "3")
	if !s.IsSet("maxage") || s.IsSet("minage") {
		t.Errorf("IsSet maxage %v, minage %v", s.IsSet("maxage"), s.IsSet("minage"))
	}
	for _, name := range []string{"max-age", "maxages", "nomaxage", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("IsSet(%q) did not panic", name)
				}
			}()
			s.IsSet(name)
		}()
	}
}
