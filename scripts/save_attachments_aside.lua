-- save_attachments_aside.lua: leave big attachments behind, and record in
-- the message what each one was: name, size and SHA-256.
--
-- Each attachment whose content is over MAX_BYTES is removed; a short note
-- takes its place, and the message gets one X-Attachment-Set-Aside header
-- per file: "name"; size=BYTES; sha256=HEX. The digest finds the file
-- again in the old account or in a backup, and proves it is the same. The
-- text and HTML bodies and the other attachments keep their bytes.
-- Messages smaller than MAX_BYTES are not fetched for inspection.
--
--   imapshift ... --script scripts/save_attachments_aside.lua

local MAX_BYTES = 5 * 1024 * 1024

function rewrite(msg)
  if msg.size <= MAX_BYTES then
    return
  end
  for _, part in ipairs(msg:attachments()) do
    local sum, size = part:sha256()
    if size > MAX_BYTES then
      local name = part.filename or "unnamed"
      msg:add_header("X-Attachment-Set-Aside", string.format('"%s"; size=%d; sha256=%s', name, size, sum))
      part:remove(string.format('The attachment "%s" (%d bytes, SHA-256 %s) was set aside during the migration.', name, size, sum))
    end
  end
end
