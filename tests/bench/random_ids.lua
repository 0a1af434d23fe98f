-- wrk script of tests/bench/run.sh: GET /v1/persons/{id} with an id drawn at random (uniform)
-- from a file of person ids, one per line; the access token is read from a file
-- (wrk ... -s random_ids.lua <url> -- <ids file> <token file>).
-- No response() callback: it would make wrk slower; run.sh counts 2xx from wrk's summary,
-- crt-api's /metrics and the access log instead.

local ids, n = {}, 0

local function read_first_line(path)
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  local line = f:read("*l")
  f:close()
  return line
end

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
  wrk.headers["Authorization"] = "Bearer " .. assert(read_first_line(args[2]), "no token")
  -- a distinct sequence per wrk thread
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  return wrk.format("GET", ids[math.random(n)])
end
