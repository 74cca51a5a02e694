package verify

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Kind is the kind of a finding about one message.
type Kind int

// The kinds up to BodyDiffers are differences: they make a report
// unequal. The others are listed for information only, because a sync
// with the same options does not copy those messages either.
const (
	// Missing: a host1 message with no host2 message of the same key and
	// size.
	Missing Kind = iota + 1
	// Extra: a host2 message with no host1 message of the same key and
	// size.
	Extra
	// Duplicated: a host2 message beyond the number of host1 messages of
	// its key and size; UID1 names the host1 message it repeats.
	Duplicated
	// FlagsDiffer: a matched pair whose flags differ (\Recent ignored,
	// keywords compared case-insensitively).
	FlagsDiffer
	// DateDiffers: a matched pair whose internal dates differ (to the
	// second, whatever the time zone).
	DateDiffers
	// BodyDiffers: a matched pair whose bytes differ (only with Bodies).
	BodyDiffers
	// Unidentified1: a host1 message without any identity header, which
	// a sync without --addheader does not copy, and which is not
	// compared. With Bodies, such a message whose bytes a host2 message
	// has is matched to it instead and not listed.
	Unidentified1
	// Unidentified2: a host2 message without any identity header that no
	// host1 message matches (by bytes, with Bodies).
	Unidentified2
	// SkippedDuplicate1: a host1 message with the identity key of an
	// earlier host1 message (FirstUID), which a sync without
	// --syncduplicates skips, and which host2 does not have.
	SkippedDuplicate1
)

// IsDifference reports whether k makes a report unequal.
func (k Kind) IsDifference() bool { return k >= Missing && k <= BodyDiffers }

