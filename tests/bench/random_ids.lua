-- wrk script of tests/bench/run.sh and auth_partner.sh: GET /v1/persons/{id} with an id drawn
-- at random (uniform) from a file of person ids, one per line, and a Bearer token from a file
-- of tokens, one per line:
--   wrk ... -s random_ids.lua <url> -- <ids file> <tokens file>
-- One token: it is set once for every request (a client re-using its token: crt-api verifies
-- it once per worker, then finds it in the worker's cache). Several tokens: each request
-- carries one drawn at random (with many more distinct tokens than a worker's cache holds,
-- 1,024 since D62, nearly every request makes crt-api run the full token_verify).
-- No response() callback (it would slow wrk); the script counts statuses from wrk's summary.

local ids, n = {}, 0
local tokens, t = {}, 0

function init(args)
  local f = assert(io.open(args[1], "r"), "cannot open ids file " .. tostring(args[1]))
  for line in f:lines() do
    if #line > 0 then
      n = n + 1
      ids[n] = "/v1/persons/" .. line
    end
  end
  f:close()
  assert(n > 0, "no ids in " .. args[1])
  local g = assert(io.open(args[2], "r"), "cannot open tokens file " .. tostring(args[2]))
  for line in g:lines() do
    if #line > 0 then
      t = t + 1
      tokens[t] = { Authorization = "Bearer " .. line }
    end
  end
  g:close()
  assert(t > 0, "no token in " .. args[2])
  if t == 1 then
    wrk.headers["Authorization"] = tokens[1].Authorization
  end
  -- a distinct sequence per wrk thread
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  if t == 1 then
    return wrk.format("GET", ids[math.random(n)])
  end
  return wrk.format("GET", ids[math.random(n)], tokens[math.random(t)])
end
