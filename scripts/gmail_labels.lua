-- gmail_labels.lua: tidy Gmail labels on the way to the new account.
--
-- The labels hook receives the labels a message is to get on host2
-- (decoded: "Work/2024", system labels spelt \Inbox, \Sent, \Important...)
-- and returns those to set. msg.labels holds host1's own labels (nil when
-- host1 is not Gmail). This script moves the old label tree "Projects/"
-- under "Archive/Projects/", and drops \Important, which Gmail sets by
-- itself and which would otherwise pile up on the new account.
-- It runs with --synclabels/--resynclabels (Gmail to Gmail, or any server
-- to Gmail) and with --gmaillabels keywords|header (Gmail to a server
-- without labels).
--
--   imapshift --gmail1 --gmail2 ... --script scripts/gmail_labels.lua

local RENAME = { ["Projects/"] = "Archive/Projects/" }
local DROP = { ["\\important"] = true }

function labels(msg, labels)
  local out, seen = {}, {}
  for _, l in ipairs(labels) do
    if not DROP[l:lower()] then
      for from, to in pairs(RENAME) do
        if l == from:sub(1, -2) or l:sub(1, #from) == from then
          l = to:sub(1, -2) .. l:sub(#from)
        end
      end
      if not seen[l] then
        seen[l] = true
        table.insert(out, l)
      end
    end
  end
  return out
end
