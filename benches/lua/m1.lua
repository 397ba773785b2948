-- wrk script for M1: relate (Kanka `relation`, contract checks included),
-- then unrelate the relation it created. Each thread keeps the ids of the
-- relations it created; a connection that is free sends an unrelate when
-- one is pending, else a relate. Env: M1_TYPE, M1_FROM, M1_TO (global ids).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local relate_body = string.format(
  '{"query":"mutation($i:RelateInput!){ relate(input:$i){ created relation{ id } } }","variables":{"i":{"typeId":"%s","fromId":"%s","toId":"%s","label":"bench"}}}',
  os.getenv("M1_TYPE"), os.getenv("M1_FROM"), os.getenv("M1_TO"))
local unrelate_fmt = '{"query":"mutation($i:UnrelateInput!){ unrelate(input:$i){ removedIds } }","variables":{"i":{"id":"%s"}}}'

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  errors, bad_status, responses, stmts, stmt_n, relates, unrelates = 0, 0, 0, 0, 0, 0, 0
  pending = {}
end

function request()
  local id = table.remove(pending)
  if id then
    return wrk.format(nil, nil, nil, string.format(unrelate_fmt, id))
  end
  return wrk.format(nil, nil, nil, relate_body)
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
  else
    local id = string.match(body, '"relate":.-"id":"([^"]+)"')
    if id then
      relates = relates + 1
      table.insert(pending, id)
    elseif string.find(body, '"removedIds"', 1, true) then
      unrelates = unrelates + 1
    end
  end
  local s = statements(headers)
  if s then stmts = stmts + s; stmt_n = stmt_n + 1 end
end

function done(summary, latency, requests)
  local e, b, r, s, n, rel, unr = 0, 0, 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    e = e + t:get("errors"); b = b + t:get("bad_status"); r = r + t:get("responses")
    s = s + t:get("stmts"); n = n + t:get("stmt_n")
    rel = rel + t:get("relates"); unr = unr + t:get("unrelates")
  end
  local se = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d bad_status=%d responses=%d stmts=%d stmt_n=%d sock_errors=%d relates=%d unrelates=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e, b, r, s, n, se.connect + se.read + se.write + se.timeout, rel, unr))
end
