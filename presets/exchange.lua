-- Microsoft Exchange (on premises), as imapsync's --exchange1 and
-- --exchange2 set it up.
--
-- Applied with --exchange1 / --exchange2, or --preset1 exchange /
-- --preset2 exchange. Options given on the command line win; list options
-- get these values appended (--noregexmess, --noregexflag drop them).

return {
  description = "Exchange: its size, rate and line-length limits on the destination",

  -- --exchange1: imapsync sets nothing for an Exchange source.
  side1 = {
    options = {},
    notes = { "--exchange1 sets no option (as in imapsync)." },
  },

  -- --exchange2: the destination is Exchange.
  side2 = {
    options = {
      maxsize = 10000000,
      maxmessagespersecond = 4,
      disarmreadreceipts = true,
      -- Exchange mishandles \Flagged on APPEND.
      regexflag = { [[s/\\Flagged//g]] },
      regexmess = { [[s,(.{10239}),$1\r\n,g]] },
    },
  },
}
