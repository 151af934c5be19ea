-- wrk: cycle through the paths in the file named by env URLS_FILE, each thread from its own
-- offset, so every request hits a different file like the clients' URL list.
local paths = {}
local i = 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  local f = assert(io.open(os.getenv("URLS_FILE"), "r"))
  for line in f:lines() do if #line > 0 then paths[#paths + 1] = line end end
  f:close()
  i = ((tid or 1) - 1) * math.floor(#paths / 2)
end
function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
