package mailbox

import (
	"regexp"
	"slices"
	"strings"
)

// Selection is the folder-selection part of the options.
// The zero value selects every host1 folder and checks nothing.
type Selection struct {
	// Folders are exact host1 names (--folder).
	Folders []string
	// FolderRec are host1 names whose whole subtree is wanted (--folderrec).
	FolderRec []string
	// Subscribed adds every folder subscribed on host1 (--subscribed).
	Subscribed bool
	// Include adds every host1 folder matching one of them (--include);
	// Exclude removes every selected folder matching one (--exclude), last.
	// Matching is unanchored and on the UTF-8 name.
	Include, Exclude []*regexp.Regexp
	// FolderFirst and FolderLast put the named folders, if selected, at the
	// start and the end, in the order given (--folderfirst, --folderlast).
	FolderFirst, FolderLast []string
	// CheckFoldersExist drops selected folders missing from host1's LIST,
	// with a warning (--checkfoldersexist, on by default in imapsync).
	CheckFoldersExist bool
}

// DefaultAll reports whether the selection starts from every host1 folder
// (no --folder, --folderrec, --subscribed or --include), the case where
// imapsync prints "Including all folders found by default...".
func (s Selection) DefaultAll() bool {
	return len(s.Folders) == 0 && len(s.FolderRec) == 0 && !s.Subscribed && len(s.Include) == 0
}

// Select returns the host1 folders to sync, in sync order, from all (host1's
// LIST), subscribed (host1's LSUB) and sep (host1's separator), following
// imapsync:
//
//  1. if Folders, Subscribed or FolderRec is given: the Folders, the
//     subscribed names when Subscribed, and for each FolderRec X the names
//     in all equal to X or starting with X+sep;
//  2. otherwise, without Include: all;
//  3. plus every name in all matching an Include;
//  4. minus every selected name matching an Exclude (exclude always wins);
//  5. order: FolderFirst (as given, if selected), the rest in folder order
//     (Sort), FolderLast (as given, if selected and not first);
//  6. with CheckFoldersExist, names not in all are dropped with the warning
//     "Host1: warning! ignoring folder X because it is not in host1 whole
//     folders list.".
//
// Duplicates collapse. The inputs are not modified.
func Select(all, subscribed []string, sel Selection, sep string) (wanted []string, warnings []string) {
	set := make(map[string]bool)
	if len(sel.Folders) > 0 || sel.Subscribed || len(sel.FolderRec) > 0 {
		for _, f := range sel.Folders {
			set[f] = true
		}
		if sel.Subscribed {
			for _, f := range subscribed {
				set[f] = true
			}
		}
		for _, root := range sel.FolderRec {
			for _, f := range all {
				if f == root || (sep != "" && strings.HasPrefix(f, root+sep)) {
					set[f] = true
				}
			}
		}
	} else if len(sel.Include) == 0 {
		for _, f := range all {
			set[f] = true
		}
	}
	for _, re := range sel.Include {
		for _, f := range all {
			if re.MatchString(f) {
				set[f] = true
			}
		}
	}
	for _, re := range sel.Exclude {
		for f := range set {
			if re.MatchString(f) {
				delete(set, f)
			}
		}
	}

	ordered := orderFolders(set, sel.FolderFirst, sel.FolderLast)
	if !sel.CheckFoldersExist {
		return ordered, nil
	}
	exists := make(map[string]bool, len(all))
	for _, f := range all {
		exists[f] = true
	}
	wanted = ordered[:0]
	for _, f := range ordered {
		if exists[f] {
			wanted = append(wanted, f)
			continue
		}
		warnings = append(warnings, "Host1: warning! ignoring folder "+f+" because it is not in host1 whole folders list.")
	}
	return wanted, warnings
}

// orderFolders lists set as first (in order, if in set), the rest in folder
// order, then last (in order, if in set and not already placed).
func orderFolders(set map[string]bool, first, last []string) []string {
	out := make([]string, 0, len(set))
	placed := make(map[string]bool, len(first)+len(last))
	var head, tail []string
	for _, f := range first {
		if set[f] && !placed[f] {
			placed[f] = true
			head = append(head, f)
		}
	}
	for _, f := range last {
		if set[f] && !placed[f] {
			placed[f] = true
			tail = append(tail, f)
		}
	}
	var middle []string
	for f := range set {
		if !placed[f] {
			middle = append(middle, f)
		}
	}
	Sort(middle)
	out = append(out, head...)
	out = append(out, middle...)
	return append(out, tail...)
}

// Subfolder1Root returns the --folderrec root imapsync uses for
// --subfolder1 sub (sanitized, one trailing sep1 dropped): sub itself when
// host1 lists it, else prefix1+sub when host1 lists that, else ok is false
// (imapsync exits 21, EXIT_SUBFOLDER1_NO_EXISTS).
func Subfolder1Root(sub, sep1, prefix1 string, all []string) (root string, ok bool) {
	s := trimOnce(SanitizeSubfolder(sub), sep1)
	if s == "" {
		return "", false
	}
	if slices.Contains(all, s) {
		return s, true
	}
	if slices.Contains(all, prefix1+s) {
		return prefix1 + s, true
	}
	return "", false
}
