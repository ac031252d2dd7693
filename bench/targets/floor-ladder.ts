/**
 * A measurement, not a competitor: the floor plus, step by step, the work
 * Kraikub's design (DESIGN.md) requires of every token request, to show where
 * the floor itself lands once it does that work. Every rung draws its random
 * tokens from a pool (`pooledToken`), as the floor and Kraikub do. Cumulative
 * levels:
 *
 * - `LADDER=0`: the floor's work and storage, exactly (the credential taken
 *   out of a `Map`, the new refresh token put in one), in an async handler
 *   (so the steps below can await).
 * - `LADDER=1`: + SHA-256 at rest (DESIGN §4), with one-shot `crypto.hash`
 *   where Node has it (20.12+), else `createHash`: the client secret is
 *   checked as a constant-time comparison of digests, and codes and tokens
 *   are kept under the SHA-256 of their value (the presented one and the two
 *   new ones hashed).
 * - `LADDER=2`: + the records `MemoryGrantStore` keeps per request (DESIGN
 *   §3): tokens carry their grant id (`<grant>.<secret>`, as Kraikub's do) and
 *   a record is found by digest and checked against it. A code exchange
 *   reads the code's record (client, redirect URI, expiry), checks the grant
 *   is not revoked (the store's grant tombstones, read on every lookup), marks
 *   the code consumed (it stays as the replay tombstone) and writes an access
 *   token record and a refresh token record. A refresh reads the refresh
 *   token's record, checks the grant, replaces the record by a copy carrying
 *   its rotation mark (when, the successor's key, the successor access
 *   token's scopes and expiry) and writes the two new records. Like the
 *   store, no per-grant index: revocation is a grant tombstone read by every
 *   lookup.
 * - `LADDER=3`: + promise-returning ports (DESIGN §2): every store call and
 *   digest goes through an awaited `async` function, as core calls its ports.
 *
 * Still no library code: no parameter validation beyond the floor's, no
 * error model, no revocation itself, no routing.
 *
 * Each level is its own target (`floor-ladder-<n>`, see lib/targets.ts):
 *
 *   pnpm bench --targets=floor,floor-ladder-0,floor-ladder-1,floor-ladder-2,floor-ladder-3
 */
import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reply, tokenJson, tokenListener } from '../lib/body.ts';
import { pooledToken } from '../lib/random.ts';
import { client, runTarget } from '../lib/target.ts';

const level = Number(process.env.LADDER ?? 0);
const hashing = level >= 1;
const records = level >= 2;
const ports = level >= 3;

/** SHA-256 in one call where Node has `crypto.hash` (20.12+), as Kraikub's `nodeCrypto` does. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: string) => unknown }).hash;
const sha256 =
  oneShot === undefined
    ? (value: string) => crypto.createHash('sha256').update(value).digest('base64url')
    : (value: string) => oneShot('sha256', value, 'base64url') as string;
const sha256Bytes =
  oneShot === undefined
    ? (value: string) => crypto.createHash('sha256').update(value).digest()
    : (value: string) => oneShot('sha256', value, 'buffer') as Buffer;

interface TokenRecord {
  readonly grantId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
}
interface CodeRecord extends TokenRecord {
  readonly redirectUri: string;
}
interface RefreshRecord extends TokenRecord {
  /** Set once rotated (the mark `rotateRefreshToken` leaves). */
  readonly rotation?: {
    readonly rotatedAt: number;
    readonly successor: { readonly hash: string; readonly grantId: string };
    readonly accessScopes: readonly string[];
    readonly accessExpiresAt: number;
  };
}
interface CodeEntry {
  readonly record: CodeRecord;
  consumed: boolean;
}

