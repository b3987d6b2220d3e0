-- GETs of the paths in BENCH_PATHS_FILE (one a line), each thread walking its own slice;
-- with BENCH_COOKIE set, every request carries that Cookie header (a logged-in session).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local paths = {}
local position = 1
local headers = {}

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
    paths[#paths + 1] = line
  end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then
    headers["Cookie"] = cookie
  end
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  position = math.floor(#paths * thread_index / threads) + 1
end

function request()
  local path = paths[position]
  position = position % #paths + 1
  return wrk.format("GET", path, headers)
end
