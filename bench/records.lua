-- wrk script: POST a small JSON record to $BENCH_PATH with the endpoint token in
-- $RECORDS_TOKEN. Each body carries the thread and a counter, so every stored record is
-- distinct (BENCH_RUN and WRK_INSTANCE keep runs and parallel wrk processes apart);
-- responses are counted by status so the summary can say how many were accepted.
local threads = {}
local counter = 1 + 1000 * tonumber(os.getenv("BENCH_RUN") or "0") + 100 * tonumber(os.getenv("WRK_INSTANCE") or "0")

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local token = os.getenv("RECORDS_TOKEN")
local path = os.getenv("BENCH_PATH")
local n = 0
accepted = 0
refused = 0

function request()
  n = n + 1
  local body = string.format('{"bench":true,"thread":%d,"seq":%d,"order":{"sku":"A-1","qty":3}}', id, n)
  return wrk.format("POST", path,
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 then accepted = accepted + 1 else refused = refused + 1 end
end

function done(summary, latency, requests)
  local a, r = 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("accepted")
    r = r + thread:get("refused")
  end
  io.write(string.format("accepted %d\nrefused %d\n", a, r))
end
