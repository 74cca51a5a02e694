package perlre

// Rules the presets (--gmail1, --office2, --domino2, ...) add, as imapsync
// writes them; each one parses with ParseSubst.
const (
	// Gmail1DropPrefix is --gmail1's (and --gmail2's) --regextrans2: it
	// removes "[Gmail]" and the character after it, first occurrence only.
	Gmail1DropPrefix = `s,\[Gmail\].,,`
	// Gmail2TrimBlanks trims blanks at both ends of a folder name.
	Gmail2TrimBlanks = `s,^ +| +$,,g`
	// Gmail2TrimSlashBlanks trims blanks around "/".
	Gmail2TrimSlashBlanks = `s,/ +| +/,/,g`
	// Gmail2Quotes turns ', \, ^ and " into "_".
	Gmail2Quotes = `s/['\\^"]/_/g`
	// OfficeWrapLines is --office2's and --exchange2's --regexmess: a CRLF
	// after every 10239 characters of a line (apply with ApplyBytes, so
	// that bytes are counted as imapsync does).
	OfficeWrapLines = `s,(.{10239}),$1\r\n,g`
	// Domino2InboxChildren is --domino2's --regextrans2: children of
	// Inbox move to the root.
	Domino2InboxChildren = `s,^Inbox\\(.*),$1,i`
	// Exchange2DropFlagged is --exchange2's --regexflag.
	Exchange2DropFlagged = `s/\\Flagged//g`
	// DisarmReadReceipts is --disarmreadreceipts' --regexmess: it renames
	// the first Disposition-Notification-To: header to
	// X-Disposition-Notification-To:, in the header block only (the lines
	// before the first empty line), keeping its case. Applying it twice
	// changes nothing more.
	DisarmReadReceipts = `s{\A((?:[^\r\n]+\r?\n)*?)(Disposition-Notification-To:)}{$1X-$2}i`
)
