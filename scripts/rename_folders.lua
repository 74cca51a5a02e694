-- rename_folders.lua: rename folders by a table, subfolders included, and
-- leave some out.
--
-- RENAME maps a host1 folder (as named on host1, with host1's separator)
-- to its host2 name (with "/" between levels; it is turned into host2's
-- separator). Its subfolders follow: with "Sent Items" = "Sent",
-- "Sent Items/2019" becomes "Sent/2019". Names are compared
-- case-insensitively. A folder in SKIP (and its subfolders) is not
-- synced. Folders in neither table keep the name the built-in rules gave
-- them (--regextrans2, --automap... run before scripts).
--
-- The defaults are Exchange/Outlook names in several languages mapped to
-- the usual IMAP ones.
--
--   imapshift ... --script scripts/rename_folders.lua

local RENAME = {
  ["Sent Items"] = "Sent",
  ["Gesendete Elemente"] = "Sent",
  ["Éléments envoyés"] = "Sent",
  ["Elementos enviados"] = "Sent",
  ["Deleted Items"] = "Trash",
  ["Gelöschte Elemente"] = "Trash",
  ["Éléments supprimés"] = "Trash",
  ["Junk E-mail"] = "Junk",
  ["Junk Email"] = "Junk",
  ["Courrier indésirable"] = "Junk",
  ["Drafts"] = "Drafts",
  ["Brouillons"] = "Drafts",
  ["Entwürfe"] = "Drafts",
}
local SKIP = {
  ["Conversation History"] = "Skype conversations, not mail",
  ["Sync Issues"] = "Outlook synchronisation logs",
  ["Calendar"] = "not mail",
  ["Contacts"] = "not mail",
  ["Tasks"] = "not mail",
}

-- lower-case keys, for case-insensitive lookups
local function lowered(t)
  local out = {}
  for k, v in pairs(t) do out[k:lower()] = v end
  return out
end
RENAME, SKIP = lowered(RENAME), lowered(SKIP)

local function split(name, sep)
  local parts, start = {}, 1
  if sep == "" then return { name } end
  while true do
    local i = string.find(name, sep, start, true)
    if not i then
      table.insert(parts, name:sub(start))
      return parts
    end
    table.insert(parts, name:sub(start, i - 1))
    start = i + #sep
  end
end

function map_folder(folder)
  local parts = split(folder.name, folder.sep1)
  -- the longest leading path found in the tables decides
  for n = #parts, 1, -1 do
    local head = table.concat(parts, "/", 1, n):lower()
    local why = SKIP[head]
    if why then
      return false, why
    end
    local new = RENAME[head]
    if new then
      local rest = {}
      for i = n + 1, #parts do table.insert(rest, parts[i]) end
      local name = new
      if #rest > 0 then name = name .. "/" .. table.concat(rest, "/") end
      name = name:gsub("/", folder.sep2)
      return folder.prefix2 .. name
    end
  end
end
