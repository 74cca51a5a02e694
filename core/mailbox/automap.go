package mailbox

import (
	"fmt"
	"slices"
	"strings"
)

// Folder is one LIST entry: a UTF-8 name and its attributes as the server
// sent them (e.g. `\HasNoChildren`, `\Sent`).
type Folder struct {
	Name  string
	Attrs []string
}

// The RFC 6154 special-use attributes automap knows, in this order.
const (
	UseAll     = `\All`
	UseArchive = `\Archive`
	UseDrafts  = `\Drafts`
	UseFlagged = `\Flagged`
	UseJunk    = `\Junk`
	UseSent    = `\Sent`
	UseTrash   = `\Trash`
)

// SpecialUses lists the attributes automap handles.
var SpecialUses = []string{UseAll, UseArchive, UseDrafts, UseFlagged, UseJunk, UseSent, UseTrash}

// guessTable is imapsync's name → special-use table, in UTF-8.
// Names match exactly (case-sensitive) after the side's prefix is removed.
var guessTable = []struct {
	use   string
	names []string
}{
	{UseAll, []string{"All", "All Messages", "Все"}},
	{UseArchive, []string{"Archive", "Archives", "Архив"}},
	{UseDrafts, []string{"Drafts", "DRAFTS", "Черновики", "Szkice", "Wersje robocze"}},
	{UseFlagged, []string{"Flagged", "Starred", "Помеченные"}},
	{UseJunk, []string{"Junk", "junk", "Spam", "SPAM", "Спам", "Potwierdzony spam",
		"Wiadomości-śmieci", "Junk E-Mail", "Junk Email"}},
	{UseSent, []string{"Sent", "Sent Messages", "Sent Items", "Gesendete Elemente", "Gesendete Objekte",
		"\u00c9l\u00e9ments envoy\u00e9s",    // precomposed (NFC)
		"E\u0301le\u0301ments envoye\u0301s", // combining accents (NFD)
		"Envoyé", "Objets envoyés", "Elementos enviados", "Posta inviata",
		"送信済みアイテム", "Отправленные", "Elementy wysłane"}},
	{UseTrash, []string{"Trash", "TRASH", "Удаленные", "Корзина", "Kosz", "Deleted Items", "Deleted Messages"}},
}

var guessIndex = func() map[string]string {
	m := make(map[string]string)
	for _, g := range guessTable {
		for _, n := range g.names {
			m[n] = g.use
		}
	}
	return m
}()

// GuessSpecial returns the special use guessed from name alone ("" if none):
// prefix is removed from the start when present, then the rest must be
// exactly one of the names of guessTable. ("Sent", "") → `\Sent`;
// ("INBOX.Sent", "INBOX.") → `\Sent`; ("Blabla", "") → "".
func GuessSpecial(name, prefix string) string {
	if prefix != "" {
		name = strings.TrimPrefix(name, prefix)
	}
	return guessIndex[name]
}

// specialAttr returns the first special-use attribute in attrs, in the
// canonical spelling of SpecialUses, or "".
func specialAttr(attrs []string) string {
	for _, a := range attrs {
		for _, u := range SpecialUses {
			if strings.EqualFold(a, u) {
				return u
			}
		}
	}
	return ""
}

// specials is one side's special-use view: by attribute and by name guess.
type specials struct {
	byAttr    map[string]string // use -> folder (first in folder order)
	attrOf    map[string]string // folder -> use, for the folders kept in byAttr
	byGuess   map[string]string // use -> folder (first in folder order)
	guessedAs map[string]string // folder -> use, for the folders kept in byGuess
}

func sideSpecials(side string, folders []Folder, prefix string, notes *[]string) specials {
	s := specials{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	sorted := slices.Clone(folders)
	slices.SortStableFunc(sorted, func(a, b Folder) int { return Compare(a.Name, b.Name) })
	for _, f := range sorted {
		if use := specialAttr(f.Attrs); use != "" {
			if prev, ok := s.byAttr[use]; ok {
				if prev != f.Name {
					*notes = append(*notes, fmt.Sprintf("%s: special %s already assigned to %s, ignoring %s",
						side, use, Display(prev), Display(f.Name)))
				}
			} else {
				s.byAttr[use] = f.Name
				s.attrOf[f.Name] = use
			}
		}
		if use := GuessSpecial(f.Name, prefix); use != "" {
			if _, ok := s.byGuess[use]; !ok {
				s.byGuess[use] = f.Name
				s.guessedAs[f.Name] = use
			}
		}
	}
	return s
}

// Automap builds the --automap table (see docs/folder-names.md) from host1's and host2's
// LIST entries and their prefixes. Pass whole LISTs; the map has an entry
// for every host1 folder that gets one, and Translator.Translate consults it
// only for the folders it translates.
//
// Each side's special folders come from SPECIAL-USE attributes (a folder's
// first special-use attribute counts; a later folder in folder order with the
// same attribute is ignored with a note, as if it had none) and from
// GuessSpecial on the names (first in folder order per use). For each host1
// folder F, first match wins:
//
//  1. F has attribute S and a host2 folder has attribute S → that folder;
//  2. F has attribute S and a host2 folder is guessed as S → that folder;
//  3. F has no attribute, is host1's guess for S, and a host2 folder has
//     attribute S → that folder;
//  4. F is host1's guess for S and a host2 folder is guessed as S → that.
//
// Subfolders of special folders are not mapped (as in imapsync).
func Automap(h1, h2 []Folder, prefix1, prefix2 string) (map[string]string, []string) {
	var notes []string
	s1 := sideSpecials("Host1", h1, prefix1, &notes)
	s2 := sideSpecials("Host2", h2, prefix2, &notes)
	m := make(map[string]string)
	for _, f := range h1 {
		if use := s1.attrOf[f.Name]; use != "" {
			if g, ok := s2.byAttr[use]; ok {
				m[f.Name] = g
			} else if g, ok := s2.byGuess[use]; ok {
				m[f.Name] = g
			}
			continue
		}
		if use := s1.guessedAs[f.Name]; use != "" {
			if g, ok := s2.byAttr[use]; ok {
				m[f.Name] = g
			} else if g, ok := s2.byGuess[use]; ok {
				m[f.Name] = g
			}
		}
	}
	return m, notes
}

// AutomapLines renders the automap table as imapsync prints it after
// "Folders mapping from --automap feature (use --f1f2 to override any
// mapping):", one "%-40s -> %-40s" line per entry, for the host1 folders in
// order that have one.
func AutomapLines(m map[string]string, order []string) []string {
	var out []string
	for _, f := range order {
		if g, ok := m[f]; ok {
			out = append(out, fmt.Sprintf("%-40s -> %-40s", Display(f), Display(g)))
		}
	}
	return out
}
