-- keywords_to_flags.lua: translate the keywords (user flags) of the old
-- server into what the new one and its clients understand.
--
-- Clients invented many spellings for the same thing: Thunderbird's
-- $label1 ("Important") is \Flagged elsewhere, "Junk"/"NonJunk" are
-- $Junk/$NotJunk in RFC 5788, and some keywords mean nothing to the new
-- server. MAP renames (a keyword may become a system flag), DROP removes,
-- matched case-insensitively. Everything else is kept, each flag once.
-- Applies both when copying and when resyncing flags of messages already
-- copied.
--
--   imapshift ... --script scripts/keywords_to_flags.lua

local MAP = {
  ["$label1"] = "\\Flagged",      -- Thunderbird "Important"
  ["$label2"] = "$Work",
  ["$label3"] = "$Personal",
  ["$label4"] = "$ToDo",
  ["$label5"] = "$Later",
  ["junk"] = "$Junk",
  ["nonjunk"] = "$NotJunk",
  ["$notjunk"] = "$NotJunk",
  ["$forwarded"] = "$Forwarded",
  ["$mdnsent"] = "$MDNSent",
}
local DROP = {
  ["$attachment"] = true,   -- recomputed by clients
  ["$hasattachment"] = true,
  ["$hasnoattachment"] = true,
  ["\\recent"] = true,      -- cannot be set by a client
}

function flags(msg, flags)
  local out, seen = {}, {}
  for _, f in ipairs(flags) do
    local key = f:lower()
    if not DROP[key] then
      local new = MAP[key] or f
      if not seen[new:lower()] then
        seen[new:lower()] = true
        table.insert(out, new)
      end
    end
  end
  return out
end
