-- Gmail (imap.gmail.com), as imapsync's --gmail1 and --gmail2 set it up.
--
-- Applied with --gmail1 / --gmail2, or --preset1 gmail / --preset2 gmail.
-- Every value below is only a default: an option given on the command line
-- wins, and list options (useheader, exclude, regextrans2, folderlast) get
-- these values appended (--noexclude and friends drop them).
--
-- Gmail labels: with --gmail1 --gmail2 each message is copied once and
-- gets its labels with --synclabels and --resynclabels (on there, as in
-- imapsync). From Gmail to another server, --gmaillabels chooses how the
-- labels arrive (a folder per label by default, or keywords, or an
-- X-Gmail-Labels header) and --labelspriority which label keeps the copy.
--
-- Google's IMAP budgets (Workspace admin help): about 2,500 MB a day
-- downloaded and 500 MB a day uploaded per user, messages up to 25 MB on
-- APPEND, 15 connections per account. --exitwhenover stops the run at a
-- day's budget (exit 118); the next run goes on where it stopped.

local labels1 = "Gmail as source: a message with several labels is copied once (--skipcrossduplicates); --gmaillabels folders|keywords|header chooses how its labels arrive, --labelspriority which label keeps the copy. The run stops after 2,500 MB, Google's daily IMAP download budget (--exitwhenover): run again tomorrow to go on."
local labels2 = "Gmail as destination: messages over 25 MB are left out (Gmail refuses them); with --synclabels each host1 folder a message is in becomes one of its labels. The run stops after 500 MB, Google's daily IMAP upload budget (--exitwhenover): run again tomorrow to go on."
local labelsBoth = "Gmail to Gmail: each message is copied once, then gets its labels (--synclabels, --resynclabels; turn them off with --nosynclabels --noresynclabels). The run stops after 500 MB, Google's daily IMAP upload budget (--exitwhenover): run again tomorrow to go on."

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
      -- Google's daily download budget for IMAP.
      exitwhenover = 2500000000,
    },
    notes = { labels1 },
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
      -- imapsync's Gmail size constant, and Gmail's own 25 MB APPEND limit.
      maxsize = 35651584,
      appendlimit = 26214400,
      -- Google's daily upload budget for IMAP.
      exitwhenover = 500000000,
    },
    notes = { labels2 },
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
      -- Labels instead of folders: each message is copied once (the
      -- engine walks All Mail first), then labelled.
      synclabels = true,
      resynclabels = true,
      skipcrossduplicates = false,
      useheader = { "X-Gmail-Received", "Message-Id" },
      exclude = { [[\[Gmail\]$]] },
      folderlast = { "[Gmail]/All Mail" },
      maxsize = 35651584,
      appendlimit = 26214400,
      exitwhenover = 500000000,
    },
    notes = { labelsBoth },
  },
}
