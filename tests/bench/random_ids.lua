-- wrk script of tests/bench/run.sh: GET /v1/persons/{id} with an id drawn at random (uniform)
-- from a file of person ids, one per line (wrk ... -s random_ids.lua <url> -- <ids file> <user>).
-- No response() callback: it would make wrk slower; run.sh counts 2xx from wrk's summary,
-- crt-api's /metrics and the access log instead.

local ids, n = {}, 0

function init(args)
  local path, user = args[1], args[2] or "atlas.coordinator"
  local f = assert(io.open(path, "r"), "cannot open ids file " .. tostring(path))
  for line in f:lines() do
    if #line > 0 then
      n = n + 1
      ids[n] = "/v1/persons/" .. line
    end
  end
  f:close()
  assert(n > 0, "no ids in " .. path)
  wrk.headers["X-CRT-Dev-User"] = user
  -- a distinct sequence per wrk thread
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  return wrk.format("GET", ids[math.random(n)])
end
