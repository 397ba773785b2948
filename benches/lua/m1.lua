-- wrk script for M1: relate (Kanka `relation`, contract checks included),
-- then unrelate the relation it created. Each thread keeps the ids of the
-- relations it created; a connection that is free sends an unrelate when
-- one is pending, else a relate. Env: M1_TYPE, M1_FROM, M1_TO (global ids).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local relate_body = string.format(
  '{"query":"mutation($i:RelateInput!){ relate(input:$i){ created relation{ id } } }","variables":{"i":{"typeId":"%s","fromId":"%s","toId":"%s","label":"bench"}}}',
  os.getenv("M1_TYPE"), os.getenv("M1_FROM"), os.getenv("M1_TO"))
local unrelate_fmt = '{"query":"mutation($i:UnrelateInput!){ unrelate(input:$i){ removedIds } }","variables":{"i":{"id":"%s"}}}'

setup = common.setup

function init(args)
  common.init()
  relates, unrelates = 0, 0
  pending = {}
end

function request()
  local id = table.remove(pending)
  if id then
    return wrk.format(nil, nil, nil, string.format(unrelate_fmt, id))
  end
  return wrk.format(nil, nil, nil, relate_body)
end

function response(status, headers, body)
  if not common.count(status, headers, body) then return end
  local id = string.match(body, '"relate":.-"id":"([^"]+)"')
  if id then
    relates = relates + 1
    table.insert(pending, id)
  elseif string.find(body, '"removedIds"', 1, true) then
    unrelates = unrelates + 1
  end
end

function done(summary, latency, requests)
  common.done(summary, latency, { "relates", "unrelates" })
end
