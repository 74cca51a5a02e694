package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/oauth"
)

// newOAuthCommand is `imapshift oauth login|show|logout`: the saved
// OAuth2 logins that --oauth1/2 google|microsoft use.
func (a *app) newOAuthCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "oauth",
		Short: "Log in to Google or Microsoft 365 with OAuth2 and keep the login for --oauth1/2",
		Long: `Google and Microsoft 365 take only OAuth2 logins over IMAP. "imapshift oauth
login" signs a user in once (device code, or a browser on this machine) and
saves a refresh token, 0600, in ` + savedDir() + `
(one file per provider and user). A sync then uses it with --oauth1/2
google|microsoft: an access token is taken, and refreshed before it expires,
for every connection, so runs of several hours go on.

For a whole domain no login is needed: --oauthserviceaccount1/2 key.json
(Google Workspace domain-wide delegation) or --oauthapp1/2 tenant:client-id
(Microsoft 365 app-only). The README's OAuth2 section says how to set up each.

EXIT STATUS
  0 success; 64 usage error; 161 the provider refused the login.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			return c.Help()
		},
	}
	cmd.AddCommand(a.newOAuthLoginCommand(), a.newOAuthShowCommand(), a.newOAuthLogoutCommand())
	return cmd
}

func savedDir() string {
	d, err := oauth.Dir()
	if err != nil {
		return "imapshift/oauth in the user's configuration directory"
	}
	return d
}

func (a *app) newOAuthLoginCommand() *cobra.Command {
	var o oauth.LoginOptions
	var provider, flow, token string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login --provider google|microsoft --user USER --client-id ID",
		Short: "Sign a user in and save the refresh token",
		Long: `Sign USER in at the provider and save the login (a refresh token).

The device flow (RFC 8628) prints a URL and a code to enter there from any
browser: it works over SSH and in containers. Microsoft allows it when the
app registration allows public client flows. Google does not allow it for
the mail scope: "auto" then falls back to the browser flow, which prints a
URL to open in a browser on this machine and receives the answer on
http://127.0.0.1:PORT/ (authorization code with PKCE).

Scopes: https://mail.google.com/ (Google); IMAP.AccessAsUser.All and
offline_access (Microsoft). Nothing secret is printed.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			p, err := oauth.ParseProvider(provider)
			if err != nil {
				return usageErrorf("--provider: %v", err)
			}
			if o.User == "" {
				return usageErrorf("--user is needed: the mailbox to sign in")
			}
			if o.ClientID == "" {
				o.ClientID = a.getenv("IMAPSHIFT_OAUTH_CLIENT_ID")
			}
			if o.ClientSecret == "" {
				o.ClientSecret = a.getenv("IMAPSHIFT_OAUTH_CLIENT_SECRET")
			}
			if o.ClientID == "" {
				return usageErrorf("--client-id is needed (or $IMAPSHIFT_OAUTH_CLIENT_ID): the app registration's client ID (see the README, OAuth2)")
			}
			if o.Authority == "" {
				o.Authority = a.getenv(config.OAuthAuthorityEnv)
			}
			switch oauth.Flow(flow) {
			case oauth.FlowAuto, oauth.FlowDevice, oauth.FlowBrowser:
			default:
				return usageErrorf("--flow is auto, device or browser")
			}
			o.Provider, o.Flow, o.Out = p, oauth.Flow(flow), c.OutOrStdout()
			if token == "" {
				if token, err = oauth.DefaultPath(p, o.User); err != nil {
					return err
				}
			}
			ctx := config.OAuthContext()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			saved, err := oauth.Login(ctx, o)
			if err != nil {
				return err
			}
			if err := oauth.Save(token, saved); err != nil {
				return exitcode.Wrap(exitcode.CatchAll, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "Signed in as %s at %s; login saved in %s\nUse it with: --oauth1 %s --user1 %s (or --oauth2/--user2)\n", o.User, p, token, useArg(p, token, o.User), o.User)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&provider, "provider", "", "google or microsoft")
	f.StringVar(&o.User, "user", "", "the mailbox to sign in (login hint)")
	f.StringVar(&o.ClientID, "client-id", "", "client ID of the app registration (or $IMAPSHIFT_OAUTH_CLIENT_ID)")
	f.StringVar(&o.ClientSecret, "client-secret", "", "client secret, for Google desktop clients (or $IMAPSHIFT_OAUTH_CLIENT_SECRET)")
	f.StringVar(&o.Tenant, "tenant", "", "Microsoft tenant: domain or Directory ID (default common)")
	f.StringVar(&flow, "flow", string(oauth.FlowAuto), "auto, device or browser")
	f.StringVar(&token, "token", "", "file to save the login in (default: one per provider and user in "+savedDir()+")")
	f.StringVar(&o.Authority, "authority", "", "replace the provider's login host, e.g. https://login.microsoftonline.us (or $"+config.OAuthAuthorityEnv+")")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "give up when the sign-in is not done by then")
	return cmd
}

// useArg is the --oauthN value for a saved login: the provider when it is
// in the default place, else the file.
func useArg(p oauth.Provider, path, user string) string {
	if def, err := oauth.DefaultPath(p, user); err == nil && def == path {
		return string(p)
	}
	return path
}

func (a *app) newOAuthShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "List the saved logins (never a token)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			dir, err := oauth.Dir()
			if err != nil {
				return err
			}
			list, err := oauth.List(dir)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintf(c.OutOrStdout(), "No saved login in %s\n", dir)
				return nil
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROVIDER\tUSER\tTENANT\tSCOPES\tACCESS TOKEN EXPIRES\tREFRESH\tFILE")
			for _, e := range list {
				exp := "-"
				if !e.Expiry.IsZero() {
					exp = e.Expiry.Local().Format("2006-01-02 15:04:05")
					if time.Now().After(e.Expiry) {
						exp += " (expired)"
					}
				}
				refresh := "no"
				if e.Refreshable {
					refresh = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Provider, e.User, dash(e.Tenant), strings.Join(e.Scopes, " "), exp, refresh, e.Path)
			}
			return tw.Flush()
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) newOAuthLogoutCommand() *cobra.Command {
	var provider, user, token string
	cmd := &cobra.Command{
		Use:   "logout --provider google|microsoft --user USER",
		Short: "Remove a saved login",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			if token == "" {
				p, err := oauth.ParseProvider(provider)
				if err != nil {
					return usageErrorf("--provider: %v", err)
				}
				if user == "" {
					return usageErrorf("--user is needed (or --token FILE)")
				}
				if token, err = oauth.DefaultPath(p, user); err != nil {
					return err
				}
			}
			if _, err := oauth.Load(token); err != nil {
				if errors.Is(err, oauth.ErrNoLogin) {
					return exitcode.New(exitcode.NoInput, "%v", err)
				}
				return usageErrorf("%v", err)
			}
			if err := os.Remove(token); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "Removed the saved login %s (the provider still lists the app: revoke it there to cut its access)\n", token)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&provider, "provider", "", "google or microsoft")
	f.StringVar(&user, "user", "", "the user whose login to remove")
	f.StringVar(&token, "token", "", "the login file to remove")
	return cmd
}
