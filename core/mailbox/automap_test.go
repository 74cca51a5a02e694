package mailbox

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestGuessSpecial: a name, with the side's prefix removed, guesses a special
// use when it is exactly one of guessTable's names.
func TestGuessSpecial(t *testing.T) {
	for _, tc := range []struct{ name, in, prefix, want string }{
		{"Sent", "Sent", "", UseSent},
		{"unknown name", "Blabla", "", ""},
		{"prefix removed", "INBOX.Sent", "INBOX.", UseSent},
		{"prefix not removed when absent", "Sent", "INBOX.", UseSent},
		{"prefix required for INBOX.Sent", "INBOX.Sent", "", ""},
		{"case-sensitive", "sent", "", ""},
		{"Junk and junk", "junk", "", UseJunk},
		{"French NFC", "\u00c9l\u00e9ments envoy\u00e9s", "", UseSent},
		{"French NFD", "E\u0301le\u0301ments envoye\u0301s", "", UseSent},
		{"Japanese", "送信済みアイテム", "", UseSent},
		{"Russian trash", "Корзина", "INBOX/", UseTrash},
		{"Polish junk", "Wiadomości-śmieci", "", UseJunk},
		{"All Messages", "All Messages", "", UseAll},
		{"Archives", "Archives", "", UseArchive},
		{"Wersje robocze", "Wersje robocze", "", UseDrafts},
		{"Starred", "Starred", "", UseFlagged},
		{"Deleted Messages", "Deleted Messages", "", UseTrash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := GuessSpecial(tc.in, tc.prefix); got != tc.want {
				t.Errorf("GuessSpecial(%q, %q) = %q, want %q", tc.in, tc.prefix, got, tc.want)
			}
		})
	}
	t.Run("every use has names", func(t *testing.T) {
		for _, u := range SpecialUses {
			var names []string
			for _, g := range guessTable {
				if g.use == u {
					names = append(names, g.names...)
				}
			}
			if len(names) == 0 {
				t.Errorf("no names for %s", u)
			}
			for _, n := range names {
				if GuessSpecial(n, "") != u {
					t.Errorf("GuessSpecial(%q) != %s", n, u)
				}
			}
		}
	})
}

