// Package engine is imapshift's sync engine: it discovers the folders of
// both sides, plans what has to change on host2 (folders to create,
// messages to copy, flags to set) and carries the plan out with parallel,
// pipelined connections and a bounded memory budget.
//
// The plan is a value: NewPlan works it out from both servers without
// changing either, Plan.Print lists it (--dry), Plan.Execute carries it
// out. Every change the executor makes to a server goes through one type,
// changes, which printing never reaches. Run is NewPlan followed by Print
// under Options.Dry, by Execute otherwise.
package engine

import (
	"io"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/state"
)

// Options configures one run. The zero value is not useful; cmd/ fills it
// from the command line with imapsync's defaults.
type Options struct {
	Host1, Host2 *conn.Config
	// Dialed, when set for a side, is the login to it begun before the
	// run (conn.Start), with Host1 or Host2 as its Config: the first
	// connection the run opens to that side is this one. The run takes
	// it even when it fails before its first dial; the caller abandons
	// it (Pending.Abandon) after the run, which does nothing then.
	Dialed [2]*conn.Pending

	// Folder selection and naming.
	Selection        mailbox.Selection
	Sep1, Sep2       *string // --sepN; nil when not given
	Prefix1, Prefix2 *string // --prefixN; nil when not given
	FixSlash2        bool
	F1F2             map[string]string
	Automap          bool
	Subfolder1       string
	Subfolder2       string
	// FolderRules are the folder hooks of built-in plugins (--regextrans2
	// ...), run after the name translation and before the INBOX case fix.
	FolderRules []hooks.Named[hooks.FolderMapper]
	// Hooks holds the scripts' folder hooks (run last) and every message
	// hook (skip, rewrite, flags), in order.
	Hooks         *hooks.Chain
	FixInboxINBOX bool
	Subscribe     bool // subscribe on host2 what is subscribed on host1
	SubscribeAll  bool
	// SyncACLs copies host1's folder ACLs to host2 (--syncacls).
	SyncACLs         bool
	SkipEmptyFolders bool
	// MixFolders (imapsync's default) lets a host1 folder land in a host2
	// folder that exists under another case, or that another host1 folder
	// already feeds; --nomixfolders skips such folders instead.
	MixFolders bool
	// CheckSelectable skips host1 folders LIST marks \Noselect (their
	// children are still synced).
	CheckSelectable bool
	// Delete2Folders deletes host2 folders that no host1 folder maps to;
	// the two functions, when set, narrow it (--delete2foldersonly) and
	// protect names (--delete2foldersbutnot).
	Delete2Folders       bool
	Delete2FoldersOnly   func(name string) bool
	Delete2FoldersButNot func(name string) bool
	// Delete1EmptyFolders deletes empty, childless host1 folders (never
	// INBOX).
	Delete1EmptyFolders bool
	// Message deletion. Delete1 removes host1 messages once
	// their copy is confirmed on host2; Expunge1 expunges host1 folders
	// (cmd turns it on with Delete1 unless --noexpunge1). Delete2 removes
	// identified host2 messages that no host1 message matches, and
	// Delete2Duplicates extra copies on host2; UIDExpunge2 expunges only
	// those with UID EXPUNGE, Expunge2 the whole folder. Delete2 refuses to
	// remove more than Delete2Threshold (0..1) of a folder without Force,
	// but only when it would remove more than Delete2Min messages of that
	// folder: a small folder is cleaned whatever the share (0: the share
	// is checked for any count).
	Delete1, Expunge1          bool
	Delete2, Delete2Duplicates bool
	UIDExpunge2, Expunge2      bool
	Delete2Threshold           float64
	Delete2Min                 int
	Force                      bool
	Identity                   identity.Options
	// MessageSelection narrows the messages of each folder and side.
	MessageSelection Selection
	// AppendLimit (--appendlimit) skips, with a reason, messages larger
	// than this; host2's APPENDLIMIT capability lowers it. 0: none.
	AppendLimit int64
	// SkipCrossDuplicates does not copy a message whose key is already in
	// a host2 folder synced before it; DebugCrossDuplicates says which.
	SkipCrossDuplicates, DebugCrossDuplicates bool
	// Limits throttle and bound the copy.
	Limits Limits
	// State, when set (--usecache), remembers host1 UID -> host2 UID per
	// folder pair: folders unchanged on both sides since the last complete
	// sync are skipped, and with UseUID the mapping is the identity
	// (--useuid; no header is compared).
	State             *state.Store
	UseUID            bool
	SyncDuplicates    bool
	AddHeader         bool
	SyncInternalDates bool
	IDateFromHeader   bool
	ResyncFlags       bool
	// DebugFlags prints, for each message analysed, its host1 flags, the
	// flags meant for host2 and, for a message already there, host2's
	// (--debugflags).
	DebugFlags bool
	// DebugContent prints each message's bytes before it is appended
	// (--debugcontent: huge).
	DebugContent    bool
	Dry             bool
	JustFolders     bool
	JustFolderSizes bool
	// JustFolderLists and JustAutomap stop after printing the folder lists
	// and the automap mapping.
	JustFolderLists, JustAutomap bool
	FolderSizes                  bool
	FolderSizesAtEnd             bool
	Parallel                     int
	BodyBudget                   int64
	// AnalysisChunk is how many messages of a folder the analysis fetches
	// per UID FETCH when the folder holds more than that (0: 10,000), so
	// that the metadata in flight stays bounded whatever the folder's size.
	AnalysisChunk int
	// PlanGroup bounds the host1 messages (by STATUS) of the folders a
	// run started with Run plans at once (0: 100,000). A larger account is
	// planned and carried out in groups of folders, each analysed, then
	// printed (--dry) or carried out, then dropped from memory but for
	// its figures, before the next is analysed (see Run).
	PlanGroup int
	// MultiAppend sends several messages per APPEND when host2 offers
	// MULTIAPPEND (one transaction, so one disk sync, per batch).
	MultiAppend     bool
	TmpDir          string
	ErrorsMax       int
	ReconnectRetry1 int
	ReconnectRetry2 int
	Out             io.Writer
	// Progress, when set, is told how the copying advances.
	Progress Progress
	// Observer, when set, is told of every connection opened and closed
	// and of every APPEND's duration (a batch's status page).
	Observer Observer
	// Journal is the path of the write-ahead record of the APPENDs in
	// flight to host2 (package journal); empty: none. A run that finds
	// batches of a dead run in doubt there waits for the host2 folders
	// concerned to settle before reading them, and removes the extra
	// copies the two runs left after copying.
	Journal string
	// SettleMax bounds the wait for one host2 folder to settle (0: 30 s).
	SettleMax time.Duration
	// MaxInFlight bounds the bytes written to one host2 connection and
	// not yet confirmed (0: DefaultMaxInFlight, negative: no bound).
	MaxInFlight int64
	// ThrottleMax bounds the wait a server may ask for with a throttling
	// answer (Exchange Online's "Request is throttled. Suggested Backoff
	// Time: N milliseconds"); a longer one is a connection failure of that
	// host. 0: 10 minutes.
	ThrottleMax time.Duration
	// MaxConns1 and MaxConns2 bound the connections open at once to each
	// host: the main one, the workers' and the APPEND connections. 0: no
	// bound but the server's (a server refusing more lowers it).
	MaxConns1, MaxConns2 int

	// Gmail labels (labels.go). SyncLabels gives each message copied to a
	// Gmail host2 host1's labels; ResyncLabels also corrects the labels of
	// messages already on both sides. Both need X-GM-EXT-1 on host2.
	// Gmail1 declares host1 a Gmail server (X-GM-EXT-1 required then).
	SyncLabels, ResyncLabels, Gmail1 bool
	// GmailLabels is how a Gmail host1's labels reach a host2 without
	// labels: GmailLabelsFolders (""), GmailLabelsKeywords or
	// GmailLabelsHeader. LabelsPriority orders the labels competing for a
	// message's one copy (DefaultLabelsPriority when empty).
	GmailLabels    string
	LabelsPriority []string
	// DebugLabels prints each host2 message's labels and what changes.
	// The label hooks of Hooks (Lua's labels(msg, labels)) decide the
	// labels each message gets on host2.
	DebugLabels bool
}

// copiesMessages reports whether the plan is carried out with its
// copies: not --dry, nor a --just mode that stops before them.
func (o *Options) copiesMessages() bool {
	return !o.Dry && !o.JustFolderSizes && !o.JustFolders && !o.JustAutomap
}

func (o *Options) maxInFlight() int64 {
	if o.MaxInFlight == 0 {
		return DefaultMaxInFlight
	}
	return o.MaxInFlight
}

// DefaultThrottleMax is ThrottleMax's default.
const DefaultThrottleMax = 10 * time.Minute

func (o *Options) throttleMax() time.Duration {
	if o.ThrottleMax <= 0 {
		return DefaultThrottleMax
	}
	return o.ThrottleMax
}

func (o *Options) parallel() int {
	if o.Parallel < 1 {
		return 1
	}
	return o.Parallel
}
