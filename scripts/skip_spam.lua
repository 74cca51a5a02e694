-- skip_spam.lua: leave behind the messages a spam filter marked.
--
-- A message is skipped when one of these says it is spam:
--   X-Spam-Flag: YES                      (SpamAssassin, Rspamd, Amavis)
--   X-Spam-Status: Yes, score=...         (SpamAssassin)
--   X-Spam-Score: 7.3   at or over SCORE  (several filters)
--   X-Spam-Level: *******  SCORE stars or more
--   X-Microsoft-Antispam ... SCL:5 or more (Exchange, Office 365: SCL)
-- The reason printed (and shown by --dry) names the header that decided.
--
-- Tune SCORE and SCL to your filters. Only headers are read: the message
-- bodies are not fetched for the decision.
--
--   imapshift ... --script scripts/skip_spam.lua

local SCORE = 5.0 -- the usual SpamAssassin threshold
local SCL = 5     -- Exchange's Spam Confidence Level threshold

function skip(msg)
  local flag = msg:header("X-Spam-Flag")
  if flag and flag:upper() == "YES" then
    return "spam: X-Spam-Flag: " .. flag
  end

  local status = msg:header("X-Spam-Status")
  if status and re.match(status, "^(?i)yes\\b") then
    return "spam: X-Spam-Status: " .. status:sub(1, 40)
  end

  local score = tonumber(re.match(msg:header("X-Spam-Score") or "", "^\\s*(-?[0-9]+(?:\\.[0-9]+)?)"))
  if score and score >= SCORE then
    return "spam: X-Spam-Score: " .. score
  end

  local level = msg:header("X-Spam-Level")
  if level and #re.match(level, "^\\**") >= SCORE then
    return "spam: X-Spam-Level: " .. level
  end

  for _, name in ipairs({"X-MS-Exchange-Organization-SCL", "X-Microsoft-Antispam-Mailbox-Delivery"}) do
    local v = msg:header(name)
    local scl = v and tonumber(re.match(v, "(?i)(?:^|scl:)\\s*(-?[0-9]+)"))
    if scl and scl >= SCL then
      return "spam: " .. name .. " SCL " .. scl
    end
  end
end
