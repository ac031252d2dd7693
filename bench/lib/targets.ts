import { readFileSync } from 'node:fs';
import { benchDir } from './process.ts';
import type { Runtime, Work } from './protocol.ts';

/** A target of the benchmark: a server file under `targets/`. */
export interface TargetSpec {
  readonly id: string;
  readonly name: string;
  readonly file: string;
  /** A Kraikub target: the smoke run fails if it counts no success. */
  readonly kraikub: boolean;
  /** What it is configured to do, for the report. */
  readonly notes: string;
  /** Extra environment for the target's process. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Works this target cannot do, and why: its cells are reported as not
   * available without starting it.
   */
  readonly unsupported?: Readonly<Partial<Record<Work, string>>>;
  /**
   * The Node it runs on: the runner's own by default, `'22'` for the `node`
   * package's Node 22 (a peer whose newest release needs it, and the floor
   * and Kraikub beside it, so each is compared with the floor of its runtime).
   */
  readonly runtime?: Runtime;
  /**
   * Its ID Tokens from the token endpoint carry no `at_hash` (optional there
   * in OpenID Connect Core 3.1.3.6), and why: the check before the windows
   * then does not ask for one.
   */
  readonly idTokenWithoutAtHash?: string;
}

/** The floor of a runtime: every target's ratios are to the floor on the same Node. */
export function floorOf(runtime: Runtime | undefined): string {
  return runtime === '22' ? 'floor-node22' : 'floor';
}

/** The floors themselves (no ratio to a floor). */
export const floorIds: readonly string[] = ['floor', 'floor-node22'];

/** The reason a floor (no OpenID Connect at all) gives for `exchange-openid`. */
const floorNoOpenid = {
  'exchange-openid': 'a bare handler with no OpenID Connect: it signs no ID Token',
} as const;

/** The reason an OAuth 2.0-only library gives for `exchange-openid`. */
const noOpenid = (name: string) => ({
  'exchange-openid': `${name} implements OAuth 2.0 only: it has no OpenID Connect and cannot issue an ID Token`,
});

function version(pkg: string): string {
  try {
    const json = JSON.parse(readFileSync(`${benchDir}node_modules/${pkg}/package.json`, 'utf8')) as {
      version: string;
    };
    return json.version;
  } catch {
    return '?';
  }
}

/** The targets of a full run, in report order. */
export const targets: readonly TargetSpec[] = [
  {
    id: 'floor',
    name: 'floor (bare node:http)',
    file: 'targets/floor.ts',
    kraikub: false,
    notes:
      'Parses the form, checks HTTP Basic in constant time, takes the credential out of a Map, makes two random tokens (32-byte slices of a pooled `randomFillSync` buffer, as Kraikub draws them), replies JSON. Stores no hashes and no records.',
    unsupported: floorNoOpenid,
  },
  {
    id: 'kraikub-memory',
    name: 'Kraikub + adapter-memory',
    file: 'targets/kraikub-memory.ts',
    kraikub: true,
    notes:
      '`createHandler` served by `toNodeHandler`, `MemoryGrantStore`, `nodeCrypto`. Opaque tokens stored as SHA-256, rotating refresh tokens with reuse detection, atomic code consumption. ID Tokens (code exchange with openid) signed ES256 by `@kraikub/jose` (jose 6, Web Crypto).',
  },
  {
    id: 'kraikub-redis',
    name: 'Kraikub + adapter-redis',
    file: 'targets/kraikub-redis.ts',
    kraikub: true,
    notes:
      'As above with `RedisGrantStore`, on a private `redis-server` started with the target (so on the same core, no persistence), or on `REDIS_URL`.',
  },
  {
    id: 'kraikub-postgres',
    name: 'Kraikub + adapter-postgres',
    file: 'targets/kraikub-postgres.ts',
    kraikub: true,
    notes:
      'As above with `PostgresGrantStore` on the PostgreSQL at `DATABASE_URL` (default the local one), in a fresh schema dropped afterwards, a pool of 20 connections. Counted by the target: 2 statements (round trips) per code exchange and per refresh; 3 rows per active grant after the exchange (the spent code, the access and the refresh token), 5 after a refresh. `BENCH_VERBOSE=1` prints its counts.',
  },
  {
    id: 'jmondi',
    name: `@jmondi/oauth2-server ${version('@jmondi/oauth2-server')}`,
    file: 'targets/jmondi.ts',
    env: { JMONDI_ACCESS_TOKEN: 'opaque' },
    kraikub: false,
    notes:
      'Like for like: in-memory repositories, opaque codes and refresh tokens (`useOpaqueAuthorizationCodes`, `useOpaqueRefreshTokens`), and opaque access tokens (its protected `encryptAccessToken` hook overridden to return the random value its repository stores: the library has no option for it).',
    unsupported: noOpenid('@jmondi/oauth2-server'),
  },
  {
    id: 'jmondi-jwt',
    name: `@jmondi/oauth2-server ${version('@jmondi/oauth2-server')}, JWT access tokens (more work)`,
    file: 'targets/jmondi.ts',
    kraikub: false,
    notes:
      'As configured by default: the same, but its access token is an HS256 JWT signed on every request (work Kraikub does not do for opaque tokens).',
    unsupported: noOpenid('@jmondi/oauth2-server'),
  },
  {
    id: 'node-oauth',
    name: `@node-oauth/oauth2-server ${version('@node-oauth/oauth2-server')}`,
    file: 'targets/node-oauth.ts',
    kraikub: false,
    notes: 'In-memory model as in its docs; opaque tokens; `alwaysIssueNewRefreshToken` (rotation).',
    unsupported: noOpenid('@node-oauth/oauth2-server'),
  },
  // Node 22: the newest oidc-provider needs it, so it runs there beside the floor and Kraikub on Node 22.
  {
    id: 'floor-node22',
    name: 'floor (bare node:http), Node 22',
    file: 'targets/floor.ts',
    runtime: '22',
    kraikub: false,
    notes: 'The floor above, on Node 22 (the `node` package 22.23.3): the floor of every Node 22 row.',
    unsupported: floorNoOpenid,
  },
  {
    id: 'kraikub-memory-node22',
    name: 'Kraikub + adapter-memory, Node 22',
    file: 'targets/kraikub-memory.ts',
    runtime: '22',
    kraikub: true,
    notes: 'Kraikub + adapter-memory as above, on Node 22: the same library beside oidc-provider 9.',
  },
  {
    id: 'oidc-provider',
    name: `oidc-provider ${version('oidc-provider-9')}, Node 22`,
    file: 'targets/oidc-provider-9.ts',
    runtime: '22',
    kraikub: false,
    idTokenWithoutAtHash:
      "oidc-provider 9 puts `at_hash` only in ID Tokens from the authorization endpoint, no longer in those from the token endpoint (OpenID Connect Core makes it optional there): its ID Token has one SHA-256 less to compute than Kraikub's and 8.x's.",
    notes:
      'Its newest release, which requires Node 22. Its own MemoryAdapter class given, as its `adapter`, its own LRU large enough to hold the pre-minted codes (the built-in default keeps 1,000 entries), opaque tokens, `issueRefreshToken` true, `rotateRefreshToken` true, an OAuth 2.0 scope only (no `openid`, so no ID token) except for the code exchange with openid, whose ID Token it signs ES256 (its own jose 6, Web Crypto), without `at_hash` (9.x puts none in ID Tokens from the token endpoint).',
  },
];

