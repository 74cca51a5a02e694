-- lowercase_folders.lua: give every folder a lower-case name on the new
-- server (INBOX and its path prefix excepted).
--
-- Useful when the new server is case-sensitive and the old one was not,
-- or to merge "Projects" and "projects" (with imapshift's default
-- --mixfolders, two host1 folders that map to the same name are merged).
-- Only ASCII letters change: Lua's string.lower leaves accented letters
-- as they are.
--
--   imapshift ... --script scripts/lowercase_folders.lua

function map_folder(folder)
  local name = folder.target
  local prefix = folder.prefix2 or ""
  if prefix ~= "" and name:sub(1, #prefix) == prefix then
    name = name:sub(#prefix + 1)
  else
    prefix = ""
  end
  local lowered
  if name:upper() == "INBOX" then
    return
  elseif name:sub(1, 6):upper() == "INBOX" .. folder.sep2 then
    lowered = name:sub(1, 6) .. name:sub(7):lower()
  else
    lowered = name:lower()
  end
  if lowered ~= name then
    return prefix .. lowered
  end
end
