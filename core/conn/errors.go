package conn

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/imapshift/imapshift/core/exitcode"
)

// Stage is the part of connection set-up that failed.
type Stage int

const (
	StageConnect Stage = iota
	StageTLS
	StageAuth
)

// Error is a failure to connect or log in. Its text follows imapsync's
// wording so that scripts grepping the output keep working.
type Error struct {
	Stage Stage
	Side  int
	Host  string
	User  string
	Mech  string
	Err   error
	// Implicit marks a StageTLS failure of implicit TLS (--ssl1/--ssl2):
	// the handshake is part of opening the connection, so, as with
	// imapsync, it is a connection failure of that host (exit 101 or
	// 102, "can not open imap connection"). Without it, a StageTLS
	// failure is one of STARTTLS (exit 12).
	Implicit bool
}

func (e *Error) Error() string {
	host := "Host1"
	lower := "host1"
	if e.Side == 2 {
		host, lower = "Host2", "host2"
	}
	switch {
	case e.Stage == StageTLS && e.Implicit:
		return fmt.Sprintf("%s failure: can not open imap connection on %s [%s] with user [%s]: TLS handshake failed: %v", host, lower, e.Host, e.User, e.Err)
	case e.Stage == StageTLS:
		return fmt.Sprintf("%s failure: Can not go to tls encryption on %s [%s]: %v", host, lower, e.Host, e.Err)
	case e.Stage == StageAuth:
		return fmt.Sprintf("%s failure: Error login on [%s] with user [%s] auth [%s]: %v", host, e.Host, e.User, e.Mech, e.Err)
	}
	return fmt.Sprintf("%s failure: can not open imap connection on %s [%s] with user [%s]: %v", host, lower, e.Host, e.User, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode maps the failure to imapsync's exit code: 12 for STARTTLS,
// 101/102 for a connection failure, implicit TLS included, 161/162 for a
// refused login.
func (e *Error) ExitCode() exitcode.Code {
	switch e.Stage {
	case StageTLS:
		if !e.Implicit {
			return exitcode.TLSFailure
		}
	case StageAuth:
		if e.Side == 2 {
			return exitcode.AuthFailureUser2
		}
		return exitcode.AuthFailureUser1
	}
	if e.Side == 2 {
		return exitcode.ConnFailureHost2
	}
	return exitcode.ConnFailureHost1
}

// tlsError wraps a handshake failure with advice naming the flags to use.
func tlsError(cfg *Config, err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	var verr *tlsVerifyError
	if errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &inv) || errors.As(err, &verr) {
		n := cfg.Side
		return fmt.Errorf("%w (certificate verification failed: use --sslargs%d SSL_ca_file=FILE to trust its CA, or --insecure%d to skip verification)", err, n, n)
	}
	return err
}

type tlsVerifyError struct{ error }
