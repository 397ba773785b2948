-- wrk script: POST one GraphQL body (the file named by env BENCH_BODY),
-- counted by common.lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

setup = common.setup
init = common.init

function response(status, headers, body) common.count(status, headers, body) end

function done(summary, latency, requests) common.done(summary, latency) end
