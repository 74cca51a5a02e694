-- HCL (IBM, Lotus) Domino, as imapsync's --domino1 and --domino2 set it up.
--
-- Applied with --domino1 / --domino2, or --preset1 domino / --preset2
-- domino. Options given on the command line win; list options get these
-- values appended.

return {
  description = "Domino: backslash separator, no prefix, Message-Id compared without its domain",

  -- --domino1: the source is Domino.
  side1 = {
    options = {
      sep1 = "\\",
      prefix1 = "",
      messageidnodomain = true,
    },
  },

  -- --domino2: the destination is Domino.
  side2 = {
    options = {
      sep2 = "\\",
      prefix2 = "",
      messageidnodomain = true,
      -- Children of Inbox move to the root.
      regextrans2 = { [[s,^Inbox\\(.*),$1,i]] },
    },
  },
}
