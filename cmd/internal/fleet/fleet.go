// Package fleet holds the types a batch of account syncs shares with what
// watches it (the live status page and its metrics): who the accounts are,
// how far each has come, and how each ended. It holds no behaviour, so the
// batch runner and the status page can grow apart without importing each
// other.
package fleet

import "time"

// Account is one account line of a batch.
type Account struct {
	Index        int    // position among the account lines, from 0
	Line         int    // line number in the batch file, from 1
	User1, User2 string // never a password
	Host1, Host2 string
}

// Counts is an account's progress so far.
type Counts struct {
	MessagesTotal int64 // messages the plan copies (0 until known)
	Copied        int64
	Skipped       int64
	Errors        int64
	BytesTotal    int64
	Bytes         int64 // bytes copied
	BytesSkipped  int64 // bytes of the skipped messages (0 until known)
}

// Status values of an account. A finished account holds one of the last
// five.
const (
	Queued      = "queued"
	Running     = "running"
	OK          = "ok"
	Errors      = "errors"       // ended with messages or folders in error
	LoginFailed = "login failed" // a side refused the login
	Failed      = "failed"       // could not run (connection, bad option, ...)
	Done        = "done"         // skipped: its last run ended 0 and nothing changed
)

// Result is how an account's run ended.
type Result struct {
	Status        string
	ExitCode      int
	Counts        Counts
	Duration      time.Duration
	FirstError    string         // the first error line, secrets masked; "" when none
	ErrorsByClass map[string]int // error class (as the report names it) → count
	LogPath       string
	ReportPath    string // the account's JSON report
}

// Observer is told how a batch advances. Calls come from several
// goroutines; implementations must be safe for that and must not block.
type Observer interface {
	// Planned is called once, before any account starts.
	Planned(accounts []Account)
	// Started is called when an account's run begins.
	Started(index int, logPath string)
	// Progress reports an account's counts; it may be called often.
	Progress(index int, c Counts)
	// Appended reports how long one APPEND (or one MULTIAPPEND batch) of
	// an account took, from its command to the server's answer.
	Appended(index int, d time.Duration)
	// Connections reports the connections now open to a host, all
	// accounts together.
	Connections(host string, open int)
	// Finished is called once per account that ran or was skipped.
	Finished(index int, r Result)
}

// ErrorObserver is an optional extension of Observer: an Observer that
// implements it is told the class (the report's ERR_... name) of each
// error an account's run counts, as it is counted. A wrapper of
// Observers (a fan-out) must pass it on to those that implement it.
type ErrorObserver interface {
	ErrorClass(index int, class string)
}
