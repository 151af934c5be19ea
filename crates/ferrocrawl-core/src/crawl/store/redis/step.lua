-- One partition of a shared crawl, changed atomically: every frontier operation of a worker
-- on this partition since its last call, in one EVALSHA. Keys all share the partition's hash
-- tag (KEYS[1] = "fc:{name:p}"), so the script stays on one cluster slot.
--
-- Layout under KEYS[1]:
--   :q:<host>  LIST   queued requests of a host, FIFO
--   :ready     ZSET   host -> time (ms) it may start next; only hosts with queued requests and
--                     a free slot (fewer than per_host leases fetching)
--   :delayed   ZSET   request -> time it is due again (retries)
--   :leases    ZSET   lease id -> deadline; a lease not renewed by then goes back to the queue
--   :ldata     HASH   lease id -> 'F' (fetching, holds a host slot) or 'D' (fetched, not acked)
--                     followed by the request
--   :inflight  HASH   host -> leases fetching;  :hnext HASH host -> earliest next start (delay,
--                     Retry-After);  :hdelay HASH host -> robots Crawl-delay (ms)
--   :s:<bucket> SET   seen fingerprints (integers: a small SET is a compact intset), or
--   :bloom     STRING a Bloom filter's bits
--   :counts    HASH   queued, leased, seen, done, lease_seq
-- A request is "host \31 url \31 ...": the host is everything before the first \31.
--
-- ARGV: per_host, delay_ms, lease_ms, want (leases to pop), seen_args (per push), share (the
-- most slots of one host this worker takes: per_host over the live workers, so a busy worker
-- leaves room for the others), then sections, each a count followed by its entries:
--   politeness  (kind 'd' delay | 'b' back off, host, ms)
--   push        (request, seen_args seen-set arguments: bucket + member, or Bloom bit offsets)
--   finish      (lease id)
--   requeue     (lease id, wait ms, request; empty: the leased one)
--   ack         (lease id)
--   renew       (lease id)
--   held        (host, slots this worker holds on it)
-- Returns {now, next ready (ms, -1: none), queued, leased, seen, done, new, id, request, ...}.

local base = KEYS[1]
local ready, delayed = base .. ':ready', base .. ':delayed'
local leases, ldata = base .. ':leases', base .. ':ldata'
local inflight, hnext, hdelay = base .. ':inflight', base .. ':hnext', base .. ':hdelay'
local counts, qp = base .. ':counts', base .. ':q:'

local per_host = tonumber(ARGV[1])
local default_delay = tonumber(ARGV[2])
local lease_ms = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local seen_args = tonumber(ARGV[5])
local share = tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local queued, leased, done, new = 0, 0, 0, 0

local function host_of(request)
  return string.sub(request, 1, string.find(request, '\31', 1, true) - 1)
end

-- A host with queued requests and a free slot waits in `ready` for its next start; an idle
-- host's politeness entries go (its delay stays).
local function wake(h)
  local busy = tonumber(redis.call('HGET', inflight, h) or '0')
  if redis.call('EXISTS', qp .. h) == 0 then
    if busy == 0 then
      local at = tonumber(redis.call('HGET', hnext, h) or '0')
      if at <= now then redis.call('HDEL', hnext, h) end
    end
    return
  end
  if busy >= per_host then return end
  local at = tonumber(redis.call('HGET', hnext, h) or '0')
  if at < now then at = now end
  redis.call('ZADD', ready, 'NX', at, h)
end

local function release(h)
  if redis.call('HINCRBY', inflight, h, -1) <= 0 then redis.call('HDEL', inflight, h) end
  wake(h)
end

-- Takes a lease out; returns its request and whether it held a host slot.
local function take(id)
  local v = redis.call('HGET', ldata, id)
  if not v then return nil end
  redis.call('HDEL', ldata, id)
  redis.call('ZREM', leases, id)
  leased = leased - 1
  return string.sub(v, 2), string.sub(v, 1, 1) == 'F'
end

local function requeue(request, held, wait)
  local h = host_of(request)
  queued = queued + 1
  if wait > 0 then
    redis.call('ZADD', delayed, now + wait, request)
  else
    redis.call('LPUSH', qp .. h, request)
  end
  if held then release(h) else wake(h) end
end

local i = 7
local function section()
  local n = tonumber(ARGV[i])
  i = i + 1
  return n
end

for _ = 1, section() do
  local kind, h, ms = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  i = i + 3
  if kind == 'd' then
    redis.call('HSET', hdelay, h, ms)
  else
    local at = now + ms
    if at > tonumber(redis.call('HGET', hnext, h) or '0') then
      redis.call('HSET', hnext, h, at)
      redis.call('ZADD', ready, 'XX', 'GT', at, h)
    end
  end