// String is the label used in listings.
func (k Kind) String() string {
	switch k {
	case Missing:
		return "missing on host2"
	case Extra:
		return "extra on host2"
	case Duplicated:
		return "duplicated on host2"
	case FlagsDiffer:
		return "flags differ"
	case DateDiffers:
		return "internal date differs"
	case BodyDiffers:
		return "body differs"
	case Unidentified1:
		return "unidentified on host1"
	case Unidentified2:
		return "unidentified on host2"
	case SkippedDuplicate1:
		return "host1 duplicate not on host2"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Difference is one finding about one message. UID1 and UID2 are zero
// on the side the message is not on.
type Difference struct {
	Kind       Kind
	UID1, UID2 imap.UID
	// MessageID is the Message-Id value (the host1 message's when there
	// is one), cut to 200 bytes; Size is its RFC822.SIZE.
	MessageID string
	Size      int64
	// Flags1 and Flags2 are set for FlagsDiffer, Date1 and Date2 for
	// DateDiffers, Hash1 and Hash2 (hex SHA-256) for BodyDiffers.
	Flags1, Flags2 []imap.Flag
	Date1, Date2   time.Time
	Hash1, Hash2   string
	// FirstUID and FirstSize name the earlier host1 message with the
	// same key, for SkippedDuplicate1.
	FirstUID  imap.UID
	FirstSize int64
}

// FolderReport is the comparison of one folder pair.
type FolderReport struct {
	Folder1, Folder2 string
	// Missing2 is true when Folder2 does not exist on host2: every host1
	// message is then Missing.
	Missing2 bool
	// Messages1 and Messages2 are the numbers of messages read.
	Messages1, Messages2 int
	// Matched is the number of host1 messages paired with a host2
	// message of the same key and size.
	Matched int
	// Unidentified1 and Unidentified2 count the messages without any
	// identity header, matched by their bytes or not (with AddHeader,
	// host1 ones get a key instead).
	Unidentified1, Unidentified2 int
	// Duplicates1 counts the host1 messages a sync skips as duplicates
	// of an earlier one (zero with SyncDuplicates).
	Duplicates1 int
	// Differences lists the findings, differences first, by kind then
	// host1 UID then host2 UID.
	Differences []Difference
	// Err is set when the folder could not be compared; the counts are
	// then zero.
	Err error
}

// Count returns the number of findings of kind k.
func (f *FolderReport) Count(k Kind) int {
	n := 0
	for _, d := range f.Differences {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// Equal reports whether the folder was compared, exists on host2 and has
// no difference.
func (f *FolderReport) Equal() bool {
	if f.Err != nil || f.Missing2 {
		return false
	}
	for _, d := range f.Differences {
		if d.Kind.IsDifference() {
			return false
		}
	}
	return true
}

// FolderError says that a host1 folder of a pair does not exist.
type FolderError struct {
	Side   int
	Folder string
}

func (e *FolderError) Error() string {
	return fmt.Sprintf("host%d: folder %q does not exist", e.Side, e.Folder)
}

// Report is the result of Compare.
type Report struct {
	Folders []FolderReport
	// Bodies tells whether message bytes were compared.
	Bodies  bool
	Started time.Time
	Elapsed time.Duration
}

// Equal reports whether every folder was compared and none has a
// difference.
func (r *Report) Equal() bool {
	for i := range r.Folders {
		if !r.Folders[i].Equal() {
			return false
		}
	}
	return true
}

// Count returns the number of findings of kind k over all folders.
func (r *Report) Count(k Kind) int {
	n := 0
	for i := range r.Folders {
		n += r.Folders[i].Count(k)
	}
	return n
}

// Differences returns the number of differences over all folders.
func (r *Report) Differences() int {
	n := 0
	for k := Missing; k <= BodyDiffers; k++ {
		n += r.Count(k)
	}
	return n
}

// Errors returns the number of folders that could not be compared.
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Folders {
		if f.Err != nil {
			n++
		}
	}
	return n
}

// Messages returns the number of host1 messages read.
func (r *Report) Messages() int {
	n := 0
	for _, f := range r.Folders {
		n += f.Messages1
	}
	return n
}

// Verdict is the one-line conclusion, e.g. "verify: host2 matches host1:
// 3 folders, 1,234 messages" or "verify: 5 differences: 2 missing, 1
// extra, 1 duplicated, 1 flags differ".
func (r *Report) Verdict() string {
	if r.Equal() {
		s := fmt.Sprintf("verify: host2 matches host1: %s, %s", plural(len(r.Folders), "folder"), plural(r.Messages(), "message"))
		if r.Bodies {
			s += ", bodies compared"
		}
		if n := r.Count(Unidentified1); n > 0 {
			s += fmt.Sprintf(" (%s without identity header not compared)", plural(n, "host1 message"))
		}
		return s
	}
	var parts []string
	labels := map[Kind]string{Missing: "missing", Extra: "extra", Duplicated: "duplicated", FlagsDiffer: "flags differ", DateDiffers: "internal dates differ", BodyDiffers: "bodies differ"}
	for k := Missing; k <= BodyDiffers; k++ {
		if n := r.Count(k); n > 0 {
			parts = append(parts, group3(int64(n))+" "+labels[k])
		}
	}
	missingFolders := 0
	for _, f := range r.Folders {
		if f.Missing2 {
			missingFolders++
		}
	}
	if missingFolders > 0 {
		parts = append(parts, plural(missingFolders, "folder")+" missing on host2")
	}
	if n := r.Errors(); n > 0 {
		parts = append(parts, plural(n, "folder")+" not compared")
	}
	n := r.Differences() + missingFolders
	if n == 0 {
		return "verify: " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("verify: %s: %s", plural(n, "difference"), strings.Join(parts, ", "))
}

// Print writes a table with one row per folder pair, then one line per
// finding, then the verdict.
func (r *Report) Print(w io.Writer) error {
	pw := &errWriter{w: w}
	name := func(f *FolderReport) string {
		if f.Folder1 == f.Folder2 {
			return f.Folder1
		}
		return f.Folder1 + " -> " + f.Folder2
	}
	width := len("Folder")
	for i := range r.Folders {
		width = max(width, len(name(&r.Folders[i])))
	}
	bodies := func(f *FolderReport) string {
		if !r.Bodies {
			return "-"
		}
		return group3(int64(f.Count(BodyDiffers)))
	}
	pw.printf("%-*s %9s %9s %9s %8s %8s %10s %6s %6s %7s\n", width, "Folder", "host1", "host2", "matched", "missing", "extra", "duplicated", "flags", "dates", "bodies")
	for i := range r.Folders {
		f := &r.Folders[i]
		if f.Err != nil {
			pw.printf("%-*s not compared: %v\n", width, name(f), f.Err)
			continue
		}
		h2 := group3(int64(f.Messages2))
		if f.Missing2 {
			h2 = "no folder"
		}
		pw.printf("%-*s %9s %9s %9s %8s %8s %10s %6s %6s %7s\n", width, name(f),
			group3(int64(f.Messages1)), h2, group3(int64(f.Matched)),
			group3(int64(f.Count(Missing))), group3(int64(f.Count(Extra))), group3(int64(f.Count(Duplicated))),
			group3(int64(f.Count(FlagsDiffer))), group3(int64(f.Count(DateDiffers))), bodies(f))
	}
	for i := range r.Folders {
		f := &r.Folders[i]
		if f.Missing2 {
			pw.printf("%s: folder %q does not exist on host2\n", f.Folder1, f.Folder2)
		}
		for _, d := range f.Differences {
			pw.printf("%s: %s\n", f.Folder1, d.describe(f))
		}
	}
	pw.printf("%s\n", r.Verdict())
	return pw.err
}

// describe is the listing line of d, after "folder: ".
func (d *Difference) describe(f *FolderReport) string {
	msgID := d.MessageID
	if msgID == "" {
		msgID = "(none)"
	}
	tail := fmt.Sprintf(", Message-Id %s, %s bytes", msgID, group3(d.Size))
	switch d.Kind {
	case Missing:
		return fmt.Sprintf("%s: host1 UID %d%s", d.Kind, d.UID1, tail)
	case Extra, Unidentified2:
		return fmt.Sprintf("%s: host2 UID %d in %q%s", d.Kind, d.UID2, f.Folder2, tail)
	case Duplicated:
		return fmt.Sprintf("%s: host2 UID %d in %q is one more copy of host1 UID %d%s", d.Kind, d.UID2, f.Folder2, d.UID1, tail)
	case FlagsDiffer:
		return fmt.Sprintf("%s: host1 UID %d (%s), host2 UID %d (%s)%s", d.Kind, d.UID1, flagList(d.Flags1), d.UID2, flagList(d.Flags2), tail)
	case DateDiffers:
		return fmt.Sprintf("%s: host1 UID %d (%s), host2 UID %d (%s)%s", d.Kind, d.UID1, d.Date1.Format(imapDate), d.UID2, d.Date2.Format(imapDate), tail)
	case BodyDiffers:
		return fmt.Sprintf("%s: host1 UID %d (sha256 %s), host2 UID %d (sha256 %s)%s", d.Kind, d.UID1, d.Hash1, d.UID2, d.Hash2, tail)
	case Unidentified1:
		return fmt.Sprintf("%s: host1 UID %d%s: none of the identity headers, a sync without --addheader does not copy it", d.Kind, d.UID1, tail)
	case SkippedDuplicate1:
		s := fmt.Sprintf("%s: host1 UID %d%s: same identity key as host1 UID %d, a sync without --syncduplicates skips it", d.Kind, d.UID1, tail, d.FirstUID)
		if d.FirstSize != d.Size {
			s += fmt.Sprintf("; the sizes differ (%s bytes there): probably a distinct message", group3(d.FirstSize))
		}
		return s
	}
	return d.Kind.String()
}

// imapDate is the IMAP internal date layout.
const imapDate = "02-Jan-2006 15:04:05 -0700"

func flagList(fs []imap.Flag) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	slices.Sort(s)
	if len(s) == 0 {
		return "no flags"
	}
	return strings.Join(s, " ")
}

// plural formats n with thousands separators and the noun, with an "s"
// unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return group3(int64(n)) + " " + noun + "s"
}

// group3 formats n with a comma every three digits: 1,234,567.
func group3(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
