package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/imapshift/imapshift/core/exitcode"
)

// Class is the kind of an error, named as imapsync names it in "The most
// frequent error is ERR_X." The code that records an error gives its class;
// the class that occurs most often in a run decides the run's exit code, so
// rewording a message never changes the exit code.
type Class string

// The error classes.
const (
	ClassAuthUser1        Class = "ERR_AUTHENTICATION_FAILURE_USER1"
	ClassAuthUser2        Class = "ERR_AUTHENTICATION_FAILURE_USER2"
	ClassTLS              Class = "ERR_TLS_FAILURE"
	ClassFetch            Class = "ERR_FETCH"
	ClassAppendSize       Class = "ERR_APPEND_SIZE"
	ClassOverQuota        Class = "ERR_OVERQUOTA"
	ClassAppendVirus      Class = "ERR_APPEND_VIRUS"
	ClassAppend           Class = "ERR_APPEND"
	ClassFlags            Class = "ERR_FLAGS"
	ClassCreate           Class = "ERR_CREATE"
	ClassSelect           Class = "ERR_SELECT"
	ClassTransferExceeded Class = "ERR_TRANSFER_EXCEEDED"
	ClassConnHost1        Class = "ERR_CONNECTION_FAILURE_HOST1"
	ClassConnHost2        Class = "ERR_CONNECTION_FAILURE_HOST2"
	ClassUnclassified     Class = "ERR_UNCLASSIFIED"
	ClassNothingReported  Class = "ERR_NOTHING_REPORTED"
)

type classInfo struct {
	code   exitcode.Code
	advice string
}

var classes = map[Class]classInfo{
	ClassAuthUser1: {exitcode.AuthFailureUser1,
		"Check user1 and its password, or the authentication mechanism and the admin user used on host1."},
	ClassAuthUser2: {exitcode.AuthFailureUser2,
		"Check user2 and its password, or the authentication mechanism and the admin user used on host2."},
	ClassTLS: {exitcode.TLSFailure,
		"The TLS negotiation failed: try implicit TLS (--ssl1/--ssl2) or check the server certificate and TLS versions."},
	ClassFetch: {exitcode.ErrFetch,
		"Host1 refused to give some messages: they may be damaged on host1; a rerun retries them."},
	ClassAppendSize: {exitcode.ErrAppend,
		"Host2 refuses messages this big: use --maxsize to skip them, or raise the limit on host2."},
	ClassOverQuota: {exitcode.OverQuota,
		"The host2 account is full: raise its quota or free space there, then sync again."},
	ClassAppendVirus: {exitcode.ErrAppendVirus,
		"Host2 refused messages its antivirus flagged; they cannot be copied as they are."},
	ClassAppend: {exitcode.ErrAppend,
		"Host2 refused some messages: read the server answers above; a rerun retries them."},
	ClassFlags: {exitcode.ErrFlags,
		"Host2 refused some flags: keywords may be unsupported there; --regexflag can drop them."},
	ClassCreate: {exitcode.ErrCreate,
		"Some folders could not be created on host2: check their names, the separator and the prefix (--sep2, --prefix2, --regextrans2)."},
	ClassSelect: {exitcode.ErrSelect,
		"Some folders could not be selected: they may not exist or not be selectable; --exclude can leave them out."},
	ClassTransferExceeded: {exitcode.TransferExceeded,
		"The --exitwhenover limit was reached: run again later to go on."},
	ClassConnHost1: {exitcode.ConnFailureHost1,
		"Host1 could not be reached: check --host1, --port1 and the TLS options, and the network."},
	ClassConnHost2: {exitcode.ConnFailureHost2,
		"Host2 could not be reached: check --host2, --port2 and the TLS options, and the network."},
	ClassUnclassified: {exitcode.WithErrors,
		"Read the errors listed above; a rerun often fixes transient ones."},
	ClassNothingReported: {exitcode.WithErrors,
		"Errors were counted without a message: look for warnings in the log."},
}

// byCode gives the class of an error that carries one of these exit codes
// (a failed connection or login).
var byCode = map[exitcode.Code]Class{
	exitcode.AuthFailureUser1: ClassAuthUser1,
	exitcode.AuthFailureUser2: ClassAuthUser2,
	exitcode.TLSFailure:       ClassTLS,
	exitcode.ConnFailureHost1: ClassConnHost1,
	exitcode.ConnFailureHost2: ClassConnHost2,
}

// ClassOf returns the class of err from the exit code it carries
// (exitcode.Find: a *conn.Error of a failed connection, TLS negotiation
// or login, for instance), ClassUnclassified when it carries none of the
// connection codes. The text of err plays no part.
func ClassOf(err error) Class {
	if code, ok := exitcode.Find(err); ok {
		if c, ok := byCode[code]; ok {
			return c
		}
	}
	return ClassUnclassified
}