end

for _ = 1, section() do
  local request = ARGV[i]
  local fresh
  if seen_args == 2 then
    fresh = redis.call('SADD', base .. ':s:' .. ARGV[i + 1], ARGV[i + 2]) == 1
  else
    fresh = false
    for j = 1, seen_args do
      if redis.call('SETBIT', base .. ':bloom', ARGV[i + j], 1) == 0 then fresh = true end
    end
  end
  i = i + 1 + seen_args
  if fresh then
    local h = host_of(request)
    redis.call('RPUSH', qp .. h, request)
    new = new + 1
    queued = queued + 1
    wake(h)
  end
end

for _ = 1, section() do
  local id = ARGV[i]
  i = i + 1
  local v = redis.call('HGET', ldata, id)
  if v and string.sub(v, 1, 1) == 'F' then
    redis.call('HSET', ldata, id, 'D' .. string.sub(v, 2))
    release(host_of(string.sub(v, 2)))
  end
end

for _ = 1, section() do
  local id, wait, request = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  i = i + 3
  local stored, held = take(id)
  -- An unknown lease expired and went back already: the request is queued once. An empty
  -- request gives the lease back as it was leased.
  if stored then
    if request == '' then request = stored end
    requeue(request, held, wait)
  end
end

for _ = 1, section() do
  local id = ARGV[i]
  i = i + 1
  local request, held = take(id)
  if request then
    done = done + 1
    if held then release(host_of(request)) end
  end
end

for _ = 1, section() do
  redis.call('ZADD', leases, 'XX', now + lease_ms, ARGV[i])
  i = i + 1
end

-- What this worker may still take per host.
local room = {}
local full = 0 -- hosts this worker may take no more of (skipped, left in `ready`)
for _ = 1, section() do
  room[ARGV[i]] = share - tonumber(ARGV[i + 1])
  if room[ARGV[i]] <= 0 then full = full + 1 end
  i = i + 2
end

-- Leases of dead workers (not renewed in time) come back first in their host's queue.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 256)) do
  local request, held = take(id)
  if request then requeue(request, held, 0) end
end

for _, request in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1024)) do
  redis.call('ZREM', delayed, request)
  local h = host_of(request)
  redis.call('LPUSH', qp .. h, request)
  wake(h)
end

local out = {}
while #out < 2 * want do
  local hosts = redis.call('ZRANGEBYSCORE', ready, '-inf', now, 'LIMIT', 0, want - #out / 2 + full)
  local took = false
  for _, h in ipairs(hosts) do
    local request = nil
    local allowed = (room[h] or share) > 0
    if allowed then
      took = true
      request = redis.call('LPOP', qp .. h)
      if not request then redis.call('ZREM', ready, h) end
    end
    if request then
      room[h] = (room[h] or share) - 1
      if room[h] == 0 then full = full + 1 end
      local busy = redis.call('HINCRBY', inflight, h, 1)
      local delay = tonumber(redis.call('HGET', hdelay, h) or default_delay)
      local at = now + delay
      if delay > 0 then redis.call('HSET', hnext, h, at) end
      if busy >= per_host or redis.call('EXISTS', qp .. h) == 0 then
        redis.call('ZREM', ready, h)
      else
        redis.call('ZADD', ready, at, h)
      end
      local id = redis.call('HINCRBY', counts, 'lease_seq', 1)
      redis.call('ZADD', leases, now + lease_ms, id)
      redis.call('HSET', ldata, id, 'F' .. request)
      queued = queued - 1
      leased = leased + 1
      out[#out + 1] = id
      out[#out + 1] = request
    end
  end
  if not took then break end
end

if queued ~= 0 then redis.call('HINCRBY', counts, 'queued', queued) end
if leased ~= 0 then redis.call('HINCRBY', counts, 'leased', leased) end
if new ~= 0 then redis.call('HINCRBY', counts, 'seen', new) end
if done ~= 0 then redis.call('HINCRBY', counts, 'done', done) end

local next_ready = -1
local first = redis.call('ZRANGE', ready, 0, 0, 'WITHSCORES')
if first[2] then next_ready = tonumber(first[2]) end
local due = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
if due[2] and (next_ready < 0 or tonumber(due[2]) < next_ready) then next_ready = tonumber(due[2]) end

local c = redis.call('HMGET', counts, 'queued', 'leased', 'seen', 'done')
local reply = {now, next_ready, tonumber(c[1] or '0'), tonumber(c[2] or '0'), tonumber(c[3] or '0'),
  tonumber(c[4] or '0'), new}
for _, v in ipairs(out) do reply[#reply + 1] = v end
return reply
