// Package exitcode holds imapsync's process exit codes and an error type that
// carries one, so that every layer can say how a failure should end the
// process while cmd/ maps errors to codes in a single place.
package exitcode

import (
	"fmt"
)

// Code is a process exit status with imapsync's meaning.
type Code int

// The exit codes of imapsync; docs/exit-codes.md says when each is returned.
const (
	OK                 Code = 0
	CatchAll           Code = 1
	BySignal           Code = 6
	ByFile             Code = 7
	PidFileError       Code = 8
	ConnectionFailure  Code = 10
	TLSFailure         Code = 12
	AuthFailure        Code = 16
	Subfolder1NoExists Code = 21
	Usage              Code = 64
	NoInput            Code = 66
	Unavailable        Code = 69
	Software           Code = 70
	ConnFailureHost1   Code = 101
	ConnFailureHost2   Code = 102
	WithErrors         Code = 111
	WithErrorsMax      Code = 112
	OverQuota          Code = 113
	ErrAppend          Code = 114
	ErrFetch           Code = 115
	ErrCreate          Code = 116
	ErrSelect          Code = 117
	TransferExceeded   Code = 118
	ErrAppendVirus     Code = 119
	ErrFlags           Code = 120
	// VerifyDiffers is imapshift's own: `imapshift verify` found host2
	// different from host1 (or could not compare a folder).
	VerifyDiffers    Code = 121
	AuthFailureUser1 Code = 161
	AuthFailureUser2 Code = 162
	TestsFailed      Code = 254
)

var names = map[Code]string{
	OK:                 "EX_OK: successful termination",
	CatchAll:           "EXIT_CATCH_ALL",
	BySignal:           "EXIT_BY_SIGNAL",
	ByFile:             "EXIT_BY_FILE",
	PidFileError:       "EXIT_PID_FILE_ERROR",
	ConnectionFailure:  "EXIT_CONNECTION_FAILURE",
	TLSFailure:         "EXIT_TLS_FAILURE",
	AuthFailure:        "EXIT_AUTHENTICATION_FAILURE",
	Subfolder1NoExists: "EXIT_SUBFOLDER1_NO_EXISTS",
	Usage:              "EX_USAGE: command line usage error",
	NoInput:            "EX_NOINPUT: cannot open input",
	Unavailable:        "EX_UNAVAILABLE: service unavailable",
	Software:           "EX_SOFTWARE: internal software error",
	ConnFailureHost1:   "EXIT_CONNECTION_FAILURE_HOST1",
	ConnFailureHost2:   "EXIT_CONNECTION_FAILURE_HOST2",
	WithErrors:         "EXIT_WITH_ERRORS",
	WithErrorsMax:      "EXIT_WITH_ERRORS_MAX",
	OverQuota:          "EXIT_OVERQUOTA",
	ErrAppend:          "EXIT_ERR_APPEND",
	ErrFetch:           "EXIT_ERR_FETCH",
	ErrCreate:          "EXIT_ERR_CREATE",
	ErrSelect:          "EXIT_ERR_SELECT",
	TransferExceeded:   "EXIT_TRANSFER_EXCEEDED",
	ErrAppendVirus:     "EXIT_ERR_APPEND_VIRUS",
	ErrFlags:           "EXIT_ERR_FLAGS",
	VerifyDiffers:      "EXIT_VERIFY_DIFFERS",
	AuthFailureUser1:   "EXIT_AUTHENTICATION_FAILURE_USER1",
	AuthFailureUser2:   "EXIT_AUTHENTICATION_FAILURE_USER2",
	TestsFailed:        "EXIT_TESTS_FAILED",
}

// String returns the symbolic name used in imapsync's "Exiting with return
// value" line, for example "EX_OK: successful termination".
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("EXIT_%d", int(c))
}

// Error is an error that decides the process exit code.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given code and a formatted message.
func New(code Code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Wrap attaches code to err. A nil err stays nil.
func Wrap(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Coder is an error that knows its exit code without being an *Error
// (like *conn.Error).
type Coder interface{ ExitCode() Code }

// Of returns the exit code for err: OK for nil, the code of the first
// error in its tree that carries one (Find), or CatchAll.
func Of(err error) Code {
	if err == nil {
		return OK
	}
	if c, ok := Find(err); ok {
		return c
	}
	return CatchAll
}

// Find returns the code of the first error in err's tree, outermost
// first, that is an *Error or a Coder, and whether there is one.
func Find(err error) (Code, bool) {
	switch e := err.(type) {
	case nil:
		return 0, false
	case *Error:
		return e.Code, true
	case Coder:
		return e.ExitCode(), true
	case interface{ Unwrap() error }:
		return Find(e.Unwrap())
	case interface{ Unwrap() []error }:
		for _, u := range e.Unwrap() {
			if c, ok := Find(u); ok {
				return c, true
			}
		}
	}
	return 0, false
}
