-- add_migrated_from.lua: stamp every copied message with where it came
-- from.
--
-- Adds, at the top of the header:
--
--   X-Migrated-From: imap.old.example.org INBOX/Projets uid 1234
--
-- so that, long after the migration, anyone can tell a migrated message
-- from one delivered to the new server, and find its original. The
-- header is not part of imapshift's message identity (Message-Id and
-- Received by default), so reruns still recognise copied messages.
--
-- Set SOURCE to the name of the old server. A message that already has
-- the header (migrated twice) keeps the first one.
--
--   imapshift ... --script scripts/add_migrated_from.lua

local SOURCE = "imap.old.example.org"
local HEADER = "X-Migrated-From"

function rewrite(msg)
  if msg:header(HEADER) then
    return
  end
  msg:add_header(HEADER, string.format("%s %s uid %d", SOURCE, msg.folder, msg.uid))
end
