package oauth

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/microsoft"
)

// Provider names an OAuth2 provider whose mail servers take XOAUTH2.
type Provider string

const (
	Google    Provider = "google"
	Microsoft Provider = "microsoft"
)

// Scopes for IMAP.
const (
	GoogleMailScope   = "https://mail.google.com/"
	MicrosoftIMAP     = "https://outlook.office.com/IMAP.AccessAsUser.All"
	MicrosoftOffline  = "offline_access"
	MicrosoftAppScope = "https://outlook.office365.com/.default"
)

// ParseProvider accepts "google" (or "gmail") and "microsoft" (or
// "office365", "o365", "outlook"), in any case.
func ParseProvider(s string) (Provider, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "google", "gmail":
		return Google, nil
	case "microsoft", "office365", "o365", "outlook", "azure":
		return Microsoft, nil
	}
	return "", fmt.Errorf("unknown OAuth2 provider %q (google or microsoft)", s)
}

// Scopes returns the delegated scopes a mailbox login asks for.
func (p Provider) Scopes() []string {
	if p == Microsoft {
		return []string{MicrosoftIMAP, MicrosoftOffline}
	}
	return []string{GoogleMailScope}
}

// Endpoint returns the provider's endpoints (for Microsoft those of
// tenant, "common" when empty) as golang.org/x/oauth2 defines them. A
// non-empty authority ("https://login.microsoftonline.us", or a test
// server) replaces the scheme and host of each URL, keeping the path.
func Endpoint(p Provider, tenant, authority string) (oauth2.Endpoint, error) {
	var ep oauth2.Endpoint
	switch p {
	case Google:
		ep = google.Endpoint
	case Microsoft:
		ep = microsoft.AzureADEndpoint(tenant)
	default:
		return ep, fmt.Errorf("unknown OAuth2 provider %q", p)
	}
	if authority == "" {
		return ep, nil
	}
	a, err := url.Parse(authority)
	if err != nil || a.Scheme == "" || a.Host == "" {
		return ep, fmt.Errorf("OAuth2 authority %q is not a URL such as https://login.microsoftonline.us", authority)
	}
	for _, u := range []*string{&ep.AuthURL, &ep.TokenURL, &ep.DeviceAuthURL} {
		if *u == "" {
			continue
		}
		parsed, err := url.Parse(*u)
		if err != nil {
			return ep, err
		}
		parsed.Scheme, parsed.Host = a.Scheme, a.Host
		parsed.Path = strings.TrimSuffix(a.Path, "/") + parsed.Path
		*u = parsed.String()
	}
	return ep, nil
}