const expectedHeader = Buffer.from(
  `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
);
const secretDigest = sha256Bytes(client.secret);
const scopes = [client.scope] as const;
const accessLifetime = 3_600_000;
const refreshLifetime = 2_592_000_000;

/** Levels 0–1: value (or its digest) -> subject. Level 2+: digest -> record. */
const codes = new Map<string, string | CodeEntry>();
const refreshTokens = new Map<string, string | RefreshRecord>();
const accessTokens = new Map<string, TokenRecord>();
/** Grant tombstones (grant id -> until when), read by every lookup as `MemoryGrantStore` does. */
const revoked = new Map<string, number>();

/** A port call: awaited through an async function from level 3, plain below. */
function port<T>(call: () => T): T | Promise<T> {
  return ports ? (async () => call())() : call();
}
const keyOf = (value: string) => port(() => (hashing ? sha256(value) : value));
/** A token: the floor's random value, prefixed with its grant id from level 2 (as Kraikub's are). */
const tokenFor = (grantId: string) => (records ? `${grantId}.${pooledToken()}` : pooledToken());
const grantOf = (value: string) => value.slice(0, value.indexOf('.'));
const newGrantId = () => pooledToken().slice(0, 22);

function authorized(header: string | undefined): boolean | Promise<boolean> {
  if (header === undefined) return false;
  if (!hashing) {
    const given = Buffer.from(header);
    return given.length === expectedHeader.length && crypto.timingSafeEqual(given, expectedHeader);
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  return Promise.resolve(port(() => sha256Bytes(secret))).then(
    (digest) =>
      header.startsWith('Basic ') && id === client.id && crypto.timingSafeEqual(digest, secretDigest),
  );
}

/** Live: unexpired, of the grant the token names, and that grant not revoked. */
const live = (record: TokenRecord, grantId: string, now: number) =>
  record.grantId === grantId && record.expiresAt > now && !revoked.has(record.grantId);

function tokenRecord(grantId: string, now: number, lifetimeMs: number): TokenRecord {
  return {
    grantId,
    clientId: client.id,
    subject: client.subject,
    scopes,
    issuedAt: now,
    expiresAt: now + lifetimeMs,
  };
}

/** The two new tokens of a grant, their digests, and (level 2+) their records written. */
async function issue(grantId: string, now: number, rotating?: { key: string; record: RefreshRecord }) {
  const access = tokenFor(grantId);
  const refresh = tokenFor(grantId);
  const accessKey = await keyOf(access);
  const refreshKey = await keyOf(refresh);
  if (!records) {
    refreshTokens.set(refreshKey, client.subject);
    return { access, refresh };
  }
  await port(() => {
    if (rotating !== undefined) {
      refreshTokens.set(rotating.key, {
        ...rotating.record,
        rotation: {
          rotatedAt: now,
          successor: { hash: refreshKey, grantId },
          accessScopes: scopes,
          accessExpiresAt: now + accessLifetime,
        },
      });
    }
    accessTokens.set(accessKey, tokenRecord(grantId, now, accessLifetime));
    refreshTokens.set(refreshKey, tokenRecord(grantId, now, refreshLifetime));
  });
  return { access, refresh };
}

/** Redeems the presented credential: the new tokens, or undefined when it is not good. */
async function redeem(
  grant: string | null,
  form: URLSearchParams,
  now: number,
): Promise<{ access: string; refresh: string } | undefined> {
  const presented = grant === 'authorization_code' ? form.get('code') : form.get('refresh_token');
  if (presented === null) return undefined;
  const key = await keyOf(presented);
  if (grant === 'authorization_code') {
    const entry = await port(() => codes.get(key));
    if (entry === undefined) return undefined;
    if (typeof entry === 'string') {
      codes.delete(key);
      return issue('', now);
    }
    const r = entry.record;
    const grantId = grantOf(presented);
    if (entry.consumed || !live(r, grantId, now) || r.clientId !== client.id) return undefined;
    if (r.redirectUri !== form.get('redirect_uri')) return undefined;
    // The code stays, consumed: the replay tombstone.
    await port(() => {
      entry.consumed = true;
    });
    return issue(grantId, now);
  }
  if (grant !== 'refresh_token') return undefined;
  const found = await port(() => refreshTokens.get(key));
  if (found === undefined) return undefined;
  if (typeof found === 'string') {
    refreshTokens.delete(key);
    return issue('', now);
  }
  const grantId = grantOf(presented);
  if (found.rotation !== undefined || !live(found, grantId, now) || found.clientId !== client.id)
    return undefined;
  return issue(grantId, now, { key, record: found });
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  if (!(await authorized(req.headers.authorization))) {
    reply(res, 401, '{"error":"invalid_client"}');
    return;
  }
  const form = new URLSearchParams(body);
  const tokens = await redeem(form.get('grant_type'), form, Date.now());
  if (tokens === undefined) {
    reply(res, 400, '{"error":"invalid_grant"}');
    return;
  }
  reply(res, 200, tokenJson(tokens.access, tokens.refresh, client.scope));
}

runTarget(async () => ({
  path: '/token',
  listener: tokenListener((req, res, body) => {
    handle(req, res, body).catch(() => reply(res, 500, '{}'));
  }),
  async mint(work, count) {
    const now = Date.now();
    return Array.from({ length: count }, () => {
      const grantId = newGrantId();
      const value = tokenFor(grantId);
      const key = hashing ? sha256(value) : value;
      if (work === 'exchange') {
        codes.set(
          key,
          records
            ? {
                record: { ...tokenRecord(grantId, now, 600_000), redirectUri: client.redirectUri },
                consumed: false,
              }
            : client.subject,
        );
      } else {
        refreshTokens.set(key, records ? tokenRecord(grantId, now, refreshLifetime) : client.subject);
      }
      return value;
    });
  },
}));
