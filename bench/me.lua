-- wrk script: GET /api/v1/me, each request with the next token of the seeded file.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/v1/me", { ["Authorization"] = "Bearer " .. tokens[i] })
end
