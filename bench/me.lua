-- wrk script: GET $BENCH_PATH, each request with the next token of the seeded file. Both
-- the ceiling and the measured route go through this script, so the load generator does
-- the same work for each and the difference is the server's.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local path = os.getenv("BENCH_PATH")
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
end
