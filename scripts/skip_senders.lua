-- skip_senders.lua: leave behind automated mail (notifications, mailing
-- lists, newsletters) by sender, recipient or list header.
--
-- Edit the three lists. Patterns are Go regular expressions (RE2), matched
-- case-insensitively against the whole header value:
--   FROM       the From: header ("Name <address>")
--   TO         the To: and Cc: headers
--   LIST_IDS   the List-Id: header, for whole mailing lists
-- Folders listed in KEEP_FOLDERS are never filtered (Sent, Drafts: your
-- own messages stay even when they quote a notification).
--
--   imapshift ... --script scripts/skip_senders.lua

local FROM = {
  "no-?reply@",
  "notifications?@github\\.com",
  "@alerts\\.example\\.com>?$",
}
local TO = {
  "all-staff@example\\.com",
}
local LIST_IDS = {
  "<announce\\.lists\\.example\\.org>",
}
local KEEP_FOLDERS = { Sent = true, Drafts = true }

local function first(value, patterns)
  if not value then return nil end
  for _, p in ipairs(patterns) do
    if re.find(value, "(?i)" .. p) then
      return p
    end
  end
end

function skip(msg)
  if KEEP_FOLDERS[msg.folder] then
    return
  end
  local from = msg:header("From")
  if first(from, FROM) then
    return "automated sender: " .. from
  end
  for _, name in ipairs({"To", "Cc"}) do
    for _, v in ipairs(msg:headers(name)) do
      if first(v, TO) then
        return "sent to a list address: " .. name .. ": " .. v
      end
    end
  end
  local list = msg:header("List-Id")
  if first(list, LIST_IDS) then
    return "mailing list: " .. list
  end
end
