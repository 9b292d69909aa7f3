/**
 * The Lua scripts that make shared writes atomic on the Redis server. Each touches one key, so
 * they run unchanged on Redis Cluster. Times come from the server's own clock (`TIME`), so hosts
 * with skewed clocks still agree on every deadline.
 *
 * A stored cooldown is JSON `{u: until (server epoch ms), r: reason, l: backoff level, s?: status, m?: message}`.
 *
 * @module
 */
import { scriptOf } from './connection.js';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Sets a cooldown with the extend-only rule: a later deadline already there wins (keeping the
 * higher backoff level). KEYS[1] the credential's cooldown hash; ARGV model, remaining ms, reason,
 * backoff level, status (or ''), message (or ''). Returns `{effective JSON, server now}`. The
 * hash lives a minute past its longest cooldown.
 */
export const SET_COOLDOWN = scriptOf(`${NOW}
local untilNew = now + tonumber(ARGV[2])
local level = tonumber(ARGV[4])
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local c = cjson.decode(cur)
  if c.u > now and c.u >= untilNew then
    if c.l < level then
      c.l = level
      cur = cjson.encode(c)
      redis.call('HSET', KEYS[1], ARGV[1], cur)
    end
    return {cur, now}
  end
  if c.u > now and c.l > level then level = c.l end
end
local v = {u = untilNew, r = ARGV[3], l = level}
if ARGV[5] ~= '' then v.s = tonumber(ARGV[5]) end
if ARGV[6] ~= '' then v.m = ARGV[6] end
local value = cjson.encode(v)
redis.call('HSET', KEYS[1], ARGV[1], value)
local want = untilNew - now + 60000
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return {value, now}`);

/**
 * Ends a cooldown a host saw end, unless a later one was set meanwhile. KEYS[1] the cooldown
 * hash; ARGV model, the deadline the host knew (server ms). Returns '' when none is left, else
 * the cooldown that stays.
 */
export const CLEAR_COOLDOWN = scriptOf(`local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return '' end
if cjson.decode(cur).u <= tonumber(ARGV[2]) then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return ''
end
return cur`);

/** Raises each field of KEYS[1] to at least its value; ARGV field, value, field, value... */
export const FLOOR = scriptOf(`for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if cur < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`);

/** Removes a session binding if it still names ARGV[2]. KEYS[1] the sessions hash; ARGV key, credential. */
export const UNBIND_IF = scriptOf(`local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cjson.decode(cur).c == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0`);

/** Moves the counter fields of dead hosts (ARGV) into the base fields `s` and `f`. KEYS[1] the counters hash. */
export const FOLD_COUNTERS = scriptOf(`for _, host in ipairs(ARGV) do
  for _, kind in ipairs({'s', 'f'}) do
    local n = redis.call('HGET', KEYS[1], kind .. ':' .. host)
    if n then
      redis.call('HINCRBY', KEYS[1], kind, n)
      redis.call('HDEL', KEYS[1], kind .. ':' .. host)
    end
  end
end
return 1`);

/** The data epoch: KEYS[1] keeps a random id, set (to ARGV[1]) when missing; returns it. */
export const EPOCH = scriptOf(`local e = redis.call('GET', KEYS[1])
if e then return e end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`);

/** Replaces KEYS[1] with the field/value pairs ARGV[2..], living ARGV[1] ms (gone when there are none). */
export const REPLACE_HASH = scriptOf(`redis.call('DEL', KEYS[1])
if #ARGV > 1 then
  for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1`);

/** Deletes KEYS[1] only if it still holds ARGV[1] (a lease given back by its holder alone). */
export const RELEASE_IF = scriptOf(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`);