func TestAutomap(t *testing.T) {
	for _, tc := range []struct {
		name             string
		h1, h2           []Folder
		prefix1, prefix2 string
		want             map[string]string
		notes            []string
	}{
		{
			name: "dot INBOX. host1 guessed, slash host2 attribute",
			h1: []Folder{
				{Name: "INBOX"}, {Name: "INBOX.Sent Items"}, {Name: "INBOX.Drafts"},
				{Name: "INBOX.Work"}, {Name: "INBOX.Sent Items.2023"},
			},
			h2: []Folder{
				{Name: "INBOX"}, {Name: "Sent", Attrs: []string{`\HasNoChildren`, `\Sent`}},
				{Name: "Brouillons", Attrs: []string{`\Drafts`}}, {Name: "Work"},
			},
			prefix1: "INBOX.", prefix2: "",
			want: map[string]string{"INBOX.Sent Items": "Sent", "INBOX.Drafts": "Brouillons"},
		},
		{
			name: "rule 1 attribute to attribute beats names",
			h1:   []Folder{{Name: "[Gmail]/Sent Mail", Attrs: []string{`\Sent`}}, {Name: "[Gmail]/Bin", Attrs: []string{`\trash`}}},
			h2:   []Folder{{Name: "Sent"}, {Name: "Gesendet", Attrs: []string{`\Sent`}}, {Name: "Papierkorb", Attrs: []string{`\Trash`}}},
			want: map[string]string{"[Gmail]/Sent Mail": "Gesendet", "[Gmail]/Bin": "Papierkorb"},
		},
		{
			name:    "rule 2 attribute to guess",
			h1:      []Folder{{Name: "Envoyés", Attrs: []string{`\Sent`}}},
			h2:      []Folder{{Name: "INBOX/Sent Messages"}},
			prefix2: "INBOX/",
			want:    map[string]string{"Envoyés": "INBOX/Sent Messages"},
		},
		{
			name: "rule 4 guess to guess, first guessed per side",
			h1:   []Folder{{Name: "Trash"}, {Name: "Deleted Items"}},
			h2:   []Folder{{Name: "Корзина"}, {Name: "Kosz"}},
			// "Deleted Items" sorts first on host1; on host2 "Корзина"
			// ("&BBoEPgRA...") sorts before "Kosz" in UTF-7 order, not in UTF-8.
			want: map[string]string{"Deleted Items": "Корзина"},
		},
		{
			name: "no counterpart, no entry",
			h1:   []Folder{{Name: "Junk", Attrs: []string{`\Junk`}}, {Name: "Spam"}},
			h2:   []Folder{{Name: "Other"}},
			want: map[string]string{},
		},
		{
			name: "duplicate attribute ignored with a note",
			h1: []Folder{
				{Name: "Sent", Attrs: []string{`\Sent`}},
				{Name: "Sent Messages", Attrs: []string{`\Sent`}},
			},
			h2: []Folder{
				{Name: "A", Attrs: []string{`\Sent`}},
				{Name: "B", Attrs: []string{`\Sent`}},
			},
			want: map[string]string{"Sent": "A"},
			notes: []string{
				`Host1: special \Sent already assigned to [Sent], ignoring [Sent Messages]`,
				`Host2: special \Sent already assigned to [A], ignoring [B]`,
			},
		},
		{
			name: "first special-use attribute of a folder wins",
			h1:   []Folder{{Name: "X", Attrs: []string{`\Noselect`, `\Junk`, `\Trash`}}},
			h2:   []Folder{{Name: "T", Attrs: []string{`\Trash`}}, {Name: "J", Attrs: []string{`\Junk`}}},
			want: map[string]string{"X": "J"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, notes := Automap(tc.h1, tc.h2, tc.prefix1, tc.prefix2)
			if !maps.Equal(got, tc.want) {
				t.Errorf("Automap = %v, want %v", got, tc.want)
			}
			if !slices.Equal(notes, tc.notes) {
				t.Errorf("notes = %q, want %q", notes, tc.notes)
			}
		})
	}
}

// TestAutomapThroughTranslate checks the end-to-end case of the brief: a '.'
// host1 with prefix INBOX. and a '/' host2 whose Sent folder has \Sent.
func TestAutomapThroughTranslate(t *testing.T) {
	h1 := []Folder{{Name: "INBOX"}, {Name: "INBOX.Sent Items"}, {Name: "INBOX.Sent Items.2023"}, {Name: "INBOX.Work"}}
	h2 := []Folder{{Name: "INBOX"}, {Name: "Sent", Attrs: []string{`\Sent`}}}
	m, _ := Automap(h1, h2, "INBOX.", "")
	tt := Translator{Sep1: ".", Sep2: "/", Prefix1: "INBOX.", FixSlash2: true, Automap: m}
	for _, tc := range []struct{ in, want, rule string }{
		{"INBOX.Sent Items", "Sent", RuleAutomap},
		{"INBOX.Sent Items.2023", "Sent Items/2023", RuleTranslate}, // subfolders are not remapped
		{"INBOX.Work", "Work", RuleTranslate},
		{"INBOX", "INBOX", RuleTranslate},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, rule, err := tt.Translate(tc.in)
			if err != nil || got != tc.want || rule != tc.rule {
				t.Errorf("Translate(%q) = %q, %q, %v; want %q, %q", tc.in, got, rule, err, tc.want, tc.rule)
			}
		})
	}
	lines := AutomapLines(m, []string{"INBOX", "INBOX.Sent Items"})
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "[INBOX.Sent Items]") || !strings.Contains(lines[0], " -> [Sent]") {
		t.Errorf("AutomapLines = %q", lines)
	}
	if want := 40 + len(" -> ") + 40; len(lines[0]) != want {
		t.Errorf("line width %d, want %d", len(lines[0]), want)
	}
}
