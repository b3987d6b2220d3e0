-- RFC 8058 one-click POSTs to /o/<token>/, one token per contact (BENCH_TOKENS_FILE, one a
-- line). Each thread of each round (BENCH_ROUND of BENCH_ROUNDS) walks its own slice of the
-- tokens, so until the file wraps around every request unsubscribes a contact that was
-- still subscribed.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local body = "List-Unsubscribe=One-Click"
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local tokens = {}
local position = 1

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
    tokens[#tokens + 1] = line
  end
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  local round = tonumber(os.getenv("BENCH_ROUND") or "1") - 1
  local slices = threads * tonumber(os.getenv("BENCH_ROUNDS") or "1")
  position = math.floor(#tokens * (round * threads + thread_index) / slices) + 1
end

function request()
  local token = tokens[position]
  position = position % #tokens + 1
  return wrk.format("POST", "/o/" .. token .. "/", headers, body)
end
