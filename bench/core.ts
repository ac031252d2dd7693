/**
 * Core alone, in process, no HTTP: code exchanges and refreshes per second
 * with `MemoryGrantStore`, for each crypto port, and the heap held per active
 * grant. The code exchange is measured twice: plain (scope `api`), and of an
 * OpenID Connect grant (scope `openid api`, a nonce), whose exchange also
 * builds and signs an ID Token (ES256, `@kraikub/jose`): the difference is
 * what the ID Token costs per exchange. Run by `bench/run.ts` (pinned, with
 * `--expose-gc`); prints one JSON line last.
 *
 * The paths every API call takes are measured for both access token
 * formats: opaque tokens (`verifyAccessToken`, what `verifyBearer(server)`
 * asks; introspection), and RFC 9068 JWT access tokens of a resource server
 * configured with `accessTokenFormat: 'jwt'` (the same two, where core
 * first checks the signature, then the store; and `@kraikub/jose`'s
 * `createJwtAccessTokenVerifier`, the signature alone). Beside each rate,
 * the process's CPU time per operation (`process.cpuUsage`, every thread:
 * Web Crypto's jobs on libuv's pool count too). `node:crypto`'s synchronous
 * ES256 `verify` of the same tokens is a reference for the signature alone.
 *
 *   node --expose-gc --import tsx core.ts [--smoke]
 *   (run.ts sets TSX_TSCONFIG_PATH=tsconfig.run.json and NODE_ENV=production: the built packages)
 */

import { createPublicKey, type JsonWebKey, verify as verifySignature } from 'node:crypto';
import { createInteractions } from '@kraikub/adapter-http';
import { nodeCrypto } from '@kraikub/adapter-http/node';
import { MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationRequest,
  type AuthorizationServer,
  type Clock,
  type CryptoPort,
  webCrypto,
} from '@kraikub/core';
import { createJwtAccessTokenVerifier } from '@kraikub/jose';
import { basic, benchServer } from './lib/kraikub.ts';
import type { CoreResult } from './lib/report.ts';
import { client, parallel } from './lib/target.ts';
import { apiServer, mintAccessTokens, resource } from './targets/api-common.ts';

const smoke = process.argv.includes('--smoke');
const operations = smoke ? 5_000 : 50_000;
const grants = smoke ? 10_000 : 100_000;
/** JWT access tokens per pass: a tenth of a millisecond or more each, so fewer. */
const jwtOperations = operations / 5;
/** In flight at once, like the connections of the HTTP cells. */
const width = 50;

interface Setup {
  readonly server: AuthorizationServer;
  readonly store: MemoryGrantStore;
  readonly request: AuthorizationRequest;
  /** The OpenID Connect request (scope `openid api`, a nonce): its codes' exchanges sign an ID Token. */
  readonly openidRequest: AuthorizationRequest;
  readonly clock: { offset: number } & Clock;
}

async function setup(crypto: CryptoPort): Promise<Setup> {
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const store = new MemoryGrantStore({ clock });
  const { server, request, openidRequest } = await benchServer(store, crypto, clock);
  return { server, store, request, openidRequest, clock };
}

async function codes(
  { server, request, openidRequest, clock }: Setup,
  count: number,
  openid = false,
): Promise<string[]> {
  return parallel(count, width, async () => {
    const approved = openid
      ? await server.approve(openidRequest, { subject: client.subject, authTime: clock.now() })
      : await server.approve(request, { subject: client.subject });
    if (approved.isErr()) throw new Error(approved.error.description);
    return approved.value.parameters.code as string;
  });
}

function exchange(server: AuthorizationServer, code: string) {
  return server.token({
    params: { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri },
    authorization: basic,
  });
}

async function refreshTokens(s: Setup, count: number): Promise<string[]> {
  const issued = await codes(s, count);
  return parallel(count, width, async (i) => {
    const tokens = await exchange(s.server, issued[i] as string);
    if (tokens.isErr()) throw new Error(tokens.error.description);
    return tokens.value.refresh_token as string;
  });
}

async function accessTokens(s: Setup, count: number): Promise<string[]> {
  const issued = await codes(s, count);
  return parallel(count, width, async (i) => {
    const tokens = await exchange(s.server, issued[i] as string);
    if (tokens.isErr()) throw new Error(tokens.error.description);
    return tokens.value.access_token;
  });
}

