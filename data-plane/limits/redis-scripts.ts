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
 * integral doubles without exponent below 1e17, so HSET/HINCRBY arguments stay exact.
 * Geometry must match data-plane/limits/types.ts (MINUTE_BUCKET_MS …).
 *
 * Redis CPU is the cluster-wide limit (one instance serves every replica), so the scripts avoid
 * what measurably costs there: parsing hash fields and formatting numbers in Lua (~1 µs each; the
 * caller passes field names), one write call per field (one HSET per key with values the script
 * already read), and TTL refreshes that cannot change anything. Key names and layout are those of
 * the first version, so an upgrade keeps every counter (test/limits/redis-upgrade.test.ts).
 * The field names the scripts take as ARGV come from redis-fields.ts.
 */
const GEOMETRY = 'local MB, MN, DB, DN, HB, HN = 5000, 12, 3600000, 24, 300000, 12';

const COMMON = `
${GEOMETRY}

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

-- The caller passes the window's field names as ARGV from base on (formatting a number in Lua
-- costs ~1 µs, each argument ~0.2 µs): r: and t: of minutes cur-11..cur+1, d:<cur hour>, and,
-- when a TPD limit needs them (and for STATUS), d: of hours cur-23..cur+1 and h: of 5-min buckets
-- cur-11..cur; oldest first (cur+1: a bucket a replica with a clock ahead already wrote).
local RN, TN, DNN = MN + 1, MN + 1, DN + 1

-- Field name -> sub-bucket index of every live sub-bucket: looking a field up here (one hash
-- probe of an interned string) replaces parsing it with string.sub + tonumber (~1 µs a field).
local function bucket_names(now, base)
  local minute, day, hour = math.floor(now / MB), math.floor(now / DB), math.floor(now / HB)
  local names = { minute = minute, day = day, hour = hour, base = base }
  return names
end

local function name_tables(names)
  local base = names.base
  local nr, nt, nd, nh = {}, {}, {}, {}
  local r0, d0, h0 = names.minute - MN + 1, names.day - DN + 1, names.hour - HN + 1
  for k = 0, RN - 1 do
    nr[ARGV[base + k]] = r0 + k
    nt[ARGV[base + RN + k]] = r0 + k
  end
  base = base + RN + TN + 1
  -- Without the d:/h: names (a reserve with no TPD limit) those fields take the parsing path.
  if ARGV[base + DNN + HN - 1] then
    for k = 0, DNN - 1 do nd[ARGV[base + k]] = d0 + k end
    base = base + DNN
    for k = 0, HN - 1 do nh[ARGV[base + k]] = h0 + k end
  end
  return nr, nt, nd, nh
end

-- Reads the window hash, deleting sub-buckets that left their window. Fields outside the live
-- windows (stale ones, or future ones written by a replica whose clock is ahead) take the
-- original parsing path, so sums are exactly what a full parse gives. *max = highest index seen.
local function read_window(w, names)
  local minute, day, hour = names.minute, names.day, names.hour
  local nr, nt, nd, nh = name_tables(names)
  local flat = redis.call('HGETALL', w)
  local win = { r = {}, t = {}, d = {}, rs = 0, ts = 0, ds = 0, hs = 0, rmax = minute + 1, tmax = minute + 1, dmax = day + 1 }
  local stale = {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    local idx = nr[f]
    if idx then
      local v = tonumber(flat[i + 1]); win.r[idx] = v; win.rs = win.rs + v
    else
      idx = nt[f]
      if idx then
        local v = tonumber(flat[i + 1]); win.t[idx] = v; win.ts = win.ts + v
      else
        idx = nd[f]
        if idx then
          local v = tonumber(flat[i + 1]); win.d[idx] = v; win.ds = win.ds + v
        elseif nh[f] then
          win.hs = win.hs + tonumber(flat[i + 1])
        else
          local v = tonumber(flat[i + 1])
          local kind = string.sub(f, 1, 1)
          idx = tonumber(string.sub(f, 3))
          if kind == 'r' then
            if minute - idx >= MN then stale[#stale + 1] = f
            else win.r[idx] = v; win.rs = win.rs + v; if idx > win.rmax then win.rmax = idx end end
          elseif kind == 't' then
            if minute - idx >= MN then stale[#stale + 1] = f
            else win.t[idx] = v; win.ts = win.ts + v; if idx > win.tmax then win.tmax = idx end end
          elseif kind == 'd' then
            if day - idx >= DN then stale[#stale + 1] = f
            else win.d[idx] = v; win.ds = win.ds + v; if idx > win.dmax then win.dmax = idx end end
          elseif kind == 'h' then
            if hour - idx >= HN then stale[#stale + 1] = f else win.hs = win.hs + v end
          end
        end
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', w, unpack(stale)) end
  if win.rs < 0 then win.rs = 0 end
  if win.ts < 0 then win.ts = 0 end
  if win.ds < 0 then win.ds = 0 end
  return win
end

-- Reserve's read: HMGET of the r:/t: (and, for a TPD limit, d:) fields of the window instead of
-- HGETALL of every field (HGETALL + sorting out ~40-60 fields was most of a reserve's CPU).
-- The first request of a 5 s sub-bucket (r:<cur> absent) takes read_window instead, which also
-- deletes the fields that left their window, so the hash stays bounded. Exact as long as no
-- bucket lies more than one sub-bucket in the future (replica clocks within 5 s of each other).
local function read_window_fast(w, names, need_d)
  local base = names.base
  local last = base + RN + TN
  if need_d then last = last + DNN end
  local vals = redis.call('HMGET', w, unpack(ARGV, base, last))
  if not vals[RN - 1] then return read_window(w, names) end
  local minute, day = names.minute, names.day
  local win = { r = {}, t = {}, d = {}, rs = 0, ts = 0, ds = 0, hs = 0, rmax = minute + 1, tmax = minute + 1, dmax = day + 1 }
  local r0 = minute - MN + 1
  local br, bt, rs, ts = win.r, win.t, 0, 0
  -- The current d: bucket's value is needed for the write even without a TPD limit.
  local dcur = vals[RN + TN + 1]
  if dcur then win.d[day] = tonumber(dcur) end
  for k = 1, RN do
    local v = vals[k]
    if v then v = tonumber(v); br[r0 + k - 1] = v; rs = rs + v end
    v = vals[RN + k]
    if v then v = tonumber(v); bt[r0 + k - 1] = v; ts = ts + v end
  end
  if need_d then
    local d0, bd, ds = day - DN + 1, win.d, 0
    for k = 1, DNN do
      local v = vals[RN + TN + 1 + k]
      if v then v = tonumber(v); bd[d0 + k - 1] = v; ds = ds + v end
    end
    if ds < 0 then ds = 0 end
    win.ds = ds
  end
  if rs < 0 then rs = 0 end
  if ts < 0 then ts = 0 end
  win.rs, win.ts = rs, ts
  return win
end

-- Ms until sum + need fits limit, dropping sub-buckets oldest first. b holds only indexes in
-- [cur - size + 1, max]: walking that range in order equals sorting b's keys (no table.sort).
local function ms_until_room(b, sum, now, bucket_ms, size, limit, need, cur, max)
  if need > limit then return -1 end
  if sum + need <= limit then return 0 end
  if max - cur > 64 then
    local idxs = {}
    for idx in pairs(b) do idxs[#idxs + 1] = idx end
    table.sort(idxs)
    for _, idx in ipairs(idxs) do
      sum = sum - b[idx]
      if sum + need <= limit then return (idx + size) * bucket_ms - now end
    end
    return size * bucket_ms
  end
  for idx = cur - size + 1, max do
    local v = b[idx]
    if v then
      sum = sum - v
      if sum + need <= limit then return (idx + size) * bucket_ms - now end
    end
  end
  return size * bucket_ms
end
`;

