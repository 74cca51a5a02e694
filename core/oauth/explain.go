package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/imapshift/imapshift/core/exitcode"
)

// Error is a token request that failed, told in one line that says what
// to do. Its exit code is imapsync's authentication failure of its side
// (161 for host1, 162 for host2).
type Error struct {
	Line string
	// Code is the OAuth2 error code ("invalid_grant"...), when there is one.
	Code string
	// Side is 1 or 2 (0 counts as 1).
	Side int
	Err  error
}

func (e *Error) Error() string { return e.Line }
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is 161, or 162 for side 2.
func (e *Error) ExitCode() exitcode.Code {
	if e.Side == 2 {
		return exitcode.AuthFailureUser2
	}
	return exitcode.AuthFailureUser1
}

// Explain turns an error of a user's token request (refresh, device or
// code exchange) into an *Error of one line. relogin is the command that
// makes the login again. Errors that are not from the token endpoint are
// returned with their first line, as *Error too.
func Explain(err error, relogin string) error {
	return explain(err, relogin, "")
}

// explain is Explain; service, when set, is the remedy of an app or
// service account (which has no login to make again).
func explain(err error, relogin, service string) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return err
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		line := firstLine(err.Error())
		if errors.Is(err, context.DeadlineExceeded) {
			line = "the provider did not answer in time"
		}
		return &Error{Line: "OAuth2: " + line, Err: err}
	}
	if re.ErrorCode == "" && len(re.Body) > 0 {
		// x/oauth2's jwt package leaves the JSON error answer unparsed.
		var body struct {
			Code string `json:"error"`
			Desc string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil && body.Code != "" {
			c := *re
			c.ErrorCode, c.ErrorDescription = body.Code, body.Desc
			re = &c
		}
	}
	desc := firstLine(re.ErrorDescription)
	aad := aadCode(re.ErrorDescription)
	again := "log in again with: " + relogin
	if relogin == "" {
		again = service
	}
	var line string
	switch {
	case re.ErrorCode == "" && re.Response != nil:
		line = fmt.Sprintf("the token endpoint answered %s", re.Response.Status)
	case aad == "AADSTS65001" || re.ErrorCode == "consent_required":
		line = "the app has no consent for IMAP access in this tenant: an administrator must grant it (Azure portal > App registrations > the app > API permissions > Grant admin consent), then " + orLogin(relogin)
	case aad == "AADSTS90002" || aad == "AADSTS900023" || aad == "AADSTS700016" || aad == "AADSTS50020" || aad == "AADSTS90072" || aad == "AADSTS50034":
		line = "wrong tenant: the app or the user is not in the tenant asked for (" + aad + "): give the tenant (domain or Directory ID) where the app is registered and the mailbox lives (--tenant, or tenant: in --oauthapp)"
	case aad == "AADSTS7000215" || aad == "AADSTS7000222" || re.ErrorCode == "invalid_client":
		line = "the client secret or client ID is wrong or has expired (" + codeOr(aad, re.ErrorCode) + "): create a new secret in the app registration and use it"
	case re.ErrorCode == "invalid_grant" && service != "":
		line = "the token request was refused (invalid_grant" + paren(desc) + "): " + service + "; check the machine's clock too"
	case re.ErrorCode == "invalid_grant" && (aad == "AADSTS700082" || aad == "AADSTS70008" || aad == "AADSTS700084" || strings.Contains(strings.ToLower(desc), "expired")):
		line = "the refresh token has expired or was revoked (invalid_grant" + paren(codeOr(aad, "")) + "): " + again
	case re.ErrorCode == "invalid_grant":
		line = "the refresh token is no longer valid (invalid_grant: revoked, password changed, or consent withdrawn): " + again
	case re.ErrorCode == "unauthorized_client" && service != "":
		line = "the client is not authorized (unauthorized_client): " + service
	case re.ErrorCode == "unauthorized_client":
		line = "the app is not allowed this flow (unauthorized_client): in the app registration allow public client flows (device code) or add the redirect http://127.0.0.1, then " + orLogin(relogin)
	case re.ErrorCode == "access_denied":
		line = "the sign-in was declined (access_denied): " + orLogin(relogin)
	case re.ErrorCode == "expired_token":
		line = "the code was not entered in time (expired_token): " + orLogin(relogin)
	case re.ErrorCode == "invalid_scope":
		line = "the provider refused the IMAP scope (invalid_scope" + paren(desc) + "): add the IMAP permission to the app registration"
	default:
		line = re.ErrorCode + paren(desc)
	}
	return &Error{Line: "OAuth2: " + line, Code: re.ErrorCode, Err: err}
}

func orLogin(relogin string) string {
	if relogin == "" {
		return "try again"
	}
	return "log in again with: " + relogin
}

func codeOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// aadCode returns the "AADSTS12345" code at the start of a Microsoft
// error description, or "".
func aadCode(desc string) string {
	i := strings.Index(desc, "AADSTS")
	if i < 0 {
		return ""
	}
	j := i + len("AADSTS")
	for j < len(desc) && desc[j] >= '0' && desc[j] <= '9' {
		j++
	}
	return desc[i:j]
}

// firstLine is s up to its first line break, trimmed.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(strings.TrimSuffix(s, "\r"))
}