/** CPU µs per operation of the last {@link rate} pass (user + system, every thread of the process). */
let lastCpuMicros = 0;

/** Operations per second over `items`, `width` in flight; the pass's CPU per operation in `lastCpuMicros`. */
async function rate(items: readonly string[], run: (item: string) => Promise<boolean>): Promise<number> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const ok = await parallel(items.length, width, (i) => run(items[i] as string));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  lastCpuMicros = Math.round(((used.user + used.system) / items.length) * 10) / 10;
  if (ok.some((success) => !success)) throw new Error('an operation failed');
  return items.length / seconds;
}

/** {@link rate}, and the pass's CPU µs per operation. */
async function measure(
  items: readonly string[],
  run: (item: string) => Promise<boolean>,
): Promise<{ perSecond: number; cpuMicros: number }> {
  const perSecond = await rate(items, run);
  return { perSecond, cpuMicros: lastCpuMicros };
}

/** A result row: run.ts's `CoreResult` row, plus the JWT access token paths and CPU per operation. */
type Row = CoreResult['results'][number] & {
  readonly exchangesOpenidPerSecond: number;
  readonly verificationsPerSecond: number;
  readonly introspectionsPerSecond: number;
  /** `verifyAccessToken` of RFC 9068 JWT access tokens per second: signature, `typ`, `iss`, then the store. */
  readonly jwtVerificationsPerSecond: number;
  /** Introspections of the client's own JWT access tokens per second. */
  readonly jwtIntrospectionsPerSecond: number;
  /** `createJwtAccessTokenVerifier(...).verify` per second: the signature and claims alone, no store. */
  readonly jwtSignatureOnlyPerSecond: number;
  /** CPU µs per operation (`process.cpuUsage`, every thread), by path. */
  readonly cpuMicros: Readonly<Record<string, number>>;
};

async function throughput(
  name: string,
  crypto: CryptoPort,
): Promise<{ row: Row; jwt: { tokens: string[]; keys: JwksOption } }> {
  const s = await setup(crypto);
  const plain = async (code: string) => (await exchange(s.server, code)).isOk();
  const openid = async (code: string) => {
    const tokens = await exchange(s.server, code);
    return tokens.isOk() && typeof tokens.value.id_token === 'string';
  };
  // Warm-up of both, then the measured passes, back to back.
  await rate(await codes(s, operations / 5), plain);
  await rate(await codes(s, operations / 5, true), openid);
  const cpuMicros: Record<string, number> = {};
  const exchangesPerSecond = await rate(await codes(s, operations), plain);
  cpuMicros.exchange = lastCpuMicros;
  const exchangesOpenidPerSecond = await rate(await codes(s, operations, true), openid);
  cpuMicros.exchangeOpenid = lastCpuMicros;
  const refresh = async (token: string) =>
    (
      await s.server.token({
        params: { grant_type: 'refresh_token', refresh_token: token },
        authorization: basic,
      })
    ).isOk();
  await rate(await refreshTokens(s, operations / 5), refresh);
  const refreshesPerSecond = await rate(await refreshTokens(s, operations), refresh);
  cpuMicros.refresh = lastCpuMicros;
  // The paths every API call takes: the bearer check (what verifyBearer asks) and introspection
  // (the client introspecting its own opaque access token, RFC 7662), each a distinct live token.
  const verify = async (token: string) => {
    const info = await s.server.verifyAccessToken(token);
    return info.isOk() && info.value !== undefined;
  };
  const introspect = async (token: string) => {
    const answer = await s.server.introspect({ params: { token }, authorization: basic });
    return answer.isOk() && answer.value.active;
  };
  await rate(await accessTokens(s, operations / 5), verify);
  const verificationsPerSecond = await rate(await accessTokens(s, operations), verify);
  cpuMicros.verification = lastCpuMicros;
  await rate(await accessTokens(s, operations / 5), introspect);
  const introspectionsPerSecond = await rate(await accessTokens(s, operations), introspect);
  cpuMicros.introspection = lastCpuMicros;
  const jwt = await jwtPaths(crypto);
  const row: Row = {
    crypto: name,
    exchangesPerSecond,
    exchangesOpenidPerSecond,
    refreshesPerSecond,
    verificationsPerSecond,
    introspectionsPerSecond,
    jwtVerificationsPerSecond: jwt.verification.perSecond,
    jwtIntrospectionsPerSecond: jwt.introspection.perSecond,
    jwtSignatureOnlyPerSecond: jwt.signatureOnly.perSecond,
    cpuMicros: {
      ...cpuMicros,
      jwtVerification: jwt.verification.cpuMicros,
      jwtIntrospection: jwt.introspection.cpuMicros,
      jwtSignatureOnly: jwt.signatureOnly.cpuMicros,
    },
  };
  return { row, jwt };
}

