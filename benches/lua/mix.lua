-- wrk script for the soak's reads: POSTs the GraphQL bodies of the files
-- named by env BENCH_BODIES (space-separated), each connection taking them
-- in turn, counted by common.lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local bodies = {}
for path in string.gmatch(os.getenv("BENCH_BODIES") or "", "%S+") do
  local f = assert(io.open(path, "rb"))
  table.insert(bodies, f:read("*a"))
  f:close()
end
assert(#bodies > 0, "BENCH_BODIES names no file")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

setup = common.setup

function init(args)
  common.init()
  turn = 0
end

function request()
  turn = turn % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[turn])
end

function response(status, headers, body) common.count(status, headers, body) end

function done(summary, latency, requests) common.done(summary, latency) end
