/**
 * Lua for the Redis limiter. Each script runs atomically on the server, so a reservation checks
 * every node of the hierarchy and writes only when all admit it. Four keys per node, all inside
 * one hash tag ({org:acme} / {provider:x}) so the scripts also run on Redis Cluster:
 *   w  hash   rate sub-buckets: "r:<minute>" requests, "t:<minute>" tokens, "d:<hour>" tokens/day,
 *             "h:<5min>" reconciled micro-dollars (burn rate)
 *   s  hash   spend of one period (key carries the period start): "spent", "a<pct>" alert flags
 *   l  zset   live leases: reservation id scored by expiry
 *   r  hash   micro-dollars held per reservation id, "_total" their sum
 * Numbers: Lua numbers are doubles, exact for integers below 2^53 (9e15 µ$ = $9bn); Redis formats
 * integral doubles without exponent below 1e17, so HINCRBY arguments stay exact.
 * Geometry must match data-plane/limits/types.ts (MINUTE_BUCKET_MS …).
 */

const COMMON = `
local MB, MN, DB, DN, HB, HN = 5000, 12, 3600000, 24, 300000, 12

local function expire_leases(l, r, now)
  local expired = redis.call('ZRANGEBYSCORE', l, '-inf', now)
  if #expired > 0 then
    local freed = 0
    for _, rid in ipairs(expired) do
      local m = redis.call('HGET', r, rid)
      if m then
        freed = freed + tonumber(m)
        redis.call('HDEL', r, rid)
      end
    end
    redis.call('HINCRBY', r, '_total', -freed)
    redis.call('ZREMRANGEBYSCORE', l, '-inf', now)
  end
end

-- Reads the window hash, deleting sub-buckets that left their window.
local function read_window(w, now)
  local minute, day, hour = math.floor(now / MB), math.floor(now / DB), math.floor(now / HB)
  local flat = redis.call('HGETALL', w)
  local win = { r = {}, t = {}, d = {}, rs = 0, ts = 0, ds = 0, hs = 0 }
  local stale = {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    local v = tonumber(flat[i + 1])
    local kind = string.sub(f, 1, 1)
    local idx = tonumber(string.sub(f, 3))
    if kind == 'r' then
      if minute - idx >= MN then stale[#stale + 1] = f else win.r[idx] = v; win.rs = win.rs + v end
    elseif kind == 't' then
      if minute - idx >= MN then stale[#stale + 1] = f else win.t[idx] = v; win.ts = win.ts + v end
    elseif kind == 'd' then
      if day - idx >= DN then stale[#stale + 1] = f else win.d[idx] = v; win.ds = win.ds + v end
    elseif kind == 'h' then
      if hour - idx >= HN then stale[#stale + 1] = f else win.hs = win.hs + v end
    end
  end
  if #stale > 0 then redis.call('HDEL', w, unpack(stale)) end
  if win.rs < 0 then win.rs = 0 end
  if win.ts < 0 then win.ts = 0 end
  if win.ds < 0 then win.ds = 0 end
  return win
end

local function ms_until_room(b, sum, now, bucket_ms, size, limit, need)
  if need > limit then return -1 end
  if sum + need <= limit then return 0 end
  local idxs = {}
  for idx in pairs(b) do idxs[#idxs + 1] = idx end
  table.sort(idxs)
  for _, idx in ipairs(idxs) do
    sum = sum - b[idx]
    if sum + need <= limit then return (idx + size) * bucket_ms - now end
  end
  return size * bucket_ms
end
`;

/**
 * KEYS: 4 per node (w, s, l, r). ARGV: now, leaseMs, id, tokens, micros, hold (1/0), n, then 5 per
 * node: rpm, tpm, tpd, maxConcurrent, budget (-1 = none), then 1 per node: periodEnd.
 * Returns {ok, failed node index (1-based), reason, retryAfterMs, then per node: requestsUsed,
 * requestsResetMs, tokensUsed, tokensResetMs, spent, reserved}.
 */
