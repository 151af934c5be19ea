-- Adds one worker's new counts to the crawl's and marks the worker alive; returns the crawl's
-- counters and how many workers were alive within `ttl`.
-- KEYS: "fc:{name}:stats" (HASH), "fc:{name}:workers" (ZSET worker -> last seen, ms).
-- ARGV: worker, ttl_ms, then field, increment pairs.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
local out = redis.call('HGETALL', KEYS[1])
out[#out + 1] = 'workers'
out[#out + 1] = tostring(redis.call('ZCARD', KEYS[2]))
return out
