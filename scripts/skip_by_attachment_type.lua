-- skip_by_attachment_type.lua: leave behind messages carrying executables, or too
-- many megabytes of attachments, without fetching them.
--
-- The decision uses msg.structure alone: the parts, types, sizes and file
-- names the server reports (IMAP BODYSTRUCTURE, fetched with the other
-- metadata), so skipped messages are never downloaded. Sizes are encoded
-- sizes (base64 adds about a third).
--
--   imapshift ... --script scripts/skip_by_attachment_type.lua

local BLOCKED = { exe = true, scr = true, bat = true, cmd = true, com = true, pif = true, vbs = true, js = true, msi = true }
local MAX_ATTACHMENTS = 20 * 1024 * 1024

local function human(bytes)
  if bytes >= 1024 * 1024 then
    return string.format("%.1f MB", bytes / (1024 * 1024))
  elseif bytes >= 1024 then
    return string.format("%d KB", math.ceil(bytes / 1024))
  end
  return bytes .. " bytes"
end

function skip(msg)
  local total = 0
  for _, part in ipairs(msg.structure) do
    local name = part.filename
    if name then
      local ext = re.match(name, "\\.([A-Za-z0-9]+)$")
      if ext and BLOCKED[ext:lower()] then
        return "attachment " .. name .. " is an executable (." .. ext:lower() .. ")"
      end
    end
    if name or part.disposition == "attachment" then
      total = total + part.size
    end
  end
  if total > MAX_ATTACHMENTS then
    return human(total) .. " of attachments (limit " .. human(MAX_ATTACHMENTS) .. ")"
  end
end
