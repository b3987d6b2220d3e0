-- Customer-managed one-click POSTs to BENCH_PATH (/j/<key>/) with an encrypted-looking
-- params/pid pair in the query string, as the journey platform sends them. Every request
-- carries a pair never sent before (run id, round, thread, counter), so each one stores a new
-- opt-out request and queues its decryption, instead of hitting the duplicate path.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local counter = 0
local run = os.getenv("BENCH_RUN_ID") .. "r" .. (os.getenv("BENCH_ROUND") or "1")
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local body = "List-Unsubscribe=One-Click"

function request()
  counter = counter + 1
  local pair = string.format("%s-%d-%d", run, thread_index, counter)
  local path = string.format(
    "%s?params=QmVuY2hQYXJhbXM%s&pid=QmVuY2hQaWQ%s", os.getenv("BENCH_PATH"), pair, pair)
  return wrk.format("POST", path, headers, body)
end
