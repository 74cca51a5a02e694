package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/verifyrun"
)

// newVerifyCommand is `imapshift verify`: it compares host1 and host2
// folder by folder, as a sync with the same options would pair them, and
// changes nothing on either side.
func (a *app) newVerifyCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "verify [options]",
		Short: "Compare host1 and host2 without changing anything (missing, extra, duplicated messages, flags, dates)",
		Long: `Log in to both hosts and compare each host1 folder with the host2 folder a sync
with the same options copies it to (--folder, --exclude, --regextrans2,
--f1f2, prefixes, separators, --automap... all apply). Nothing is changed on
either side: folders are opened read-only (EXAMINE) and messages are read
with BODY.PEEK, so not even \Seen is set.

Messages are matched as a sync matches them: by their identity key
(--useheader, --skipheader, --messageidnodomain, --addheader) and size.
For each folder it reports the host1 messages missing on host2, the host2
messages no host1 message matches (extra), the surplus host2 copies of a
message (duplicated), and for matched pairs the flags and internal dates
that differ. A host1 duplicate that a sync skips (unless --syncduplicates)
and a host1 message without any identity header (unless --addheader) are
listed but are not differences.

  --bodies     also compare a SHA-256 of every message's bytes, fetched
               from both sides and streamed into the hash.
  --json FILE  write a manifest, one JSON object per line and per message:
               folders, host1 UID, host2 UID, key, size, hash, status
               (- for stdout).

verify compares whole folders: message selections and rewrites (--maxage,
--minage, --maxsize, --minsize, --search, --skipmess, --regexmess,
--pipemess, --truncmess...) are not applied, so what they left behind shows
as differences. It writes no log file and no pidfile, so it can run beside a
sync of the same accounts; --parallel folders are compared at once, each
on its own pair of connections.
` + exitStatusLogin + `
  121 host2 differs from host1, or a folder could not be compared.`,
	}
	groups := append(config.Without(config.GroupFlags, config.GroupDeletion), config.GroupVerify)
	a.bindRegistry(c, groups, func(ctx context.Context, c *cobra.Command, s *config.Settings) error {
		if missing := s.MissingCredentials(); len(missing) > 0 {
			return usageErrorf("imapshift %s needs --host1, --user1, --host2 and --user2 (missing %s)", c.Name(), strings.Join(missing, ", "))
		}
		return a.login(ctx, s, verifyrun.Run)
	})
	return c
}
