package engine

import (
	"github.com/imapshift/imapshift/core/state"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
)

// folderPlan is what happens to one host1 folder. It is filled in two
// steps: naming (which host2 folder, created or not) and analysis (which
// messages to copy, which flags to set).
type folderPlan struct {
	index int    // 1-based position in the sync order
	h1    string // host1 name (UTF-8)
	h2    string // host2 name (UTF-8)
	rule  string // what decided h2 (mailbox.Rule*)
	// create is set when h2 does not exist on host2; parents lists the
	// missing ancestors to create first, outermost first.
	create  bool
	parents []string
	// subscribe is set when h2 must be subscribed on host2.
	subscribe bool
	// skip, when not empty, is why the folder is not synced.
	skip string

	analyzed bool
	// SELECT counts and per-side sizes.
	count1, count2  uint32
	size1, size2    int64
	big1, big2      int64
	selected1, dup1 int
	selected2, dup2 int
	void1, void2    int
	permanentFlags  []imap.Flag
	copies          []copyItem
	// present1 are host1 messages already on host2 (--delete1 removes
	// them); only2 are identified host2 messages no host1 message matches
	// (--delete2); dups2 are extra host2 copies (--delete2duplicates).
	present1, only2, dups2 []imap.UID
	stores                 []storeItem
	alreadyThere           int // messages skipped because present on host2
	keys1, keys2           map[string]struct{}
	bytesAlready           int64

	mu        sync.Mutex
	done      []string // keys copied during execution
	doneBytes int64
	doneBig   int64
	created   bool // created on host2 by this run
	// skippedBy counts the messages each hook skipped.
	skippedBy        map[string]int
	ruleSkipped      int
	ruleSkippedBytes int64
	rewritten        int
	// State (--usecache): the folder pair, its stored state, host1's status
	// before the analysis; unchanged is set when the folder was skipped as
	// unchanged since the last run. matched and copiedPairs are what the
	// run establishes, saved at the end; failed counts messages that did
	// not go through.
	pair      state.FolderPair
	state     *state.FolderState
	status1   state.Status
	validity1 uint32
	// inSelection1 counts the host1 messages the selection (--search,
	// --maxage...) kept; --skipemptyfolders skips folders where it is 0.
	inSelection1 int
	stateLoaded  bool
	unchanged    bool
	flagsOnly    bool // only flags changed since the last run (CONDSTORE)
	byUID        bool // identity is the state's UID map (--useuid)
	// listed is set when the analysis read every UID of both folders
	// (all), with a state loaded: saveState then prunes the state.
	listed      bool
	all         [2][]imap.UID
	matched     []matchedPair
	copiedPairs []matchedPair
	failed      int
	crossDup    int
	// confirmed1 are host1 UIDs copied with an APPENDUID; unconfirmed1
	// were copied without one and are checked on host2 before --delete1.
	confirmed1   []imap.UID
	unconfirmed1 []copyItem

	// jobsLeft counts the folder's execution jobs down as they finish;
	// started is set by the first job to begin (several may start at
	// once on different workers).
	jobsLeft atomic.Int32
	started  atomic.Bool
}

// copyBytes is the size of what the folder copies.
func (fp *folderPlan) copyBytes() (n int64) {
	for _, c := range fp.copies {
		n += c.size
	}
	return n
}

// copyItem is one message to copy from host1 to host2.
type copyItem struct {
	uid       imap.UID
	size      int64
	flags     []imap.Flag // already filtered for host2
	date      time.Time   // INTERNALDATE to set; zero lets the server choose
	key       string      // identity used for matching (the UID's under --useuid)
	hkey      string      // header identity, to find the copy on host2
	addHeader bool        // prepend "Message-Id: <UID@imapsync>"
	// rewrittenBy names the hooks a dry run found would change the message.
	rewrittenBy []string
}

// storeItem sets the flags of a host2 message to those of host1.
type storeItem struct {
	uid1, uid2 imap.UID
	from, to   []imap.Flag
}

// plan is the whole run's plan.
type plan struct {
	folders []*folderPlan
	// extra2 are host2 folders with no host1 counterpart.
	extra2 []string
	// merged is set when two host1 folders feed one host2 folder.
	merged bool
}

// totals sums what the analyzed folders would copy.
func (p *plan) totals() (msgs int, bytes int64) {
	for _, f := range p.folders {
		msgs += len(f.copies)
		bytes += f.copyBytes()
	}
	return
}
