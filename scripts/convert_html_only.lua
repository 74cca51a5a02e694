-- convert_html_only.lua: give HTML-only messages a plain-text version.
--
-- A message whose only body is text/html becomes multipart/alternative:
-- a text/plain part made from the HTML (tags dropped, line breaks kept,
-- common entities decoded), then the HTML part with its bytes unchanged.
-- Text-only mail readers, search indexes and some archiving servers need
-- the plain version. Messages that already have a text part are left
-- alone.
--
--   imapshift ... --script scripts/convert_html_only.lua

local ENTITIES = { nbsp = " ", amp = "&", lt = "<", gt = ">", quot = '"', apos = "'", ["#39"] = "'" }

local function to_text(html)
  local t = re.gsub(html, "(?is)<(script|style|head)\\b.*?</(script|style|head)\\s*>", "")
  t = re.gsub(t, "(?i)<br\\s*/?>", "\n")
  t = re.gsub(t, "(?i)</(p|div|h[1-6]|li|tr|table|blockquote)\\s*>", "\n")
  t = re.gsub(t, "(?s)<[^>]*>", "")
  t = re.gsub(t, "&(#?\\w+);", ENTITIES)
  t = re.gsub(t, "[ \\t]*\\r?\\n[ \\t]*", "\n")
  t = re.gsub(t, "\\n{3,}", "\n\n")
  return (re.gsub(t, "^\\s+|\\s+$", "")) .. "\n"
end

function rewrite(msg)
  local html = msg:html()
  if html and not msg:text() then
    msg:set_text(to_text(html))
  end
end