export const RESERVE_LUA = `${COMMON}
local now = tonumber(ARGV[1])
local lease_ms = tonumber(ARGV[2])
local id = ARGV[3]
local tokens = tonumber(ARGV[4])
local micros = tonumber(ARGV[5])
local hold = ARGV[6] == '1'
local n = tonumber(ARGV[7])
local names = bucket_names(now, 8 + n * 6)
local minute, day = names.minute, names.day
local wins, spent, reserved = {}, {}, {}
local fail_i, fail_reason, retry = 0, '', 0

for i = 1, n do
  local w, s, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 2], KEYS[i * 4 - 1], KEYS[i * 4]
  local a = 8 + (i - 1) * 5
  local rpm, tpm, tpd, conc, budget =
    tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  expire_leases(l, r, now)
  local win = read_window_fast(w, names, tpd >= 0)
  wins[i] = win
  spent[i] = tonumber(redis.call('HGET', s, 'spent') or '0')
  reserved[i] = tonumber(redis.call('HGET', r, '_total') or '0')
  if fail_i == 0 then
    if budget >= 0 and hold and (spent[i] >= budget or spent[i] + reserved[i] + micros > budget) then
      fail_i, fail_reason = i, 'budget'
      if spent[i] + micros <= budget and spent[i] < budget then retry = 1000
      else retry = math.max(1000, tonumber(ARGV[8 + n * 5 + i - 1]) - now) end
    -- The live-lease count only matters here, so ZCARD runs only for nodes with a slot limit.
    elseif conc >= 0 and hold and redis.call('ZCARD', l) + 1 > conc then
      fail_i, fail_reason = i, 'concurrency'
      if conc < 1 then retry = -1 else retry = 1000 end
    elseif rpm >= 0 and win.rs + 1 > rpm then
      fail_i, fail_reason = i, 'rpm'
      retry = ms_until_room(win.r, win.rs, now, MB, MN, rpm, 1, minute, win.rmax)
    elseif tpm >= 0 and win.ts + tokens > tpm then
      fail_i, fail_reason = i, 'tpm'
      retry = ms_until_room(win.t, win.ts, now, MB, MN, tpm, tokens, minute, win.tmax)
    elseif tpd >= 0 and win.ds + tokens > tpd then
      fail_i, fail_reason = i, 'tpd'
      retry = ms_until_room(win.d, win.ds, now, DB, DN, tpd, tokens, day, win.dmax)
    end
  end
end

-- Writes. The script read every field it changes, so it writes the new values with one HSET per
-- key instead of one HINCRBY per field (same values; the script is atomic).
-- Expiry is refreshed only when it can have become too short, not on every call:
--  * w (25 h + 1 min): whenever a field is created (a new key, or the first request of a 5 s
--    sub-bucket; reconcile likewise). A field's data counts at most 24 h after the field was
--    created (d: buckets; r:/t: 60 s, h: 1 h), and creating it set the TTL to 25 h + 1 min, so
--    the key outlives all of its data and expires at most 25 h + 1 min after its last write.
--  * l and r: after each admit they must live at least lease + 60 s (as before); setting
--    lease + 120 s when the TTL fell below lease + 60 s refreshes them once a minute instead of
--    every call. An idle lease set expires 60-120 s after its last lease did.
local nb = names.base
local mkey, tkey, dkey = ARGV[nb + MN - 1], ARGV[nb + RN + MN - 1], ARGV[nb + RN + TN]
if fail_i == 0 then
  for i = 1, n do
    local w, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 1], KEYS[i * 4]
    local win = wins[i]
    local rm, tm, dd = win.r[minute], win.t[minute], win.d[day]
    redis.call('HSET', w, mkey, (rm or 0) + 1, tkey, (tm or 0) + tokens, dkey, (dd or 0) + tokens)
    if rm == nil or tm == nil or dd == nil then redis.call('PEXPIRE', w, '90060000') end
    win.r[minute] = (rm or 0) + 1
    win.t[minute] = (tm or 0) + tokens
    win.rs = win.rs + 1
    win.ts = win.ts + tokens
    if hold then
      redis.call('ZADD', l, now + lease_ms, id)
      redis.call('HSET', r, id, ARGV[5], '_total', reserved[i] + micros)
      reserved[i] = reserved[i] + micros
      if redis.call('PTTL', l) < lease_ms + 60000 then
        redis.call('PEXPIRE', l, lease_ms + 120000)
        redis.call('PEXPIRE', r, lease_ms + 120000)
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
  if rpm >= 0 then rreset = math.max(0, ms_until_room(win.r, win.rs, now, MB, MN, rpm, rpm, minute, win.rmax)) end
  if tpm >= 0 then treset = math.max(0, ms_until_room(win.t, win.ts, now, MB, MN, tpm, tpm, minute, win.tmax)) end
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
 * the caller's clock; converted to a relative TTL so clock skew with Redis does not matter),
 * then the 5 reconcileFieldNames(now, reservedAt), then the reservation's micros.
 * Returns a flat list of crossings: node index, percent, spent.
 */
export const RECONCILE_LUA = `${GEOMETRY}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local delta = tonumber(ARGV[3])
local at = tonumber(ARGV[4])
local actual = tonumber(ARGV[5])
local hold = ARGV[6] == '1'
local n = tonumber(ARGV[7])
local thresholds = nil
local minute, day, hour = math.floor(now / MB), math.floor(now / DB), math.floor(now / HB)
local res_minute, res_day = math.floor(at / MB), math.floor(at / DB)
local out = {}
if not redis.call('SET', KEYS[n * 4 + 1], 1, 'NX', 'PX', 86400000) then return out end

