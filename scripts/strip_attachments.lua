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

-- field returns the unfolded value of a field in a part's header block.
local function field(header, name)
  local v = re.match(header, "(?im)^" .. re.quote(name) .. "[ \\t]*:[ \\t]*((?:[^\\r\\n]|\\r?\\n[ \\t])*)")
  if v then
    return (re.gsub(v, "\\r?\\n", ""))
  end
end

-- param returns a parameter of a Content-Type or Content-Disposition
-- value (quoted or not; RFC 2231 "name*=charset''value" as written).
local function param(value, name)
  if not value then return nil end
  local q, plain = re.match(value, "(?i);\\s*" .. name .. "\\*?\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;]+))")
  return q or plain
end

local function human(bytes)
  if bytes >= 1024 * 1024 then
    return string.format("%.1f MB", bytes / (1024 * 1024))
  end
  return string.format("%d KB", math.ceil(bytes / 1024))
end

local function note_part(header, size, eol)
  local disposition = field(header, "Content-Disposition")
  local ctype = field(header, "Content-Type") or "application/octet-stream"
  local name = param(disposition, "filename") or param(ctype, "name") or "without a name"
  local encoding = (field(header, "Content-Transfer-Encoding") or ""):lower()
  if encoding == "base64" then
    size = size * 3 / 4
  end
  local kind = re.match(ctype, "^\\s*([^;\\s]+)") or "?"
  local text = string.format(NOTE, name, kind, human(size))
  return table.concat({
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "Content-Disposition: inline",
    "",
    text,
    "",
  }, eol), name
end

local function is_attachment(header)
  local disposition = field(header, "Content-Disposition")
  if disposition and re.find(disposition, "(?i)^\\s*attachment") then
    return true
  end
  return param(disposition, "filename") ~= nil or param(field(header, "Content-Type"), "name") ~= nil
end

-- strip returns body (the body of a multipart entity of type ctype) with
-- its large attachments replaced, and appends their names to removed.
local function strip(body, ctype, eol, removed)
  local boundary = param(ctype, "boundary")
  if not boundary then
    return body
  end
  local delim = "--" .. boundary
  local out = {}
  -- the first delimiter starts the body or follows a line end
  local at
  if body:sub(1, #delim) == delim then
    at = 1
  else
    at = body:find(eol .. delim, 1, true)
    if not at then return body end
    at = at + #eol
  end
  table.insert(out, body:sub(1, at - 1))
  while at do
    local line_end = body:find(eol, at, true)
    if not line_end then
      table.insert(out, body:sub(at))
      break
    end
    local delim_line = body:sub(at, line_end + #eol - 1)
    table.insert(out, delim_line)
    if delim_line:sub(#delim + 1, #delim + 2) == "--" then
      table.insert(out, body:sub(line_end + #eol)) -- the epilogue
      break
    end
    local start = line_end + #eol
    local next_at = body:find(eol .. delim, start, true)
    local stop = next_at and next_at - 1 or #body
    local part = body:sub(start, stop)
    -- the part's header ends at the first empty line
    local hend = part:sub(1, #eol) == eol and 0 or part:find(eol .. eol, 1, true)
    local replaced = part
    if hend then
      local header = part:sub(1, hend - 1 + #eol)
      local content = part:sub(hend + 2 * #eol)
      if hend == 0 then
        header, content = "", part:sub(#eol + 1)
      end
      local ptype = field(header, "Content-Type") or "text/plain"
      if re.find(ptype, "(?i)^\\s*multipart/") then
        local inner = strip(content, ptype, eol, removed)
        replaced = part:sub(1, #part - #content) .. inner
      elseif #content > MAX_BYTES and is_attachment(header) then
        local note, name = note_part(header, #content, eol)
        replaced = note
        table.insert(removed, name)
      end
    end
    table.insert(out, replaced)
    if next_at then
      table.insert(out, eol)
      at = next_at + #eol
    else
      at = nil
    end
  end
  return table.concat(out)
end

function rewrite(msg)
  if msg.size <= MAX_BYTES then
    return
  end
  local ctype = msg:header("Content-Type") or ""
  if not re.find(ctype, "(?i)^\\s*multipart/") then
    return
  end
  local body = msg:body()
  local eol = body:find("\r\n", 1, true) and "\r\n" or "\n"
  local removed = {}
  local new = strip(body, ctype, eol, removed)
  if #removed > 0 then
    msg:set_body(new)
    msg:add_header("X-Attachments-Removed", table.concat(removed, ", "))
  end
end