/** The public JWKS as `jose` (through `createJwtAccessTokenVerifier`) types it. */
type JwksOption = Parameters<typeof createJwtAccessTokenVerifier>[0]['jwks'];

/**
 * The same paths for RFC 9068 JWT access tokens (ES256): a server whose one
 * resource server wants JWTs, tokens minted through `approve` and the code
 * exchange (so for that resource), each pass over the same distinct live
 * tokens (checking a token does not use it up).
 */
async function jwtPaths(crypto: CryptoPort) {
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const { server, request } = await apiServer({
    store: new MemoryGrantStore({ clock }),
    crypto,
    format: 'jwt',
    clock,
  });
  const tokens = await mintAccessTokens(server, request, jwtOperations, width);
  const warm = tokens.slice(0, jwtOperations / 5);
  if (tokens[0]?.split('.').length !== 3) throw new Error('the access tokens are not JWTs');
  const jwks = await server.jwks();
  if (jwks.isErr()) throw new Error(jwks.error.description);
  const keys = { keys: [...jwks.value.keys] } as JwksOption;
  const bySignature = createJwtAccessTokenVerifier({
    issuer: server.config.issuer,
    jwks: keys,
    audience: resource,
  });
  const verify = async (token: string) => {
    const info = await server.verifyAccessToken(token, { audience: resource });
    return info.isOk() && info.value !== undefined;
  };
  const introspect = async (token: string) => {
    const answer = await server.introspect({ params: { token }, authorization: basic });
    return answer.isOk() && answer.value.active;
  };
  const signatureOnly = async (token: string) => (await bySignature.verify(token)) !== undefined;
  await rate(warm, verify);
  const verification = await measure(tokens, verify);
  await rate(warm, introspect);
  const introspection = await measure(tokens, introspect);
  await rate(warm, signatureOnly);
  return { verification, introspection, signatureOnly: await measure(tokens, signatureOnly), tokens, keys };
}

/**
 * A reference, not a Kraikub path: `node:crypto`'s synchronous `verify` of
 * the ES256 signatures of JWT access tokens (no claims, no JSON), on the
 * main thread. What the bare signature check costs on this machine.
 */
async function nodeSignatureReference(
  tokens: readonly string[],
  keys: JwksOption,
): Promise<{ perSecond: number; cpuMicros: number }> {
  if (keys instanceof URL) throw new Error('a JWKS in memory was expected');
  const key = createPublicKey({ key: keys.keys[0] as JsonWebKey, format: 'jwk' });
  const check = async (token: string) => {
    const dot = token.lastIndexOf('.');
    return verifySignature(
      'sha256',
      Buffer.from(token.slice(0, dot)),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(token.slice(dot + 1), 'base64url'),
    );
  };
  await rate(tokens.slice(0, jwtOperations / 5), check);
  return measure(tokens, check);
}

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap per active grant: a code redeemed for an access and a refresh token. */
async function memory(): Promise<Pick<CoreResult, 'bytesPerGrant' | 'bytesPerGrantAfterCodeExpiry'>> {
  const s = await setup(nodeCrypto);
  const before = heap();
  const codesList = await codes(s, grants);
  const kept = await parallel(grants, width, async (i) => {
    const tokens = await exchange(s.server, codesList[i] as string);
    if (tokens.isErr()) throw new Error(tokens.error.description);
    return tokens.value;
  });
  codesList.length = 0;
  // The raw tokens are the client's, not the server's: drop them before measuring.
  kept.length = 0;
  const after = heap();
  // Past the code lifetime (60 s) and the store's expiry buckets (30 s) the consumed codes' tombstones
  // are swept; the tokens (an hour and more) stay.
  s.clock.offset = 91_000;
  s.store.sweep();
  const swept = heap();
  if (s.store.size !== grants * 2) throw new Error(`expected ${grants * 2} records, found ${s.store.size}`);
  return {
    bytesPerGrant: (after - before) / grants,
    bytesPerGrantAfterCodeExpiry: (swept - before) / grants,
  };
}

