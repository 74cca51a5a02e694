-- Microsoft Office 365 / Exchange Online (outlook.office365.com), as
-- imapsync's --office1 and --office2 set it up.
--
-- Applied with --office1 / --office2, or --preset1 office365 / --preset2
-- office365. Options given on the command line win; list options get these
-- values appended (--noexclude, --noregexmess, --nof1f2 drop them).

return {
  description = "Office 365: outlook.office365.com over SSL, its size, rate and line-length limits",

  -- --office1: the source is Office 365.
  side1 = {
    options = {
      host1 = "outlook.office365.com",
      ssl1 = true,
      -- The OneDrive "Files" folder holds no mail.
      exclude = { "^Files$" },
    },
  },

  -- --office2: the destination is Office 365.
  side2 = {
    options = {
      host2 = "outlook.office365.com",
      ssl2 = true,
      -- Office 365 refuses larger messages.
      maxsize = 45000000,
      maxmessagespersecond = 4,
      -- So that Office 365 does not send read receipts for old mail.
      disarmreadreceipts = true,
      -- No line longer than 10239 characters: insert CRLF after each run.
      regexmess = { [[s,(.{10239}),$1\r\n,g]] },
      -- "Files" is reserved on Office 365.
      f1f2 = { "Files=Files_renamed_by_imapsync" },
    },
  },
}