-- Window fields this reconcile adds to (same for every node), and whether it charges spend.
-- Their names come from the caller (ARGV after the per-node pairs): t:<reservation minute>,
-- t:<minute>, d:<reservation hour>, d:<hour>, h:<5 min> (no number formatting in Lua).
local fa = 9 + n * 2
local held = tonumber(ARGV[fa + 5])
local fields = {}
if delta ~= 0 then
  if minute - res_minute < MN then fields[#fields + 1] = ARGV[fa]
  elseif delta > 0 then fields[#fields + 1] = ARGV[fa + 1] end
  if day - res_day < DN then fields[#fields + 1] = ARGV[fa + 2]
  elseif delta > 0 then fields[#fields + 1] = ARGV[fa + 3] end
end
local adds = {}
for j = 1, #fields do adds[j] = delta end
local charge = hold and actual > 0
if charge then
  fields[#fields + 1] = ARGV[fa + 4]
  adds[#fields] = actual
end

for i = 1, n do
  local w, s, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 2], KEYS[i * 4 - 1], KEYS[i * 4]
  local budget = tonumber(ARGV[9 + (i - 1) * 2])
  -- Only a holding reservation has a lease to release. What it holds is what it reserved (the
  -- reserve script stored exactly the reservation's micros under its unique id), so HDEL's
  -- answer says whether the lease is still live without reading the amount first.
  if hold and redis.call('HDEL', r, id) == 1 then
    redis.call('HINCRBY', r, '_total', -held)
    redis.call('ZREM', l, id)
  end
  if #fields == 1 then
    -- One field (a charge without token correction): HINCRBY; its answer equal to the increment
    -- means the field was just created, which sets the window's TTL (see RESERVE_LUA).
    if redis.call('HINCRBY', w, fields[1], adds[1]) == adds[1] then redis.call('PEXPIRE', w, '90060000') end
  elseif #fields > 1 then
    -- One HMGET + one HSET instead of one HINCRBY per field; a field that did not exist gets the
    -- window's TTL (see RESERVE_LUA: the TTL is refreshed whenever a field is created).
    local cur = redis.call('HMGET', w, unpack(fields))
    local set, created = {}, false
    for j = 1, #fields do
      local v = cur[j]
      if not v then created = true end
      set[#set + 1] = fields[j]
      set[#set + 1] = (v and tonumber(v) or 0) + adds[j]
    end
    redis.call('HSET', w, unpack(set))
    if created then redis.call('PEXPIRE', w, '90060000') end
  end
  if charge then
    local spent = redis.call('HINCRBY', s, 'spent', actual)
    -- Spend keys expire retention after their period's end. The wanted TTL only moves when the
    -- period's end does (a snapshot changed it), so it is re-set only when it is off by > 1 h
    -- (also covers a new key: PTTL -1) instead of on every reconcile.
    local ttl = math.max(60000, tonumber(ARGV[10 + (i - 1) * 2]) - now)
    local pttl = redis.call('PTTL', s)
    if pttl < 0 or math.abs(pttl - ttl) > 3600000 then redis.call('PEXPIRE', s, ttl) end
    if budget > 0 then
      if not thresholds then
        thresholds = {}
        for pct in string.gmatch(ARGV[8], '[^,]+') do thresholds[#thresholds + 1] = tonumber(pct) end
      end
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
 * KEYS: 4 per node. ARGV: now, n, windowFieldNames(now, true). Returns per node: spent, reserved, inFlight, requestsLastMinute,
 * tokensLastMinute, tokensLastDay, spentLastHour.
 */
export const STATUS_LUA = `${COMMON}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local names = bucket_names(now, 3)
local out = {}
for i = 1, n do
  local w, s, l, r = KEYS[i * 4 - 3], KEYS[i * 4 - 2], KEYS[i * 4 - 1], KEYS[i * 4]
  expire_leases(l, r, now)
  local win = read_window(w, names)
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
