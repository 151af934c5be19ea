-- A crawl's layout (partitions, seen-set), fixed by its first worker: creates the meta hash
-- unless it exists and returns it. KEYS[1] = "fc:{name}:meta"; ARGV: field, value, ...
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
end
return redis.call('HGETALL', KEYS[1])
