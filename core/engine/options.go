// Package engine is imapshift's sync engine: it discovers the folders of
// both sides, plans what has to change on host2 (folders to create,
// messages to copy, flags to set) and carries the plan out with parallel,
// pipelined connections and a bounded memory budget.
//
// The plan is a value. With Options.Dry it is printed and nothing else
// happens; otherwise the executor performs it, and every change it makes
// to a server goes through one type, writes, which the dry path never
// builds.
package engine

import (
	"io"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/mailbox"
)

// Options configures one run. The zero value is not useful; cmd/ fills it
// from the command line with imapsync's defaults.
type Options struct {
	Host1, Host2 *conn.Config

	// Folder selection and naming.
	Selection         mailbox.Selection
	Sep1, Sep2        *string // --sepN; nil when not given
	Prefix1, Prefix2  *string // --prefixN; nil when not given
	FixSlash2         bool
	F1F2              map[string]string
	Automap           bool
	Subfolder1        string
	Subfolder2        string
	RegexTrans2       []mailbox.Transform
	FixInboxINBOX     bool
	Subscribe         bool // subscribe on host2 what is subscribed on host1
	SubscribeAll      bool
	SkipEmptyFolders  bool
	Identity          identity.Options
	SyncDuplicates    bool
	AddHeader         bool
	SyncInternalDates bool
	IDateFromHeader   bool
	ResyncFlags       bool
	Dry               bool
	JustFolders       bool
	JustFolderSizes   bool
	FolderSizes       bool
	FolderSizesAtEnd  bool
	Parallel          int
	BodyBudget        int64
	TmpDir            string
	ErrorsMax         int
	ReconnectRetry1   int
	ReconnectRetry2   int
	Out               io.Writer
	// Progress, when set, is told how the copying advances.
	Progress Progress
}

func (o *Options) parallel() int {
	if o.Parallel < 1 {
		return 1
	}
	return o.Parallel
}
