package report

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/imapshift/imapshift/core/exitcode"
)

// Class is the kind of an error message, named as imapsync names it in
// "The most frequent error is ERR_X." The class that occurs most often in a
// run decides its exit code (spec 5.6).
type Class string

// The error classes, in the order Classify tries them.
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
	re     *regexp.Regexp // nil for the fallback classes
	code   exitcode.Code
	advice string
}

// classOrder is the order of the classification rules: the first match
// wins, so the specific append failures come before the generic one.
var classOrder = []Class{
	ClassAuthUser1, ClassAuthUser2, ClassTLS, ClassFetch, ClassAppendSize,
	ClassOverQuota, ClassAppendVirus, ClassAppend, ClassFlags, ClassCreate,
	ClassSelect, ClassTransferExceeded, ClassConnHost1, ClassConnHost2,
}

// The patterns recognise imapsync's wording of each failure; code that
// records errors should keep that wording ("Host1 failure: Error login on
// ...", "could not append ...", "Could not select: ...").
var classes = map[Class]classInfo{
	ClassAuthUser1: {regexp.MustCompile(`(?i)\bhost1(?: failure)?: error login\b`), exitcode.AuthFailureUser1,
		"Check user1 and its password, or the authentication mechanism and the admin user used on host1."},
	ClassAuthUser2: {regexp.MustCompile(`(?i)\bhost2(?: failure)?: error login\b`), exitcode.AuthFailureUser2,
		"Check user2 and its password, or the authentication mechanism and the admin user used on host2."},
	ClassTLS: {regexp.MustCompile(`(?i)can ?not go to tls|starttls (?:failed|failure)|tls (?:handshake )?failure`), exitcode.TLSFailure,
		"The TLS negotiation failed: try implicit TLS (--ssl1/--ssl2) or check the server certificate and TLS versions."},
	ClassFetch: {regexp.MustCompile(`(?i)could not be fetched:`), exitcode.ErrFetch,
		"Host1 refused to give some messages: they may be damaged on host1; a rerun retries them."},
	ClassAppendSize: {regexp.MustCompile(`(?is)append.*(?:bad maximum message size exceeded|maximum size of appendable message has been exceeded)`), exitcode.ErrAppend,
		"Host2 refuses messages this big: use --maxsize to skip them, or raise the limit on host2."},
	ClassOverQuota: {regexp.MustCompile(`(?i)overquota|quota limit will be exceeded|full: it is time to find a bigger place`), exitcode.OverQuota,
		"The host2 account is full: raise its quota or free space there, then sync again."},
	ClassAppendVirus: {regexp.MustCompile(`(?is)append.*virus`), exitcode.ErrAppendVirus,
		"Host2 refused messages its antivirus flagged; they cannot be copied as they are."},
	ClassAppend: {regexp.MustCompile(`(?i)could not append`), exitcode.ErrAppend,
		"Host2 refused some messages: read the server answers above; a rerun retries them."},
	ClassFlags: {regexp.MustCompile(`(?i)could not add flags`), exitcode.ErrFlags,
		"Host2 refused some flags: keywords may be unsupported there; --regexflag can drop them."},
	ClassCreate: {regexp.MustCompile(`(?i)could not create folder`), exitcode.ErrCreate,
		"Some folders could not be created on host2: check their names, the separator and the prefix (--sep2, --prefix2, --regextrans2)."},
	ClassSelect: {regexp.MustCompile(`(?i)could not select:`), exitcode.ErrSelect,
		"Some folders could not be selected: they may not exist or not be selectable; --exclude can leave them out."},
	ClassTransferExceeded: {regexp.MustCompile(`(?i)maximum bytes transferred reached`), exitcode.TransferExceeded,
		"The --exitwhenover limit was reached: run again later to go on."},
	ClassConnHost1: {regexp.MustCompile(`(?i)\bhost1\b.*\bcan ?not open imap connection`), exitcode.ConnFailureHost1,
		"Host1 could not be reached: check --host1, --port1 and the TLS options, and the network."},
	ClassConnHost2: {regexp.MustCompile(`(?i)\bhost2\b.*\bcan ?not open imap connection`), exitcode.ConnFailureHost2,
		"Host2 could not be reached: check --host2, --port2 and the TLS options, and the network."},
	ClassUnclassified: {nil, exitcode.WithErrors,
		"Read the errors listed above; a rerun often fixes transient ones."},
	ClassNothingReported: {nil, exitcode.WithErrors,
		"Errors were counted without a message: look for warnings in the log."},
}

// Classify returns the class of an error message: the first rule of
// imapsync's classification that matches (spec 5.6), ClassUnclassified
// when none does, ClassNothingReported for an empty message.
func Classify(msg string) Class {
	if strings.TrimSpace(msg) == "" {
		return ClassNothingReported
	}
	for _, c := range classOrder {
		if classes[c].re.MatchString(msg) {
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

// Add records an error message and returns the error count so far, for the
// --errorsmax check. A trailing line end of msg is dropped.
func (e *Errors) Add(msg string) int { return e.AddFolder("", msg) }

// AddFolder is Add for an error about host1 folder folder.
func (e *Errors) AddFolder(folder, msg string) int {
	msg = strings.TrimRight(msg, "\r\n")
	r := ErrorRecord{Folder: folder, Message: msg, Class: Classify(msg)}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count++
	e.recs = append(e.recs, r)
	return e.count
}

// Inc counts an error that has no message and returns the count so far.
func (e *Errors) Inc() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count++
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

// Messages returns the recorded messages, in recording order.
func (e *Errors) Messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.recs))
	for i, r := range e.recs {
		out[i] = r.Message
	}
	return out
}

// MostFrequent returns the most frequent class among the recorded
// messages; ClassNothingReported when errors were only counted, "" when
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
