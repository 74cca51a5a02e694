package mailbox

import (
	"regexp"
	"slices"
	"testing"
)

func res(exprs ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, e := range exprs {
		out = append(out, regexp.MustCompile(e))
	}
	return out
}

// TestSelectSortRequestedFolders: --folderfirst names, then the rest sorted,
// then --folderlast names; first/last names that are not selected are not
// added.
func TestSelectSortRequestedFolders(t *testing.T) {
	for _, tc := range []struct {
		name        string
		all         []string
		first, last []string
		want        []string
	}{
		{"plain", []string{"Z_11", "A_99", "M_55"}, nil, nil, []string{"A_99", "M_55", "Z_11"}},
		{"folderfirst Z_11", []string{"A_99", "M_55", "Z_11"}, []string{"Z_11"}, nil, []string{"Z_11", "A_99", "M_55"}},
		{"folderfirst Z_11 folderlast A_99", []string{"A_99", "M_55", "Z_11"}, []string{"Z_11"}, []string{"A_99"},
			[]string{"Z_11", "M_55", "A_99"}},
		{"two first two last", []string{"A_88", "A_99", "M_44", "M_55", "Z_11", "Z_22"},
			[]string{"Z_22", "Z_11"}, []string{"A_99", "A_88"},
			[]string{"Z_22", "Z_11", "M_44", "M_55", "A_99", "A_88"}},
		{"first/last not selected are not added", []string{"A", "B"}, []string{"X"}, []string{"Y"}, []string{"A", "B"}},
		{"in both first and last: first", []string{"A", "B", "C"}, []string{"C", "C"}, []string{"C", "A"}, []string{"C", "B", "A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warn := Select(tc.all, nil, Selection{FolderFirst: tc.first, FolderLast: tc.last, CheckFoldersExist: true}, "/")
			if !slices.Equal(got, tc.want) || len(warn) != 0 {
				t.Errorf("Select = %q, %q; want %q", got, warn, tc.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	all := []string{"INBOX", "INBOX/Old", "Archive", "Archive/2023", "Archive/2024", "Archivex", "Drafts", "Sent", "Trash", "Données"}
	subscribed := []string{"INBOX", "Sent", "Gone"}
	for _, tc := range []struct {
		name     string
		sel      Selection
		want     []string
		warnings []string
	}{
		{"default all", Selection{CheckFoldersExist: true},
			[]string{"Archive", "Archive/2023", "Archive/2024", "Archivex", "Données", "Drafts", "INBOX", "INBOX/Old", "Sent", "Trash"}, nil},
		{"folder", Selection{Folders: []string{"Sent", "INBOX"}, CheckFoldersExist: true}, []string{"INBOX", "Sent"}, nil},
		{"folder missing warns", Selection{Folders: []string{"Sent", "Nope"}, CheckFoldersExist: true}, []string{"Sent"},
			[]string{"Host1: warning! ignoring folder Nope because it is not in host1 whole folders list."}},
		{"folder missing kept without check", Selection{Folders: []string{"Sent", "Nope"}}, []string{"Nope", "Sent"}, nil},
		{"subscribed", Selection{Subscribed: true, CheckFoldersExist: true}, []string{"INBOX", "Sent"},
			[]string{"Host1: warning! ignoring folder Gone because it is not in host1 whole folders list."}},
		{"folderrec is subtree only", Selection{FolderRec: []string{"Archive"}, CheckFoldersExist: true},
			[]string{"Archive", "Archive/2023", "Archive/2024"}, nil},
		{"include alone starts empty", Selection{Include: res("^Arch"), CheckFoldersExist: true},
			[]string{"Archive", "Archive/2023", "Archive/2024", "Archivex"}, nil},
		{"include is unanchored", Selection{Include: res("202"), CheckFoldersExist: true},
			[]string{"Archive/2023", "Archive/2024"}, nil},
		{"include adds to folder", Selection{Folders: []string{"Sent"}, Include: res("^Tr"), CheckFoldersExist: true},
			[]string{"Sent", "Trash"}, nil},
		{"exclude wins over folder and include", Selection{Folders: []string{"Sent"}, Include: res("^Tr"), Exclude: res("Sent|Trash"), CheckFoldersExist: true},
			nil, nil},
		{"exclude from default all", Selection{Exclude: res("^Archive", "^INBOX/"), CheckFoldersExist: true},
			[]string{"Données", "Drafts", "INBOX", "Sent", "Trash"}, nil},
		{"exclude UTF-8 name", Selection{Exclude: res("^Donn"), Folders: []string{"Données", "Drafts"}, CheckFoldersExist: true},
			[]string{"Drafts"}, nil},
		{"folderfirst after exclude", Selection{Exclude: res("Archive"), FolderFirst: []string{"Archive", "Trash"}, FolderLast: []string{"INBOX"}, CheckFoldersExist: true},
			[]string{"Trash", "Données", "Drafts", "INBOX/Old", "Sent", "INBOX"}, nil},
		{"duplicates collapse", Selection{Folders: []string{"Sent", "Sent"}, Subscribed: true, CheckFoldersExist: true},
			[]string{"INBOX", "Sent"},
			[]string{"Host1: warning! ignoring folder Gone because it is not in host1 whole folders list."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warn := Select(all, subscribed, tc.sel, "/")
			if !slices.Equal(got, tc.want) || !slices.Equal(warn, tc.warnings) {
				t.Errorf("Select = %q, %q; want %q, %q", got, warn, tc.want, tc.warnings)
			}
		})
	}
	t.Run("folderrec without separator", func(t *testing.T) {
		got, _ := Select(all, nil, Selection{FolderRec: []string{"Archive"}}, "")
		if !slices.Equal(got, []string{"Archive"}) {
			t.Errorf("Select = %q, want [Archive]", got)
		}
	})
	t.Run("inputs untouched", func(t *testing.T) {
		in := slices.Clone(all)
		Select(in, subscribed, Selection{CheckFoldersExist: true}, "/")
		if !slices.Equal(in, all) {
			t.Errorf("Select modified all")
		}
	})
}

func TestSelectionDefaultAll(t *testing.T) {
	for _, tc := range []struct {
		name string
		sel  Selection
		want bool
	}{
		{"zero", Selection{}, true},
		{"exclude only", Selection{Exclude: res("x"), FolderFirst: []string{"a"}}, true},
		{"folder", Selection{Folders: []string{"a"}}, false},
		{"folderrec", Selection{FolderRec: []string{"a"}}, false},
		{"subscribed", Selection{Subscribed: true}, false},
		{"include", Selection{Include: res("x")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.sel.DefaultAll(); got != tc.want {
				t.Errorf("DefaultAll = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSubfolder1Root covers add_subfolder1_to_folderrec.
func TestSubfolder1Root(t *testing.T) {
	all := []string{"INBOX", "INBOX.Old", "INBOX.Old.a", "Both", "INBOX.Both"}
	for _, tc := range []struct {
		name, sub, want string
		ok              bool
	}{
		{"with prefix", "Old", "INBOX.Old", true},
		{"exact", "INBOX.Old", "INBOX.Old", true},
		{"trailing separator", "INBOX.Old.", "INBOX.Old", true},
		{"exact preferred", "Both", "Both", true},
		{"missing", "Nope", "", false},
		{"empty", " ", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Subfolder1Root(tc.sub, ".", "INBOX.", all)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Subfolder1Root(%q) = %q, %v; want %q, %v", tc.sub, got, ok, tc.want, tc.ok)
			}
		})
	}
}