/** Not run by default: `--targets=floor-spin` (with SPIN_US=n) to calibrate what extra work per request costs. */
export const extraTargets: readonly TargetSpec[] = [
  {
    id: 'oidc-provider-8',
    name: `oidc-provider ${version('oidc-provider')}`,
    file: 'targets/oidc-provider.ts',
    kraikub: false,
    notes:
      "The newest release that supports Node 20 (9.x requires Node 22), on the runner's Node. Its built-in MemoryAdapter (given, through its `setStorage` hook, an LRU large enough to hold the pre-minted codes), opaque tokens, `issueRefreshToken` true, `rotateRefreshToken` true, an OAuth 2.0 scope only (no `openid`, so no ID token) except for the code exchange with openid, whose ID Token it signs ES256 (its own jose 5, node:crypto).",
  },
  {
    id: 'kraikub-bridge',
    name: "floor's work behind Kraikub's HTTP layer",
    file: 'targets/kraikub-bridge.ts',
    kraikub: false,
    notes:
      "`createHandler` served by `toNodeHandler` as for `kraikub-memory`, with the token use case answered by the floor's own work (a `Map`, two pooled random tokens): beside the floor and `kraikub-memory`, it splits Kraikub's CPU per request into its HTTP layer and its core. Not a provider.",
    unsupported: floorNoOpenid,
  },
  {
    id: 'floor-spin',
    name: `floor + ${process.env.SPIN_US ?? 0} µs of busy work`,
    file: 'targets/floor-spin.ts',
    kraikub: false,
    notes: 'The floor with SPIN_US microseconds of busy work per request: a calibration, not a competitor.',
    unsupported: floorNoOpenid,
  },
  // The floor plus, cumulatively, the work DESIGN.md requires per request (targets/floor-ladder.ts).
  ...(['0', '1', '2', '3'] as const).map((level) => ({
    id: `floor-ladder-${level}`,
    name: `floor ladder ${level}: ${['async handler', '+ SHA-256 at rest', '+ records', '+ promise ports'][Number(level)]}`,
    file: 'targets/floor-ladder.ts',
    env: { LADDER: level },
    kraikub: false,
    notes:
      "The floor's work and storage in an async handler, random tokens pooled, plus cumulatively what DESIGN.md requires per request: 1 SHA-256 at rest (`crypto.hash`), 2 the records `MemoryGrantStore` keeps (the code consumed as a tombstone, access and refresh token records, the rotation mark, the grant tombstone read on every lookup), 3 promise-returning ports. A measurement, not a competitor.",
    unsupported: floorNoOpenid,
  })),
];
