/**
 * The Lua scripts: one per atomic operation, each touching the keys of one
 * grant only (one hash tag, so one Cluster slot). Keys a script reads from
 * the grant's index are built from `base` and live in the same slot.
 *
 * Stored values are `<state>:<expiresAt>:<json>` (see `envelope.ts`). Every
 * script takes the caller's clock as ARGV[1] and treats a record whose
 * `expiresAt <= now` as gone, as Redis itself does once its `PXAT` passes:
 * whichever clock is ahead wins, so nothing expired is ever valid.
 *
 * Replies are arrays whose first element is a status number, checked
 * strictly by the caller: anything unexpected is an error, never a token.
 *
 * @module
 */
import { createHash } from 'node:crypto';

/**
 * A Lua script with its SHA-1, for {@link RedisConnection.runScript} (EVALSHA).
 *
 * @example
 * ```ts
 * import { createHash } from 'node:crypto';
 * import type { LuaScript } from '@kraikub/adapter-redis';
 * const source = "return redis.call('GET', KEYS[1])";
 * const script: LuaScript = { name: 'get', source, sha: createHash('sha1').update(source).digest('hex') };
 * ```
 */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): LuaScript {
  const source = `${prelude}\n${body}`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Shared helpers. A script that fails halfway keeps what it wrote before
 * (Redis has no rollback), so every script first reads, then runs the only
 * writes that can fail (`ZADD` into the index: a wrong type), and only then
 * the writes that cannot (`SET`, `PEXPIREAT`).
 * - `expiry(v)`, `body(v)`: the parts of a stored value.
 * - `write(index, k, a, now)`: stores the records whose keys are KEYS[k..]
 *   and whose (member, value, expiresAt) triplets start at ARGV[a], each
 *   with PXAT, and indexes them by expiry in the grant's sorted set.
 * - `seal(index)`: drops index members whose records Redis already expired,
 *   and makes the index live exactly as long as its longest record.
 */
const prelude = `
local function colon(v) return string.find(v, ':', 3, true) end
local function expiry(v) return tonumber(string.sub(v, 3, colon(v) - 1)) end
local function body(v) return string.sub(v, colon(v) + 1) end
local function write(index, k, a, now)
  while KEYS[k] do
    local at = tonumber(ARGV[a + 2])
    if at > now then
      redis.call('ZADD', index, at, ARGV[a])
      redis.call('SET', KEYS[k], ARGV[a + 1], 'PXAT', at)
    end
    k = k + 1
    a = a + 3
  end
end
local function seal(index)
  local t = redis.call('TIME')
  local server = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', server - 1)
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', index, top[2]) end
end
`;

/** KEYS: index, code. ARGV: now, member, value, expiresAt. Reply: {1}. */
export const saveCodeScript = script(
  'saveCode',
  `
write(KEYS[1], 2, 2, tonumber(ARGV[1]))
seal(KEYS[1])
return {1}
`,
);

/**
 * KEYS: code, revoked, index, token keys... ARGV: now, token triplets...
 * Reply: {0} not found (unknown, expired or revoked); {2} replayed;
 * {1, codeJson} consumed, and the tokens are stored.
 */
export const consumeCodeScript = script(
  'consumeCode',
  `
local now = tonumber(ARGV[1])
local v = redis.call('GET', KEYS[1])
if not v or redis.call('EXISTS', KEYS[2]) == 1 or expiry(v) <= now then return {0} end
if string.sub(v, 1, 1) ~= '0' then return {2} end
write(KEYS[3], 4, 2, now)
redis.call('SET', KEYS[1], '1' .. string.sub(v, 2), 'KEEPTTL')
seal(KEYS[3])
return {1, body(v)}
`,
);

/** KEYS: revoked, index, token keys... ARGV: now, token triplets... Reply: {1} issued; {0} grant revoked. */
export const issueTokensScript = script(
  'issueTokens',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
write(KEYS[2], 3, 2, tonumber(ARGV[1]))
seal(KEYS[2])
return {1}
`,
);

/**
 * KEYS: old refresh token, revoked, index, successor keys...
 * ARGV: now, rotation JSON, successor triplets...
 * Reply: {0} not found (unknown, expired or revoked); {2, recordJson} reused;
 * {1} rotated, and the successors are stored. The rotation is spliced into
 * the stored JSON object as its last member, so the record comes back with it.
 */
export const rotateRefreshTokenScript = script(
  'rotateRefreshToken',
  `
local now = tonumber(ARGV[1])
local v = redis.call('GET', KEYS[1])
if not v or redis.call('EXISTS', KEYS[2]) == 1 or expiry(v) <= now then return {0} end
local json = body(v)
if string.sub(v, 1, 1) ~= '0' then return {2, json} end
local rotated = '1' .. string.sub(v, 2, colon(v)) .. string.sub(json, 1, -2) .. ',"rotation":' .. ARGV[2] .. '}'
write(KEYS[3], 4, 3, now)
redis.call('SET', KEYS[1], rotated, 'KEEPTTL')
seal(KEYS[3])
return {1}
`,
);

/** KEYS: access token, index. ARGV: member. Reply: {1}. */
export const revokeAccessTokenScript = script(
  'revokeAccessToken',
  `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return {1}
`,
);

/**
 * KEYS: revoked, index. ARGV: now, retain until, base (key prefix of the grant).
 * Deletes every record of the grant and its index, and keeps (or extends)
 * the tombstone until `retain until`. Reply: {1, records deleted}.
 */
export const revokeGrantScript = script(
  'revokeGrant',
  `
local members = redis.call('ZRANGE', KEYS[2], 0, -1)
local batch = {}
for i, member in ipairs(members) do
  batch[#batch + 1] = ARGV[3] .. member
  if #batch == 100 then redis.call('DEL', unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('DEL', unpack(batch)) end
redis.call('DEL', KEYS[2])
local keep = tonumber(ARGV[2])
if keep > tonumber(ARGV[1]) and keep > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', keep)
end
return {1, #members}
`,
);

/**
 * The interaction scripts. Every interaction key shares the hash tag
 * `{interactions}` (one Cluster slot), so the caps are checked and the
 * record written in one atomic step. A stored value is `<source>:<json>`,
 * `-` for no source. `extend(key, at)` makes a counting set live at least
 * until `at`.
 */
const interactionPrelude = `
local function extend(key, at)
  local current = redis.call('PEXPIRETIME', key)
  if current < at then redis.call('PEXPIREAT', key, at) end
end
`;

/**
 * KEYS: record, pending set, source set. ARGV: now, expiresAt, value, total,
 * per source, member, has source ('1' or '0').
 * Reply: {0} saved; {1} total cap reached; {2} source cap reached.
 */
export const saveInteractionScript = script(
  'saveInteraction',
  `${interactionPrelude}
local now = tonumber(ARGV[1])
local at = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {1} end
if ARGV[7] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then return {2} end
  redis.call('ZADD', KEYS[3], at, ARGV[6])
  extend(KEYS[3], at)
end
redis.call('ZADD', KEYS[2], at, ARGV[6])
extend(KEYS[2], at)
redis.call('SET', KEYS[1], ARGV[3], 'PXAT', at)
return {0}
`,
);

/**
 * KEYS: record, pending set. ARGV: member, prefix of the source sets.
 * Reply: {0} nothing there; {1, value} consumed (deleted, and its place in
 * both counting sets freed). The source set's key is built from the value
 * and shares the slot.
 */
export const consumeInteractionScript = script(
  'consumeInteraction',
  `
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local sep = string.find(v, ':', 1, true)
local source = string.sub(v, 1, sep - 1)
if source ~= '-' then redis.call('ZREM', ARGV[2] .. source, ARGV[1]) end
return {1, string.sub(v, sep + 1)}
`,
);