// Code returns the exit code of a run whose most frequent error is c:
// ClassAppendSize shares 114 with ClassAppend, the unclassified ones give
// 111, an unknown class gives exitcode.CatchAll.
func (c Class) Code() exitcode.Code {
	if info, ok := classes[c]; ok {
		return info.code
	}
	return exitcode.CatchAll
}

// Advice returns a one-sentence hint about what to do against c.
func (c Class) Advice() string { return classes[c].advice }

// MostFrequent returns the class with the highest count; ties go to the
// alphabetically first class name, as in imapsync. It returns "" for an
// empty map.
func MostFrequent(counts map[Class]int) Class {
	var best Class
	n := 0
	for c, k := range counts {
		if k > n || (k == n && k > 0 && c < best) {
			best, n = c, k
		}
	}
	return best
}

// ErrorRecord is one recorded error.
type ErrorRecord struct {
	Folder  string `json:"folder,omitempty"` // host1 folder, if known
	Message string `json:"message"`
	Class   Class  `json:"class"`
}

// Errors collects the errors of a run. The zero value is ready to use and
// safe for concurrent use.
//
// The count can exceed the number of records: imapsync also counts some
// errors without a message (Inc). Those are in "Detected N errors" and in
// "Listing N errors" but take no part in choosing the exit code.
type Errors struct {
	mu    sync.Mutex
	count int
	recs  []ErrorRecord
}

// Add records an error message of class c and returns the error count so
// far, for the --errorsmax check. A trailing line end of msg is dropped.
// An empty c counts as ClassUnclassified.
func (e *Errors) Add(c Class, msg string) int { return e.AddFolder("", c, msg) }

// AddFolder is Add for an error about host1 folder folder.
func (e *Errors) AddFolder(folder string, c Class, msg string) int {
	msg = strings.TrimRight(msg, "\r\n")
	if c == "" {
		c = ClassUnclassified
	}
	r := ErrorRecord{Folder: folder, Message: msg, Class: c}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count++
	e.recs = append(e.recs, r)
	return e.count
}

// Count returns the number of errors so far.
func (e *Errors) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}

// Records returns a copy of the recorded errors, in recording order.
func (e *Errors) Records() []ErrorRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.recs)
}

// MostFrequent returns the most frequent class among the recorded
// errors; ClassNothingReported when errors were only counted, "" when
// there was no error.
func (e *Errors) MostFrequent() Class {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mostFrequent()
}

func (e *Errors) mostFrequent() Class {
	if e.count == 0 {
		return ""
	}
	counts := make(map[Class]int)
	for _, r := range e.recs {
		counts[r.Class]++
	}
	if c := MostFrequent(counts); c != "" {
		return c
	}
	return ClassNothingReported
}

// ExitCode returns the exit code of a run with these errors: exitcode.OK
// without errors, else the code of the most frequent class.
func (e *Errors) ExitCode() exitcode.Code {
	c := e.MostFrequent()
	if c == "" {
		return exitcode.OK
	}
	return c.Code()
}

// WriteListing writes the error listing printed after the statistics,
// unless --noerrorsdump: the "++++ Listing N errors" line, one "Err i/N:"
// line per message and "The most frequent error is ERR_X. <advice>". It
// writes nothing when no message was recorded.
func (e *Errors) WriteListing(w io.Writer) error {
	e.mu.Lock()
	count, recs, top := e.count, slices.Clone(e.recs), e.mostFrequent()
	e.mu.Unlock()
	if len(recs) == 0 {
		return nil
	}
	msgs := make([]string, len(recs))
	for i, r := range recs {
		msgs[i] = r.Message + "\n"
	}
	_, err := fmt.Fprintf(w, "++++ Listing %d errors encountered during the sync ( avoid this listing with --noerrorsdump ).\n%sThe most frequent error is %s. %s\n",
		count, ErrorsDump(count, msgs), top, top.Advice())
	return err
}

// ErrorsDump returns the "Err i/total: msg" entries of the error listing,
// concatenated as they are: like imapsync's errorsdump, it adds no line end
// (imapsync's messages carry their own).
func ErrorsDump(total int, msgs []string) string {
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "Err %d/%d: %s", i+1, total, m)
	}
	return b.String()
}

// ExitLine returns imapsync's last report line, without line end:
// "Exiting with return value 0 (EX_OK: successful termination) 0/50
// nb_errors/max_errors PID 123".
func ExitLine(code exitcode.Code, nerr, errorsmax, pid int) string {
	return fmt.Sprintf("Exiting with return value %d (%s) %d/%d nb_errors/max_errors PID %d",
		int(code), code, nerr, errorsmax, pid)
}
