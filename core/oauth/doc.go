// Package oauth gets OAuth2 access tokens for IMAP (XOAUTH2 and
// OAUTHBEARER) from Google and Microsoft 365, with golang.org/x/oauth2
// doing every protocol step:
//
//   - saved logins: a refresh token kept in a 0600 JSON file, one per
//     provider and user, under os.UserConfigDir()/imapshift/oauth
//     (Save, Load, List, DefaultPath), made by the interactive Login
//     (device authorization grant, RFC 8628, or authorization code with
//     PKCE on a loopback redirect) and used through SavedSource, which
//     re-reads the file on every call and writes refreshed tokens back;
//   - ServiceAccount: a Google Workspace service account with domain-wide
//     delegation, one JWT-bearer token per user (its sub);
//   - App: a Microsoft 365 app with the client-credentials grant
//     (app-only access to mailboxes).
//
// Errors of the token endpoint go through Explain, which turns the common
// ones (a revoked or expired refresh token, missing consent, a wrong
// tenant, a wrong secret, missing delegation) into one line saying what to
// do. No function of this package prints or logs a token or a secret.
package oauth
