package plugins

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/imapshift/imapshift/core/hooks"
)

// sampleValues are valid values for each plugin; a new plugin must add
// its own, so that the test below builds every registered plugin.
var sampleValues = map[string][]string{
	"maxsize":            {"1000"},
	"minsize":            {"10"},
	"maxlinelength":      {"998"},
	"skipmess":           {"/^Subject: spam/m"},
	"regexmess":          {"s/a/b/g"},
	"disarmreadreceipts": nil,
	"pipemess":           {"cat"},
	"truncmess":          {"1000"},
	"regexflag":          {`s/\\Flagged//g`},
	"filterbuggyflags":   nil,
	"minmaxlinelength":   {"10"},
	"maxlinelengthcmd":   {"998", "fold -w 900"},
}

// TestAll checks that every registered plugin documents itself, has a
// valid kind, and builds into a hook implementing that kind's interface,
// with HeaderOnly where the engine may skip fetching bodies.
func TestAll(t *testing.T) {
	all := All()
	if len(all) == 0 {
		t.Fatal("no plugin registered")
	}
	for _, p := range all {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name == "" || strings.ToLower(p.Name) != p.Name {
				t.Errorf("bad name %q", p.Name)
			}
			if p.Doc == "" || !strings.HasSuffix(p.Doc, ".") || strings.Contains(p.Doc, "\n") {
				t.Errorf("Doc %q: want one sentence on one line", p.Doc)
			}
			if p.New == nil {
				t.Fatal("no constructor")
			}
			if got, ok := Lookup(p.Name); !ok || got.Name != p.Name {
				t.Errorf("Lookup(%q) = %v, %v", p.Name, got.Name, ok)
			}
			values, ok := sampleValues[p.Name]
			if !ok {
				if p.Kind == FolderHook {
					t.Skip("folder plugin: tested in its own file")
				}
				t.Fatalf("no sample values for %q: add them to sampleValues", p.Name)
			}
			h, err := p.New(values)
			if err != nil {
				t.Fatalf("New(%q): %v", values, err)
			}
			var implements bool
			switch p.Kind {
			case FolderHook:
				_, implements = h.(hooks.FolderMapper)
			case SkipHook:
				_, implements = h.(hooks.MessageSkipper)
			case RewriteHook:
				_, implements = h.(hooks.MessageRewriter)
			case FlagHook:
				_, implements = h.(hooks.FlagFilter)
			default:
				t.Fatalf("invalid kind %d", p.Kind)
			}
			if !implements {
				t.Errorf("%T does not implement the %s hook interface", h, p.Kind)
			}
			if p.Kind == SkipHook || p.Kind == FlagHook {
				ho, ok := h.(hooks.HeaderOnly)
				if !ok {
					t.Errorf("%T does not say whether it is header-only", h)
				}
				want := p.Name != "skipmess" && p.Name != "maxlinelength" && p.Name != "minmaxlinelength"
				if ok && ho.HeaderOnly() != want {
					t.Errorf("HeaderOnly() = %v, want %v", ho.HeaderOnly(), want)
				}
			}
			if r := Rank(p.Kind, p.Name); p.Kind != FolderHook && r < 0 {
				t.Errorf("%q is missing from Order(%s)", p.Name, p.Kind)
			}
		})
	}
}

// TestOrder checks imapsync's transform order (regexmess, then pipemess,
// then the addheader prepend, then truncmess) and that filterbuggyflags
// comes before the user's regexflag rules, as imapsync prepends its rule.
func TestOrder(t *testing.T) {
	want := []string{"regexmess", "disarmreadreceipts", "pipemess", "addheader", "truncmess", "maxlinelengthcmd"}
	if got := Order(RewriteHook); !slices.Equal(got, want) {
		t.Errorf("Order(rewrite) = %q, want %q", got, want)
	}
	if Rank(FlagHook, "filterbuggyflags") > Rank(FlagHook, "regexflag") {
		t.Error("filterbuggyflags must run before regexflag")
	}
	// The line-length skips judge the rewritten message: last.
	if n := len(Order(SkipHook)); Rank(SkipHook, "maxlinelength") < n-2 || Rank(SkipHook, "minmaxlinelength") < n-2 {
		t.Error("maxlinelength and minmaxlinelength must be the last skip hooks")
	}
	if Rank(FolderHook, "maxsize") != -1 || Rank(SkipHook, "nosuch") != -1 {
		t.Error("Rank of an unordered name is not -1")
	}
}

func ExampleAll() {
	for _, p := range All() {
		if p.Kind != FolderHook && (p.Name == "maxsize" || p.Name == "truncmess") {
			fmt.Println(p.Name, p.Kind)
		}
	}
	// Output:
	// maxsize skip
	// truncmess rewrite
}

// TestConcurrentUse runs every message plugin from several goroutines on
// its own messages; run with -race.
func TestConcurrentUse(t *testing.T) {
	const msg = "Subject: a\r\nDisposition-Notification-To: a@b\r\n\r\naaa\r\n"
	var built []any
	for _, p := range All() {
		if v, ok := sampleValues[p.Name]; ok {
			built = append(built, build(t, p.Name, v...))
		}
	}
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for _, h := range built {
				m := rawMsg(msg)
				switch h := h.(type) {
				case hooks.MessageSkipper:
					_, err = h.Skip(m)
				case hooks.MessageRewriter:
					err = h.Rewrite(m)
				case hooks.FlagFilter:
					_, err = h.Flags(m, []string{`\Seen`, `\Flagged`, `\JUNK`})
				}
				if err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