export const RESERVE_LUA = `${COMMON}
local now = tonumber(ARGV[1])
local lease_ms = tonumber(ARGV[2])
local id = ARGV[3]
local tokens = tonumber(ARGV[4])
local micros = tonumber(ARGV[5])
local hold = ARGV[6] == '1'
local n = tonumber(ARGV[7])
local minute, day = math.floor(now / MB), math.floor(now / DB)
local wins, spent, reserved, live = {}, {}, {}, {}
local fail_i, fail_reason, retry = 0, '', 0

for i = 1, n do
  local w, s, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 2], KEYS[i * 4 - 1], KEYS[i * 4]
  local a = 8 + (i - 1) * 5
  local rpm, tpm, tpd, conc, budget =
    tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local period_end = tonumber(ARGV[8 + n * 5 + i - 1])
  expire_leases(l, r, now)
  local win = read_window(w, now)
  wins[i] = win
  spent[i] = tonumber(redis.call('HGET', s, 'spent') or '0')
  reserved[i] = tonumber(redis.call('HGET', r, '_total') or '0')
  live[i] = redis.call('ZCARD', l)
  if fail_i == 0 then
    if budget >= 0 and hold and (spent[i] >= budget or spent[i] + reserved[i] + micros > budget) then
      fail_i, fail_reason = i, 'budget'
      if spent[i] + micros <= budget and spent[i] < budget then retry = 1000
      else retry = math.max(1000, period_end - now) end
    elseif conc >= 0 and hold and live[i] + 1 > conc then
      fail_i, fail_reason = i, 'concurrency'
      if conc < 1 then retry = -1 else retry = 1000 end
    elseif rpm >= 0 and win.rs + 1 > rpm then
      fail_i, fail_reason = i, 'rpm'
      retry = ms_until_room(win.r, win.rs, now, MB, MN, rpm, 1)
    elseif tpm >= 0 and win.ts + tokens > tpm then
      fail_i, fail_reason = i, 'tpm'
      retry = ms_until_room(win.t, win.ts, now, MB, MN, tpm, tokens)
    elseif tpd >= 0 and win.ds + tokens > tpd then
      fail_i, fail_reason = i, 'tpd'
      retry = ms_until_room(win.d, win.ds, now, DB, DN, tpd, tokens)
    end
  end
end

if fail_i == 0 then
  for i = 1, n do
    local w, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 1], KEYS[i * 4]
    local win = wins[i]
    redis.call('HINCRBY', w, 'r:' .. minute, 1)
    redis.call('HINCRBY', w, 't:' .. minute, tokens)
    redis.call('HINCRBY', w, 'd:' .. day, tokens)
    redis.call('PEXPIRE', w, DN * DB + 60000)
    win.r[minute] = (win.r[minute] or 0) + 1
    win.t[minute] = (win.t[minute] or 0) + tokens
    win.rs = win.rs + 1
    win.ts = win.ts + tokens
    if hold then
      redis.call('ZADD', l, now + lease_ms, id)
      redis.call('HSET', r, id, micros)
      redis.call('HINCRBY', r, '_total', micros)
      reserved[i] = reserved[i] + micros
      local keep = lease_ms + 60000
      if redis.call('PTTL', l) < keep then
        redis.call('PEXPIRE', l, keep)
        redis.call('PEXPIRE', r, keep)
      end
    end
  end
end

local out = { fail_i == 0 and 1 or 0, fail_i, fail_reason, retry }
for i = 1, n do
  local a = 8 + (i - 1) * 5
  local rpm, tpm = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local win = wins[i]
  local rreset, treset = 0, 0
  if rpm >= 0 then rreset = math.max(0, ms_until_room(win.r, win.rs, now, MB, MN, rpm, rpm)) end
  if tpm >= 0 then treset = math.max(0, ms_until_room(win.t, win.ts, now, MB, MN, tpm, tpm)) end
  out[#out + 1] = win.rs
  out[#out + 1] = rreset
  out[#out + 1] = win.ts
  out[#out + 1] = treset
  out[#out + 1] = spent[i]
  out[#out + 1] = reserved[i]
end
return out
`;

