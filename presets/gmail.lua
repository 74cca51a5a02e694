-- Gmail (imap.gmail.com), as imapsync's --gmail1 and --gmail2 set it up.
--
-- Applied with --gmail1 / --gmail2, or --preset1 gmail / --preset2 gmail.
-- Every value below is only a default: an option given on the command line
-- wins, and list options (useheader, exclude, regextrans2, folderlast) get
-- these values appended (--noexclude and friends drop them).
--
-- Gmail labels: imapshift does not sync labels (X-GM-LABELS) yet. Each
-- label is synced as the folder Gmail shows for it, as imapsync does
-- without its label options.

local labels = "Gmail labels are not synced yet: each label is copied as the folder Gmail shows for it (imapsync's --synclabels/--resynclabels are not available)."

return {
  description = "Gmail: imap.gmail.com over SSL, Gmail's rate limits, [Gmail]/ folders mapped by role",

  -- --gmail1: the source is Gmail.
  side1 = {
    options = {
      host1 = "imap.gmail.com",
      ssl1 = true,
      maxbytespersecond = 40000,
      maxbytesafter = 3000000000,
      automap = true,
      maxsleep = 2,
      -- A message with several labels is in several folders: copy it once.
      skipcrossduplicates = true,
      useheader = { "X-Gmail-Received", "Message-Id" },
      -- [Gmail]/Sent Mail becomes Sent Mail.
      regextrans2 = { [[s,\[Gmail\].,,]] },
      folderlast = { "[Gmail]/All Mail" },
    },
    notes = { labels },
  },

  -- --gmail2: the destination is Gmail.
  side2 = {
    options = {
      host2 = "imap.gmail.com",
      ssl2 = true,
      maxbytespersecond = 20000,
      maxbytesafter = 1000000000,
      automap = true,
      expunge1 = true,
      addheader = true,
      maxsleep = 2,
      exclude = { [[\[Gmail\]$]] },
      useheader = { "Message-Id" },
      regextrans2 = {
        [[s,\[Gmail\].,,]],
        -- Gmail refuses blanks around names and some characters.
        [[s,^ +| +$,,g]],
        [[s,/ +| +/,/,g]],
        [[s/['\\^"]/_/g]],
      },
      folderlast = { "[Gmail]/All Mail" },
    },
    notes = { labels },
  },

  -- --gmail1 --gmail2 together: not the sum of the two sides.
  both = {
    options = {
      host1 = "imap.gmail.com",
      host2 = "imap.gmail.com",
      ssl1 = true,
      ssl2 = true,
      maxbytespersecond = 20000,
      maxbytesafter = 1000000000,
      automap = true,
      maxsleep = 2,
      -- imapsync also turns on synclabels and resynclabels here; imapshift
      -- cannot yet (see the note).
      skipcrossduplicates = false,
      useheader = { "X-Gmail-Received", "Message-Id" },
      exclude = { [[\[Gmail\]$]] },
      folderlast = { "[Gmail]/All Mail" },
    },
    notes = { labels },
  },
}
