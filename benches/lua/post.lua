-- wrk script: POST one GraphQL body (the file named by env BENCH_BODY).
-- Counts responses that are not 200 or whose body has "errors" (a fast
-- error is not a result) and sums relgate's x-relgate-sql-statements header.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  errors, bad_status, responses, stmts, stmt_n = 0, 0, 0, 0, 0
end

local function statements(headers)
  for k, v in pairs(headers) do
    if string.lower(k) == "x-relgate-sql-statements" then return tonumber(v) end
  end
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then bad_status = bad_status + 1 end
  if string.find(body, '"errors"', 1, true) then
    if errors == 0 then io.stderr:write("first error response: " .. string.sub(body, 1, 400) .. "\n") end
    errors = errors + 1
  end
  local s = statements(headers)
  if s then stmts = stmts + s; stmt_n = stmt_n + 1 end
end

function done(summary, latency, requests)
  local e, b, r, s, n = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    e = e + t:get("errors"); b = b + t:get("bad_status"); r = r + t:get("responses")
    s = s + t:get("stmts"); n = n + t:get("stmt_n")
  end
  local se = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d bad_status=%d responses=%d stmts=%d stmt_n=%d sock_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e, b, r, s, n, se.connect + se.read + se.write + se.timeout))
end
