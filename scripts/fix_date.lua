-- fix_date.lua: give a Date: header to messages that have none, or one
-- that cannot be read.
--
-- Clients sort and thread by Date:, and some servers refuse or misfile
-- messages without a valid one (imapsync's --idatefromheader also needs
-- it). The date is taken from, in this order:
--   1. the newest Received: header (the timestamp after its ";", as
--      written, in the zone of the server that received it);
--   2. the message's internal date on host1 (when it arrived there), in
--      UTC.
-- A broken value is kept in X-Original-Date. Messages with a readable
-- Date: are left byte for byte as they are.
--
--   imapshift ... --script scripts/fix_date.lua

function rewrite(msg)
  local value = msg:header("Date")
  if value and date.parse(value) then
    return
  end
  local new
  -- The top Received: field is the last hop, the delivery to host1.
  local received = msg:header("Received")
  if received then
    local stamp = re.match(received, ";\\s*([^;]*\\S)\\s*$")
    if stamp and date.parse(stamp) then
      new = stamp
    end
  end
  if not new and msg.internal_date then
    new = date.format(msg.internal_date)
  end
  if not new then
    log.warn("no date found for", tostring(msg))
    return
  end
  if value then
    msg:add_header("X-Original-Date", value)
  end
  msg:set_header("Date", new)
end
