/**
 * A measurement, not a competitor: the floor plus, step by step, the work
 * Kraikub's design (DESIGN.md) requires of every token request, to show where
 * the floor itself lands once it does that work. Cumulative levels:
 *
 * - `LADDER=0`: the floor's work, in an async handler (so the steps below can await).
 * - `LADDER=1`: + SHA-256 at rest (DESIGN §4): the client secret is checked as
 *   a constant-time comparison of digests, and codes and tokens are kept under
 *   the SHA-256 of their value (the presented one and the two new ones hashed).
 * - `LADDER=2`: + records (DESIGN §3): the code is a record that is checked
 *   (client, redirect URI, expiry) and kept as a spent tombstone instead of
 *   deleted; the access token is stored too, and each token is a record
 *   (grant, client, subject, scopes, issued, expiry); a refresh token is marked
 *   rotated, not deleted.
 * - `LADDER=3`: + promise-returning ports (DESIGN §2): every store call and
 *   digest goes through an awaited `async` function, as core calls its ports.
 *
 * Still no library code: no parameter validation beyond the floor's, no
 * error model, no revocation tombstones, no routing.
 *
 * Each level is its own target (`floor-ladder-<n>`, see lib/targets.ts):
 *
 *   pnpm bench --targets=floor,floor-ladder-0,floor-ladder-1,floor-ladder-2,floor-ladder-3
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reply, tokenJson, tokenListener } from '../lib/body.ts';
import { client, runTarget } from '../lib/target.ts';

const level = Number(process.env.LADDER ?? 0);
const hashing = level >= 1;
const records = level >= 2;
const ports = level >= 3;

interface TokenRecord {
  readonly grantId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly redirectUri?: string;
  readonly rotated?: boolean;
}
interface CodeEntry {
  readonly record: TokenRecord;
  consumed: boolean;
}

const token = () => randomBytes(32).toString('base64url');
const sha256 = (value: string) => hash('sha256', value, 'base64url');
const expectedHeader = Buffer.from(
  `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
);
const secretDigest = hash('sha256', client.secret, 'buffer');
const scopes = [client.scope] as const;

/** Level 0–1: value (or its digest) -> subject. Level 2+: digest -> record. */
const codes = new Map<string, string | CodeEntry>();
const refreshTokens = new Map<string, string | TokenRecord>();
const accessTokens = new Map<string, TokenRecord>();

/** A port call: awaited through an async function from level 3, plain below. */
function port<T>(call: () => T): T | Promise<T> {
  return ports ? (async () => call())() : call();
}
const keyOf = (value: string) => port(() => (hashing ? sha256(value) : value));

function authorized(header: string | undefined): boolean | Promise<boolean> {
  if (header === undefined) return false;
  if (!hashing) {
    const given = Buffer.from(header);
    return given.length === expectedHeader.length && timingSafeEqual(given, expectedHeader);
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  return Promise.resolve(port(() => hash('sha256', secret, 'buffer'))).then(
    (digest) => header.startsWith('Basic ') && id === client.id && timingSafeEqual(digest, secretDigest),
  );
}

function record(grantId: string, now: number, lifetimeMs: number, redirectUri?: string): TokenRecord {
  const base = { grantId, clientId: client.id, subject: client.subject, scopes, issuedAt: now };
  return redirectUri === undefined
    ? { ...base, expiresAt: now + lifetimeMs }
    : { ...base, expiresAt: now + lifetimeMs, redirectUri };
}

/** Takes the presented credential: its grant id (or subject below level 2), or undefined. */
async function take(grant: string | null, form: URLSearchParams, now: number): Promise<string | undefined> {
  const presented = grant === 'authorization_code' ? form.get('code') : form.get('refresh_token');
  if (presented === null) return undefined;
  const key = await keyOf(presented);
  if (grant === 'authorization_code') {
    const entry = await port(() => codes.get(key));
    if (entry === undefined) return undefined;
    if (typeof entry === 'string') {
      codes.delete(key);
      return entry;
    }
    const r = entry.record;
    if (entry.consumed || r.clientId !== client.id || r.expiresAt <= now) return undefined;
    if (r.redirectUri !== form.get('redirect_uri')) return undefined;
    await port(() => {
      entry.consumed = true;
    });
    return r.grantId;
  }
  if (grant !== 'refresh_token') return undefined;
  const found = await port(() => refreshTokens.get(key));
  if (found === undefined) return undefined;
  if (typeof found === 'string') {
    refreshTokens.delete(key);
    return found;
  }
  if (found.rotated === true || found.clientId !== client.id || found.expiresAt <= now) return undefined;
  await port(() => refreshTokens.set(key, { ...found, rotated: true }));
  return found.grantId;
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  if (!(await authorized(req.headers.authorization))) {
    reply(res, 401, '{"error":"invalid_client"}');
    return;
  }
  const form = new URLSearchParams(body);
  const now = Date.now();
  const taken = await take(form.get('grant_type'), form, now);
  if (taken === undefined) {
    reply(res, 400, '{"error":"invalid_grant"}');
    return;
  }
  const access = token();
  const refresh = token();
  const accessKey = await keyOf(access);
  const refreshKey = await keyOf(refresh);
  if (records) {
    await port(() => {
      accessTokens.set(accessKey, record(taken, now, 3_600_000));
      refreshTokens.set(refreshKey, record(taken, now, 2_592_000_000));
    });
  } else {
    refreshTokens.set(refreshKey, taken);
  }
  reply(res, 200, tokenJson(access, refresh, client.scope));
}

runTarget(async () => ({
  path: '/token',
  listener: tokenListener((req, res, body) => {
    handle(req, res, body).catch(() => reply(res, 500, '{}'));
  }),
  async mint(work, count) {
    const now = Date.now();
    return Array.from({ length: count }, () => {
      const value = token();
      const key = hashing ? sha256(value) : value;
      const grantId = token().slice(0, 22);
      if (work === 'exchange') {
        codes.set(
          key,
          records
            ? { record: record(grantId, now, 600_000, client.redirectUri), consumed: false }
            : client.subject,
        );
      } else {
        refreshTokens.set(key, records ? record(grantId, now, 2_592_000_000) : client.subject);
      }
      return value;
    });
  },
}));
