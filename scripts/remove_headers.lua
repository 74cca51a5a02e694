-- remove_headers.lua: drop header fields that should not follow the mail
-- to the new server.
--
-- The old server's antispam verdicts (the new server's filters may trust
-- them and misfile mail), its internal routing and tracking fields, and
-- headers that make some servers refuse a message. Names are matched
-- against PATTERNS, Go regular expressions, case-insensitively. Trace
-- fields (Received), DKIM signatures and everything else stay byte for
-- byte; a message without such fields is not changed at all.
--
--   imapshift ... --script scripts/remove_headers.lua

local PATTERNS = {
  "^X-MS-Exchange-Organization-",   -- Exchange's internal verdicts
  "^X-MS-Has-Attach$",
  "^X-MS-TNEF-Correlator$",
  "^X-Spam-",                       -- SpamAssassin
  "^X-Virus-",
  "^X-Originating-IP$",
  "^X-Mozilla-Status2?$",           -- mbox status copied into messages
  "^X-UID$",
  "^Status$",
}

local function matches(name)
  for _, p in ipairs(PATTERNS) do
    if re.find(name, "(?i)" .. p) then
      return true
    end
  end
  return false
end

function rewrite(msg)
  local seen = {}
  for _, name in ipairs(msg:header_names()) do
    local key = name:lower()
    if not seen[key] then
      seen[key] = true
      if matches(name) then
        msg:remove_header(name)
      end
    end
  end
end
