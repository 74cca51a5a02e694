-- fix_8bit_subject.lua: re-encode subjects written in raw 8-bit
-- Windows-1252 / Latin-1, which old clients produced and which mail
-- headers do not allow, as UTF-8 encoded words.
--
-- Without it, the new server or its clients show such subjects as
-- "R?union" or "RÃ©union", and some servers refuse the message. A subject
-- that is ASCII (encoded words included) or valid UTF-8 is left alone.
-- Add other headers to FIELDS if they have the same problem (only
-- unstructured ones: Subject, Comments, X-...; From and To hold
-- addresses that must not be encoded as a whole).
--
--   imapshift ... --script scripts/fix_8bit_subject.lua

local FIELDS = { "Subject" }

-- Windows-1252 characters 0x80..0x9F; the other bytes are Latin-1.
local CP1252 = {
  [0x80] = 0x20AC, [0x82] = 0x201A, [0x83] = 0x0192, [0x84] = 0x201E,
  [0x85] = 0x2026, [0x86] = 0x2020, [0x87] = 0x2021, [0x88] = 0x02C6,
  [0x89] = 0x2030, [0x8A] = 0x0160, [0x8B] = 0x2039, [0x8C] = 0x0152,
  [0x8E] = 0x017D, [0x91] = 0x2018, [0x92] = 0x2019, [0x93] = 0x201C,
  [0x94] = 0x201D, [0x95] = 0x2022, [0x96] = 0x2013, [0x97] = 0x2014,
  [0x98] = 0x02DC, [0x99] = 0x2122, [0x9A] = 0x0161, [0x9B] = 0x203A,
  [0x9C] = 0x0153, [0x9E] = 0x017E, [0x9F] = 0x0178,
}

local function utf8char(cp)
  if cp < 0x80 then
    return string.char(cp)
  elseif cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
  end
  return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

-- valid_utf8 reports whether s is ASCII or well-formed UTF-8.
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len = c < 0x80 and 1 or c >= 0xF0 and c < 0xF5 and 4 or c >= 0xE0 and 3 or c >= 0xC2 and c < 0xE0 and 2 or 0
    if len == 0 or i + len - 1 > n then
      return false
    end
    for j = i + 1, i + len - 1 do
      local b = s:byte(j)
      if b < 0x80 or b > 0xBF then
        return false
      end
    end
    i = i + len
  end
  return true
end

local function from_cp1252(s)
  return (s:gsub("[\128-\255]", function(ch)
    local b = ch:byte()
    return utf8char(CP1252[b] or b)
  end))
end

function rewrite(msg)
  for _, name in ipairs(FIELDS) do
    local value = msg:header(name)
    if value and not valid_utf8(value) then
      msg:set_header(name, from_cp1252(value))
    end
  end
end
