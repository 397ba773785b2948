-- Shared by the wrk scripts (loaded with dofile from the script's folder):
-- counts responses, those that are not 200 or whose body has "errors" (a
-- fast error is not a result), sums relgate's x-relgate-sql-statements
-- header, and prints one BENCH line with every thread's counters, plus the
-- script's own counters (`extra`, names of per-thread globals).
local common = {}
local threads = {}

function common.setup(thread) table.insert(threads, thread) end

function common.init()
  errors, bad_status, responses, stmts, stmt_n = 0, 0, 0, 0, 0
end

local function statements(headers)
  for k, v in pairs(headers) do
    if string.lower(k) == "x-relgate-sql-statements" then return tonumber(v) end
  end
end

-- Counts one response; true when its body has no errors.
function common.count(status, headers, body)
  responses = responses + 1
  if status ~= 200 then bad_status = bad_status + 1 end
  local s = statements(headers)
  if s then stmts = stmts + s; stmt_n = stmt_n + 1 end
  if string.find(body, '"errors"', 1, true) then
    if errors == 0 then io.stderr:write("first error response: " .. string.sub(body, 1, 400) .. "\n") end
    errors = errors + 1
    return false
  end
  return true
end

function common.done(summary, latency, extra)
  local names = { "errors", "bad_status", "responses", "stmts", "stmt_n" }
  for _, name in ipairs(extra or {}) do table.insert(names, name) end
  local sums = {}
  for _, name in ipairs(names) do
    sums[name] = 0
    for _, t in ipairs(threads) do sums[name] = sums[name] + t:get(name) end
  end
  local se = summary.errors
  local line = string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d sock_errors=%d",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    se.connect + se.read + se.write + se.timeout)
  for _, name in ipairs(names) do line = line .. string.format(" %s=%d", name, sums[name]) end
  io.write(line .. "\n")
end

return common
