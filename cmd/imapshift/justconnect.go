package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// newJustConnectCommand is `imapshift justconnect`.
func (a *app) newJustConnectCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "justconnect [options]",
		Short: "Connect to the hosts given, print banners and capabilities, and exit (--justconnect)",
		Long: `Connect (without logging in) to --host1 and/or --host2, print their addresses,
greeting, capabilities and ID, and exit.

EXIT STATUS
  0 success; 64 usage error; 10 a connection failed.`,
	}
	groups := []config.Group{config.GroupConnection, config.GroupTLS, config.GroupLogging, config.GroupDebug, config.GroupPresets, config.GroupMisc}
	a.bindRegistry(c, groups, func(ctx context.Context, _ *cobra.Command, s *config.Settings) error {
		if s.Host1.Host == "" && s.Host2.Host == "" {
			return usageErrorf("justconnect needs --host1 or --host2")
		}
		s.JustConnect = true
		return a.justConnect(ctx, s)
	})
	return c
}

// justConnect connects (without logging in) to each host given and prints
// what it says: imapsync's --justconnect, also used when credentials are
// missing.
func (a *app) justConnect(ctx context.Context, s *config.Settings) error {
	out := a.stdout
	s.ProbeSSL(ctx, out)
	var hosts []string
	var errs []error
	for n := 1; n <= 2; n++ {
		h := s.HostN(n)
		if h.Host == "" {
			continue
		}
		hosts = append(hosts, h.Host)
		cfg, err := s.Side(n)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: connecting on host%d [%s] port [%d]\n", cfg.Name(), n, cfg.Host, cfg.EffectivePort())
		c, err := conn.Connect(ctx, cfg)
		if err != nil {
			fmt.Fprintln(out, err)
			errs = append(errs, err)
			continue
		}
		printServer(out, c)
	}
	if len(hosts) == 0 {
		fmt.Fprintln(out, "No --host1 nor --host2 given, so nothing to connect to (see imapshift --help).")
	}
	fmt.Fprintf(out, "Exiting after a justconnect on host(s): %s\n", strings.Join(hosts, " "))
	if len(errs) > 0 {
		return exitcode.Wrap(exitcode.ConnectionFailure, errors.Join(errs...))
	}
	return nil
}