/**
 * Idempotent: the last KEY marks the reservation as reconciled (SET NX with a TTL), so a retry
 * after a timeout whose first attempt did reach Redis never charges twice.
 * KEYS: 4 per node, then the done-marker. ARGV: now, id, tokenDelta, reservedAt, actualMicros, hold (1/0), n,
 * thresholds ("50,80,100"), then 2 per node: budget (-1 = none), spend key expiry (epoch ms of
 * the caller's clock; converted to a relative TTL so clock skew with Redis does not matter).
 * Returns a flat list of crossings: node index, percent, spent.
 */
export const RECONCILE_LUA = `${COMMON}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local delta = tonumber(ARGV[3])
local at = tonumber(ARGV[4])
local actual = tonumber(ARGV[5])
local hold = ARGV[6] == '1'
local n = tonumber(ARGV[7])
local thresholds = {}
for pct in string.gmatch(ARGV[8], '[^,]+') do thresholds[#thresholds + 1] = tonumber(pct) end
local minute, day, hour = math.floor(now / MB), math.floor(now / DB), math.floor(now / HB)
local res_minute, res_day = math.floor(at / MB), math.floor(at / DB)
local out = {}
if not redis.call('SET', KEYS[n * 4 + 1], 1, 'NX', 'PX', 86400000) then return out end

for i = 1, n do
  local w, s, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 2], KEYS[i * 4 - 1], KEYS[i * 4]
  local budget = tonumber(ARGV[9 + (i - 1) * 2])
  local expire_at = tonumber(ARGV[10 + (i - 1) * 2])
  local held = redis.call('HGET', r, id)
  if held then
    redis.call('HDEL', r, id)
    redis.call('HINCRBY', r, '_total', -tonumber(held))
    redis.call('ZREM', l, id)
  end
  if delta ~= 0 then
    if minute - res_minute < MN then redis.call('HINCRBY', w, 't:' .. res_minute, delta)
    elseif delta > 0 then redis.call('HINCRBY', w, 't:' .. minute, delta) end
    if day - res_day < DN then redis.call('HINCRBY', w, 'd:' .. res_day, delta)
    elseif delta > 0 then redis.call('HINCRBY', w, 'd:' .. day, delta) end
  end
  if hold and actual > 0 then
    local spent = redis.call('HINCRBY', s, 'spent', actual)
    redis.call('PEXPIRE', s, math.max(60000, expire_at - now))
    redis.call('HINCRBY', w, 'h:' .. hour, actual)
    redis.call('PEXPIRE', w, DN * DB + 60000)
    if budget > 0 then
      for _, pct in ipairs(thresholds) do
        if spent * 100 >= pct * budget and redis.call('HSETNX', s, 'a' .. pct, 1) == 1 then
          out[#out + 1] = i
          out[#out + 1] = pct
          out[#out + 1] = spent
        end
      end
    end
  end
end
return out
`;

/**
 * KEYS: 4 per node. ARGV: now, n. Returns per node: spent, reserved, inFlight, requestsLastMinute,
 * tokensLastMinute, tokensLastDay, spentLastHour.
 */
export const STATUS_LUA = `${COMMON}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {}
for i = 1, n do
  local w, s, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 2], KEYS[i * 4 - 1], KEYS[i * 4]
  expire_leases(l, r, now)
  local win = read_window(w, now)
  out[#out + 1] = tonumber(redis.call('HGET', s, 'spent') or '0')
  out[#out + 1] = tonumber(redis.call('HGET', r, '_total') or '0')
  out[#out + 1] = redis.call('ZCARD', l)
  out[#out + 1] = win.rs
  out[#out + 1] = win.ts
  out[#out + 1] = win.ds
  out[#out + 1] = win.hs
end
return out
`;