/**
 * Heap per pending interaction: what an anonymous `GET /authorize` costs
 * until it expires or completes (the caps bound how many there can be).
 */
async function interactionMemory(): Promise<number> {
  const { server, request } = await setup(nodeCrypto);
  const count = smoke ? 2_000 : 10_000;
  const store = new MemoryInteractionStore();
  const interactions = createInteractions(server, {
    store,
    crypto: nodeCrypto,
    limits: { total: count, perSource: count },
  });
  // A request as it arrives: its own strings, a full-length state and PKCE challenge.
  const parked = (i: number): AuthorizationRequest => ({
    ...request,
    state: `state-${i}-${'x'.repeat(40)}`,
    codeChallenge: `${'c'.repeat(38)}${String(i).padStart(5, '0')}`,
    codeChallengeMethod: 'S256',
  });
  const before = heap();
  for (let i = 0; i < count; i++) {
    const started = await interactions.start(parked(i), { source: `203.0.113.${i % 250}` });
    if (!started.ok) throw new Error(`interaction ${i} refused: ${started.limit}`);
  }
  const after = heap();
  if (store.size !== count) throw new Error(`expected ${count} interactions, found ${store.size}`);
  return (after - before) / count;
}

async function main(): Promise<void> {
  // Memory first, on a fresh heap: what the throughput passes leave behind would blur the delta.
  const held = { ...(await memory()), bytesPerInteraction: await interactionMemory() };
  const node = await throughput('nodeCrypto', nodeCrypto);
  const web = await throughput('webCrypto', webCrypto);
  const results: Row[] = [node.row, web.row];
  const jwtNodeCryptoVerify = await nodeSignatureReference(node.jwt.tokens, node.jwt.keys);
  for (const r of results) {
    process.stderr.write(
      `core ${r.crypto}: ${Math.round(r.exchangesPerSecond)} exchanges/s (${(1e6 / r.exchangesPerSecond).toFixed(1)} µs), ` +
        `${Math.round(r.exchangesOpenidPerSecond)} with openid (${(1e6 / r.exchangesOpenidPerSecond).toFixed(1)} µs: ` +
        `ID Token ${(1e6 / r.exchangesOpenidPerSecond - 1e6 / r.exchangesPerSecond).toFixed(1)} µs), ` +
        `${Math.round(r.refreshesPerSecond)} refreshes/s, ` +
        `${Math.round(r.verificationsPerSecond)} bearer checks/s (${(1e6 / r.verificationsPerSecond).toFixed(1)} µs), ` +
        `${Math.round(r.introspectionsPerSecond)} introspections/s (${(1e6 / r.introspectionsPerSecond).toFixed(1)} µs); ` +
        `JWT access tokens: ${Math.round(r.jwtVerificationsPerSecond)} bearer checks/s (${(1e6 / r.jwtVerificationsPerSecond).toFixed(1)} µs), ` +
        `${Math.round(r.jwtIntrospectionsPerSecond)} introspections/s (${(1e6 / r.jwtIntrospectionsPerSecond).toFixed(1)} µs), ` +
        `${Math.round(r.jwtSignatureOnlyPerSecond)} by signature alone/s (${(1e6 / r.jwtSignatureOnlyPerSecond).toFixed(1)} µs); ` +
        `CPU µs/op ${JSON.stringify(r.cpuMicros)}\n`,
    );
  }
  process.stderr.write(
    `reference: node:crypto verify (sync, ES256 signature alone) ${Math.round(jwtNodeCryptoVerify.perSecond)}/s, ` +
      `${jwtNodeCryptoVerify.cpuMicros} µs CPU each\n`,
  );
  // Only fields added to run.ts's CoreResult: it parses this line and ignores what it does not know.
  const result: CoreResult & { jwtNodeCryptoVerify: { perSecond: number; cpuMicros: number } } = {
    grants,
    results,
    ...held,
    jwtNodeCryptoVerify,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
