-- strip_attachments.lua: leave large attachments behind, with a note in
-- their place.
--
-- In a multipart message, each attachment whose encoded size is over
-- MAX_BYTES is replaced by a short text/plain part saying what was there
-- ("report.pdf, about 12.4 MB, removed during the migration"), and the
-- message gets an X-Attachments-Removed header listing them. Nested
-- multiparts (an attachment inside a forwarded message's mixed part, a
-- multipart/alternative body next to the attachments) are handled; the
-- text and HTML bodies and small attachments are kept byte for byte.
-- Messages smaller than MAX_BYTES are not even fetched for inspection.
--
-- Useful when the new server has a quota or a message size limit, or to
-- slim an archive. The removed data is not kept anywhere: keep the old
-- account until the new one is checked.
--
--   imapshift ... --script scripts/strip_attachments.lua

local MAX_BYTES = 10 * 1024 * 1024
local NOTE = 'The attachment "%s" (%s, about %s) was removed when this mailbox was migrated.'

local function human(bytes)
  if bytes >= 1024 * 1024 then
    return string.format("%.1f MB", bytes / (1024 * 1024))
  end
  return string.format("%d KB", math.ceil(bytes / 1024))
end

function rewrite(msg)
  if msg.size <= MAX_BYTES then
    return
  end
  local removed = {}
  for _, part in ipairs(msg:parts()) do
    local attached = part.filename or part.disposition == "attachment"
    if part.depth > 0 and attached and part.size > MAX_BYTES and not part.content_type:find("^multipart/") then
      local size = part.size
      if part.encoding == "base64" then
        size = size * 3 / 4
      end
      local name = part.filename or "without a name"
      part:remove(string.format(NOTE, name, part.content_type, human(size)))
      table.insert(removed, name)
    end
  end
  if #removed > 0 then
    msg:add_header("X-Attachments-Removed", table.concat(removed, ", "))
  end
end
