-- The same form POST to one URL path (BENCH_PATH) on every request: the baseline scenario.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local body = "List-Unsubscribe=One-Click"
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local prepared = nil

function init(args)
  prepared = wrk.format("POST", os.getenv("BENCH_PATH"), headers, body)
end

function request()
  return prepared
end
