-- normalise_encodings.lua: give 8-bit text parts a real charset.
--
-- A text part with 8-bit bytes but declared as us-ascii, with no charset
-- at all, or with a charset nobody knows ("unknown-8bit", "x-user-
-- defined") is re-encoded: as UTF-8 when its bytes are UTF-8, else read
-- as FALLBACK (Windows-1252, the usual culprit), and written back in
-- UTF-8 with charset=utf-8 and a proper transfer encoding. Exchange and
-- Office 365 refuse such parts ("Server Unavailable. 15"); other servers
-- show them garbled. Correct parts keep their bytes.
--
--   imapshift ... --script scripts/normalise_encodings.lua

local FALLBACK = "windows-1252"

function rewrite(msg)
  for _, part in ipairs(msg:parts()) do
    if part.content_type:find("^text/") and not part.filename then
      local text, problem = part:body()
      local unknown = problem and problem:find("charset", 1, true)
      local cs = part.charset
      if (cs == nil or cs == "us-ascii" or unknown) and re.find(text, "[^\\x00-\\x7f]") then
        if re.find(text, "\\x{FFFD}") then -- not UTF-8
          text = part:body(FALLBACK)
        end
        part:replace(part.content_type, text)
      end
    end
  end
end
