package report

import "github.com/imapshift/imapshift/core/exitcode"

// ClassDuplicates is the class of a run that left on host2 duplicates it
// created itself (present at the end, not at the start) without
// --delete2duplicates: every message must arrive exactly once, so such a
// run ends with exitcode.WithErrors (111), like imapsync's runs with
// errors.
const ClassDuplicates Class = "ERR_DUPLICATES_HOST2"

func init() {
	classes[ClassDuplicates] = classInfo{exitcode.WithErrors,
		"This run left duplicates on host2: remove them with --delete2duplicates (a rerun with it deletes only the extra copies)."}
}
