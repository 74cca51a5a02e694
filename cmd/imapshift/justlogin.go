package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/report"
)

// newJustLoginCommand is `imapshift justlogin`.
func (a *app) newJustLoginCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "justlogin [options]",
		Short: "Log in to both hosts and exit (--justlogin)",
		Long:  "Connect and log in to host1 and host2, print what the servers say, and exit. Both logins are always attempted.\n" + exitStatusLogin,
	}
	groups := []config.Group{config.GroupConnection, config.GroupTLS, config.GroupAuth, config.GroupLogging, config.GroupDebug, config.GroupPresets, config.GroupMisc}
	a.bindRegistry(c, groups, func(ctx context.Context, c *cobra.Command, s *config.Settings) error {
		s.JustLogin = true
		return a.loginRun(ctx, c, s, a.justLogin)
	})
	return c
}

// justLogin logs in to both hosts, always trying both, and prints what
// the servers say.
func (a *app) justLogin(ctx context.Context, s *config.Settings, out io.Writer) error {
	var errs []error
	for n := 1; n <= 2; n++ {
		cfg, err := s.Side(n)
		if err != nil {
			return err
		}
		name := cfg.Name()
		fmt.Fprintf(out, "%s: connecting and login on host%d [%s] port [%d] with user [%s]\n", name, n, cfg.Host, cfg.EffectivePort(), cfg.User)
		c, err := conn.Dial(ctx, cfg)
		if err != nil {
			fmt.Fprintln(out, err)
			errs = append(errs, err)
			continue
		}
		printServer(out, c)
		for _, note := range c.Notes {
			fmt.Fprintln(out, note)
		}
		fmt.Fprintf(out, "%s: success login on [%s] with user [%s] auth [%s]\n", name, cfg.Host, cfg.User, c.Mech)
		fmt.Fprintf(out, "%s capability once authenticated: %s\n", name, capList(c))
		c.Logout().Wait()
		c.Close()
	}
	if len(errs) > 0 {
		return loginFailure(errs)
	}
	fmt.Fprintln(out, "Exiting because of --justlogin")
	return nil
}

// loginFailure returns the errors of a login phase with imapsync's exit
// code: the one of the most frequent error class, ties going to the
// alphabetically first class (so host1 wins when both logins fail).
func loginFailure(errs []error) error {
	counts := map[report.Class]int{}
	for _, err := range errs {
		counts[report.ClassOf(err)]++
	}
	return exitcode.Wrap(report.MostFrequent(counts).Code(), errors.Join(errs...))
}

// printServer prints the addresses, greeting, capabilities before login
// and ID answer of a connection, as imapsync does.
func printServer(out io.Writer, c *conn.Conn) {
	name := c.Config.Name()
	fmt.Fprintf(out, "%s IP address: %s Local IP address: %s\n", name, addrHost(c.RemoteAddr), addrHost(c.LocalAddr))
	fmt.Fprintf(out, "%s banner: * %s\n", name, c.Greeting)
	if len(c.PreAuthCaps) > 0 {
		fmt.Fprintf(out, "%s capability before authentication: %s\n", name, strings.Join(c.PreAuthCaps, " "))
	}
	if c.StartTLS && c.Config.Mode == conn.TLSAuto {
		fmt.Fprintf(out, "%s: going to ssl because STARTTLS is in CAPABILITY. Use --notls%d to avoid that behavior\n", name, c.Config.Side)
	}
	if c.ServerID != "" {
		fmt.Fprintf(out, "%s: found ID capability. Sending/receiving ID, presented in raw IMAP for now.\n", name)
		fmt.Fprintf(out, "%s: * %s\n", name, c.ServerID)
	}
}

func addrHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// capList renders the authenticated capabilities, IMAP4rev1/rev2 first.
func capList(c *conn.Conn) string {
	var caps []string
	for cp := range c.Caps() {
		caps = append(caps, string(cp))
	}
	rank := func(s string) int {
		if strings.HasPrefix(strings.ToUpper(s), "IMAP4REV") {
			return 0
		}
		return 1
	}
	sort.Slice(caps, func(i, j int) bool {
		if ri, rj := rank(caps[i]), rank(caps[j]); ri != rj {
			return ri < rj
		}
		return caps[i] < caps[j]
	})
	return strings.Join(caps, " ")
}
