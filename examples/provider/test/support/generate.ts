/**
 * Request generators: each fuzz request is bytes built here, mixing valid
 * parts (real client credentials, real interaction ids, cookies, CSRF
 * tokens, codes and tokens from the valid flows) with hostile ones (request
 * lines, Host headers, other headers, bodies and framing).
 *
 * Every request says whether it is malformed at the HTTP framing level
 * (`framing`): only then may Node's own parser answer it, or close the
 * connection without any response.
 */
import type { Rng } from './rng.ts';

export const demo = {
  clientId: 'kraikub-demo',
  secret: 'kraikub-demo-secret',
  redirectUri: 'http://localhost:4000/callback',
  username: 'alice',
  password: 'wonderland',
} as const;

export const validBasic = `Basic ${Buffer.from(`${demo.clientId}:${demo.secret}`).toString('base64')}`;

/** Values the valid flows produced, for the generators to reuse (some still live, some spent). */
export class Pool {
  readonly interactions: string[] = [];
  readonly sessions: { readonly cookie: string; readonly csrf: string }[] = [];
  readonly accessTokens: string[] = [];
  readonly refreshTokens: string[] = [];
  readonly codes: string[] = [];

  add<T>(list: T[], value: T | undefined): void {
    if (value === undefined) return;
    list.push(value);
    if (list.length > 24) list.shift();
  }
}

export interface GenContext {
  readonly port: number;
  readonly pool: Pool;
}

/** One generated request. */
export interface FuzzRequest {
  readonly index: number;
  /** The route it aims at (`POST /token`, `GET /login`, ...). */
  readonly route: string;
  /** The generator's choices, for the report. */
  readonly notes: readonly string[];
  /** All the bytes sent. */
  readonly bytes: Buffer;
  /** The bytes in the writes they are sent in. */
  readonly writes: readonly Buffer[];
  readonly halfClose: boolean;
  /** Why the request is malformed at the HTTP framing level, or undefined when it is well-formed. */
  readonly framing: string | undefined;
  /** The first request is HEAD (its response has no body). */
  readonly head: boolean;
  readonly localAddress: string;
}

type Pairs = [string, string][];

/** Methods Node's HTTP parser (llhttp) knows; any other is rejected before the app sees it. */
const knownMethods = new Set([
  'DELETE',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'OPTIONS',
  'TRACE',
  'COPY',
  'LOCK',
  'MKCOL',
  'MOVE',
  'PROPFIND',
  'PROPPATCH',
  'SEARCH',
  'UNLOCK',
  'BIND',
  'REBIND',
  'UNBIND',
  'ACL',
  'REPORT',
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'M-SEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'PATCH',
  'PURGE',
  'MKCALENDAR',
  'LINK',
  'UNLINK',
  'QUERY',
]);

const otherMethods = [
  'GET',
  'POST',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'PATCH',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'SEARCH',
  'M-SEARCH',
  'PURGE',
  'QUERY',
  'GETT',
  'FOO',
  'PRI',
  'X'.repeat(40),
  'GE\u0000T',
  'G\u00c9T',
  '',
];

const junkStrings = [
  '',
  ' ',
  '%',
  '%%',
  '\u0000',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '{"a":1}',
  '[]',
  '-1',
  '1e309',
  'NaN',
  '\r\nSet-Cookie: x=y',
  'é😀\u202e\ufeff',
  '\ud800',
  'a b+c',
  'x'.repeat(300),
];

export function junk(rng: Rng): string {
  return rng.weighted<() => string>([
    [5, () => rng.pick(junkStrings)],
    [4, () => rng.string(rng.int(1, 40))],
    [1, () => rng.string(rng.int(1000, 6000))],
    [1, () => String.fromCodePoint(...Array.from({ length: rng.int(1, 12) }, () => rng.int(0x80, 0x2fff)))],
  ])();
}

/** An item of `list` (or `fallback` when it is empty), with one draw either way. */
function pickOr<T, F>(rng: Rng, list: readonly T[], fallback: F): T | F {
  const roll = rng.float();
  return list.length === 0 ? fallback : (list[Math.floor(roll * list.length)] as T);
}

/** A value from the pool (maybe spent) or junk. */
function fromPool(rng: Rng, list: readonly string[], pJunk = 0.3): string {
  // The same draws whatever the pool holds, so a seed replays the same choices.
  const useJunk = rng.chance(pJunk);
  const value = pickOr(rng, list, undefined);
  if (value === undefined || useJunk) return junk(rng);
  return rng.chance(0.08) ? `${value}${rng.pick(['x', '=', ' ', '%00', '.'])}` : value;
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

function basicHeader(rng: Rng): string {
  if (rng.chance(0.6)) return validBasic;
  return rng.pick([
    'Basic',
    'Basic ',
    'Basic !!!not-base64!!!',
    `Basic ${b64('nocolon')}`,
    `Basic ${b64(`${demo.clientId}:wrong`)}`,
    `Basic ${b64(':')}`,
    `Basic ${b64('%ZZ:%')}`,
    `Basic ${b64('kraikub%2Ddemo:kraikub%2Ddemo%2Dsecret')}`,
    `basic ${b64(`${demo.clientId}:${demo.secret}`)}`,
    `Basic  ${b64(`${demo.clientId}:${demo.secret}`)}`,
    `${validBasic}==`,
    `${validBasic.slice(0, -2)}`,
    `Basic ${b64('ünïcødé:😀')}`,
    `Basic ${b64(Buffer.from([0xff, 0xfe, 0x3a, 0xc3]))}`,
    `Basic ${'A'.repeat(5000)}`,
    `Basic ${b64('unknown-client:secret')}`,
    `Basic ${b64(`${demo.clientId}:${demo.secret}:extra`)}`,
    'Digest username="x"',
    'Bearer abc',
    'Basic =',
    'Basic ====',
  ]);
}

function bearerHeader(rng: Rng, pool: Pool): string {
  const real = rng.chance(0.55);
  const token = pickOr(rng, pool.accessTokens, 'token');
  if (real && pool.accessTokens.length > 0) return `Bearer ${token}`;
  return rng.pick([
    'Bearer',
    'Bearer ',
    'Bearer a b',
    `bearer ${token}`,
    `Bearer ${token}x`,
    `Bearer  ${token}`,
    `Bearer ${'x'.repeat(5000)}`,
    'Bearer é',
    'Bearer =',
    'Bearer ..',
    'Bearer null',
    `Bearer ${pickOr(rng, pool.refreshTokens, 'refresh')}`,
    validBasic,
    `Bearer ${token}, Bearer ${token}`,
    `Bearer ${junk(rng)}`,
  ]);
}

function cookieHeader(rng: Rng, pool: Pool): string | undefined {
  const session = pickOr(rng, pool.sessions, undefined);
  const useReal = rng.chance(0.65);
  if (session !== undefined && useReal) return session.cookie;
  if (rng.chance(0.4)) return undefined;
  const real = session?.cookie ?? 'kraikub_session=abc';
  return rng.pick([
    'kraikub_session=',
    'kraikub_session',
    '=kraikub_session',
    `kraikub_session=junk; ${real}`,
    `${real}; kraikub_session=junk`,
    `kraikub_session=${'x'.repeat(4000)}`,
    ';;;',
    'kraikub_session="quoted"',
    'a=b; kraikub_session=é',
    `${real}x`,
    `  ${real}  `,
    `KRAIKUB_SESSION=${real.split('=')[1] ?? ''}`,
    `kraikub_session=${junk(rng)}`,
  ]);
}

function csrfOf(rng: Rng, pool: Pool, cookie: string | undefined): string {
  const session = pool.sessions.find((s) => s.cookie === cookie);
  const [matching, other] = [rng.chance(0.85), rng.chance(0.3)];
  const another = pickOr(rng, pool.sessions, undefined);
  if (session !== undefined && matching) return session.csrf;
  if (another !== undefined && other) return another.csrf;
  return junk(rng);
}

function scopeValue(rng: Rng): string {
  if (rng.chance(0.8)) {
    const chosen = rng
      .shuffle(['profile', 'email', 'offline_access'])
      .slice(0, rng.int(1, 3))
      .join(rng.chance(0.9) ? ' ' : rng.pick(['  ', '+', '\t', ',']));
    return chosen;
  }
  return rng.pick(['openid', 'admin', '', ' ', 'profile profile', junk(rng)]);
}

function authorizeParams(rng: Rng): Pairs {
  const pairs: Pairs = [];
  const put = (p: number, name: string, valid: string, hostile: () => string) => {
    if (!rng.chance(p)) return;
    pairs.push([name, rng.chance(0.85) ? valid : hostile()]);
  };
  put(0.95, 'response_type', 'code', () =>
    rng.pick(['token', 'code id_token', '', 'CODE', 'code code', junk(rng)]),
  );
  put(0.95, 'client_id', demo.clientId, () => rng.pick(['unknown', '', `${demo.clientId} `, junk(rng)]));
  put(0.9, 'redirect_uri', demo.redirectUri, () =>
    rng.pick([
      `${demo.redirectUri}/x`,
      'http://evil.example/cb',
      `${demo.redirectUri}?x=1`,
      `${demo.redirectUri}#f`,
      '',
      'javascript:alert(1)',
      'http://[::1/cb',
      'HTTP://LOCALHOST:4000/callback',
      junk(rng),
    ]),
  );
  if (rng.chance(0.9)) pairs.push(['scope', scopeValue(rng)]);
  if (rng.chance(0.8)) pairs.push(['state', rng.chance(0.8) ? rng.string(rng.int(1, 32)) : junk(rng)]);
  if (rng.chance(0.35)) {
    pairs.push(['code_challenge', rng.chance(0.7) ? rng.string(43) : junk(rng)]);
    if (rng.chance(0.8))
      pairs.push(['code_challenge_method', rng.pick(['S256', 'plain', 's256', '', junk(rng)])]);
  }
  if (rng.chance(0.15)) {
    pairs.push([
      rng.pick([
        'prompt',
        'nonce',
        'request',
        'request_uri',
        'response_mode',
        'max_age',
        'claims',
        'resource',
      ]),
      junk(rng),
    ]);
  }
  return pairs;
}

function tokenParams(rng: Rng, pool: Pool): Pairs {
  const kind = rng.weighted([
    [5, 'authorization_code'],
    [3, 'refresh_token'],
    [1, 'client_credentials'],
    [1, 'password'],
    [1, 'junk'],
  ] as const);
  const pairs: Pairs = [];
  switch (kind) {
    case 'authorization_code':
      pairs.push(['grant_type', 'authorization_code']);
      if (rng.chance(0.9)) pairs.push(['code', fromPool(rng, pool.codes)]);
      if (rng.chance(0.85)) pairs.push(['redirect_uri', rng.chance(0.85) ? demo.redirectUri : junk(rng)]);
      if (rng.chance(0.25)) pairs.push(['code_verifier', rng.chance(0.5) ? rng.string(43) : junk(rng)]);
      break;
    case 'refresh_token':
      pairs.push(['grant_type', 'refresh_token']);
      if (rng.chance(0.9)) pairs.push(['refresh_token', fromPool(rng, pool.refreshTokens)]);
      if (rng.chance(0.3)) pairs.push(['scope', scopeValue(rng)]);
      break;
    case 'client_credentials':
      pairs.push(['grant_type', 'client_credentials']);
      if (rng.chance(0.5)) pairs.push(['scope', scopeValue(rng)]);
      break;
    case 'password':
      pairs.push(['grant_type', 'password'], ['username', 'bob'], ['password', junk(rng)]);
      break;
    case 'junk':
      if (rng.chance(0.7)) pairs.push(['grant_type', junk(rng)]);
      break;
  }
  if (rng.chance(0.15)) {
    pairs.push(['client_id', rng.chance(0.7) ? demo.clientId : junk(rng)]);
    if (rng.chance(0.7)) pairs.push(['client_secret', rng.chance(0.5) ? demo.secret : junk(rng)]);
  }
  return pairs;
}

function tokenOnlyParams(rng: Rng, pool: Pool): Pairs {
  const pairs: Pairs = [];
  if (rng.chance(0.9)) {
    const list = rng.chance(0.6) ? pool.accessTokens : pool.refreshTokens;
    pairs.push(['token', fromPool(rng, list)]);
  }
  if (rng.chance(0.4)) {
    pairs.push(['token_type_hint', rng.pick(['access_token', 'refresh_token', 'id_token', junk(rng)])]);
  }
  if (rng.chance(0.1)) {
    pairs.push(['client_id', demo.clientId], ['client_secret', rng.chance(0.5) ? demo.secret : junk(rng)]);
  }
  return pairs;
}

function loginCredentials(rng: Rng): Pairs {
  // Never alice: the valid flows sign in as alice, and five failed logins (a missing or mutated
  // password counts) would lock her account. The fuzz signs in as bob, rightly or wrongly.
  return rng.weighted<() => Pairs>([
    [
      3,
      () => [
        ['username', 'bob'],
        ['password', 'builder'],
      ],
    ],
    [
      3,
      () => [
        ['username', 'bob'],
        ['password', junk(rng)],
      ],
    ],
    [
      2,
      () => [
        ['username', junk(rng)],
        ['password', junk(rng)],
      ],
    ],
    [1, () => [['username', 'bob']]],
    [1, () => []],
  ])();
}

interface Route {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly weight: number;
  /** Where the parameters go. */
  readonly carry: 'query' | 'body' | 'none';
  readonly params: (rng: Rng, ctx: GenContext, cookie: string | undefined) => Pairs;
  readonly auth: 'basic' | 'bearer' | 'cookie' | 'none';
  /** A JSON body (client registration) instead of a form. */
  readonly json?: (rng: Rng) => string;
  /** A path that varies (a client's configuration endpoint). */
  readonly pathOf?: (rng: Rng) => string;
}

/** Every byte of `text`'s UTF-8 percent-encoded (lone surrogates become U+FFFD, never a throw). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** A redirect URI for a registration: allowed, refused, or junk. */
function registrationRedirect(rng: Rng): string {
  return rng.pick([
    'http://127.0.0.1:8976/callback',
    'http://localhost:4000/callback',
    'https://app.example/cb',
    'com.example.app:/cb',
    'http://evil.example/cb',
    'javascript:alert(1)',
    'https://app.example/cb#frag',
    'myapp:/cb',
    junk(rng),
  ]);
}

/**
 * The body of a registration (RFC 7591): client metadata, valid or not, with
 * wrong types, deep nesting, huge values and broken JSON now and then.
 */
function registrationBody(rng: Rng): string {
  if (rng.chance(0.4)) {
    // What an MCP client sends: a public client on a loopback redirect (it registers: 201).
    return JSON.stringify({
      client_name: rng.pick(['Claude Code', 'MCP Inspector', 'kraikub-fuzz']),
      redirect_uris: [`http://127.0.0.1:${rng.int(1024, 65535)}/callback`],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...(rng.chance(0.5) ? { scope: 'mcp:tools offline_access' } : {}),
    });
  }
  const metadata: Record<string, unknown> = {};
  if (rng.chance(0.9))
    metadata.redirect_uris = Array.from({ length: rng.int(0, 3) }, () => registrationRedirect(rng));
  if (rng.chance(0.7))
    metadata.token_endpoint_auth_method = rng.pick([
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      junk(rng),
    ]);
  if (rng.chance(0.5))
    metadata.grant_types = rng.pick([
      ['authorization_code'],
      ['authorization_code', 'refresh_token'],
      ['client_credentials'],
      ['implicit'],
      [junk(rng)],
    ]);
  if (rng.chance(0.3)) metadata.response_types = rng.pick([['code'], ['token'], []]);
  if (rng.chance(0.6))
    metadata.scope = rng.pick([
      'profile',
      'mcp:tools offline_access',
      'openid profile email',
      'admin',
      junk(rng),
    ]);
  if (rng.chance(0.6))
    metadata.client_name = rng.chance(0.8) ? rng.pick(['MCP client', 'Claude', 'x']) : junk(rng);
  if (rng.chance(0.1))
    metadata.logo_uri = rng.pick(['https://app.example/logo.png', 'http://evil.example/x.png', junk(rng)]);
  if (rng.chance(0.05)) metadata.software_statement = 'eyJhbGciOiJub25lIn0.e30.';
  if (rng.chance(0.05)) metadata.jwks_uri = 'https://app.example/jwks';
  if (rng.chance(0.05)) metadata.contacts = Array.from({ length: rng.int(1, 20) }, () => junk(rng));
  if (rng.chance(0.05)) metadata.redirect_uris = rng.pick(['https://app.example/cb', 42, null, { a: 1 }]);
  const text = JSON.stringify(metadata);
  return rng.weighted<() => string>([
    [85, () => text],
    [4, () => text.slice(0, rng.int(0, text.length))],
    [3, () => JSON.stringify(rng.pick([[metadata], null, 'x', 7, true]))],
    [2, () => `${'['.repeat(5000)}${']'.repeat(5000)}`],
    [2, () => JSON.stringify({ ...metadata, client_name: 'n'.repeat(rng.int(300, 70_000)) })],
    [4, () => rng.string(rng.int(1, 200))],
  ])();
}

const routes: readonly Route[] = [
  {
    name: 'GET /authorize',
    method: 'GET',
    path: '/authorize',
    weight: 10,
    carry: 'query',
    auth: 'cookie',
    params: (rng) => authorizeParams(rng),
  },
  {
    name: 'POST /authorize',
    method: 'POST',
    path: '/authorize',
    weight: 5,
    carry: 'body',
    auth: 'cookie',
    params: (rng) => authorizeParams(rng),
  },
  {
    name: 'POST /token',
    method: 'POST',
    path: '/token',
    weight: 12,
    carry: 'body',
    auth: 'basic',
    params: (rng, ctx) => tokenParams(rng, ctx.pool),
  },
  {
    name: 'POST /revoke',
    method: 'POST',
    path: '/revoke',
    weight: 6,
    carry: 'body',
    auth: 'basic',
    params: (rng, ctx) => tokenOnlyParams(rng, ctx.pool),
  },
  {
    name: 'POST /introspect',
    method: 'POST',
    path: '/introspect',
    weight: 6,
    carry: 'body',
    auth: 'basic',
    params: (rng, ctx) => tokenOnlyParams(rng, ctx.pool),
  },
  {
    name: 'GET /.well-known/oauth-authorization-server',
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    weight: 4,
    carry: 'none',
    auth: 'none',
    params: () => [],
  },
  {
    name: 'GET /login',
    method: 'GET',
    path: '/login',
    weight: 6,
    carry: 'query',
    auth: 'cookie',
    params: (rng, ctx) => (rng.chance(0.85) ? [['interaction', fromPool(rng, ctx.pool.interactions)]] : []),
  },
  {
    name: 'POST /login',
    method: 'POST',
    path: '/login',
    weight: 7,
    carry: 'body',
    auth: 'cookie',
    params: (rng, ctx, cookie) => [
      ...(rng.chance(0.9) ? ([['csrf', csrfOf(rng, ctx.pool, cookie)]] as Pairs) : []),
      ...(rng.chance(0.85) ? ([['interaction', fromPool(rng, ctx.pool.interactions)]] as Pairs) : []),
      ...loginCredentials(rng),
    ],
  },
  {
    name: 'GET /consent',
    method: 'GET',
    path: '/consent',
    weight: 5,
    carry: 'query',
    auth: 'cookie',
    params: (rng, ctx) => (rng.chance(0.9) ? [['interaction', fromPool(rng, ctx.pool.interactions)]] : []),
  },
  {
    name: 'POST /consent',
    method: 'POST',
    path: '/consent',
    weight: 6,
    carry: 'body',
    auth: 'cookie',
    params: (rng, ctx, cookie) => [
      ...(rng.chance(0.9) ? ([['csrf', csrfOf(rng, ctx.pool, cookie)]] as Pairs) : []),
      ...(rng.chance(0.9) ? ([['interaction', fromPool(rng, ctx.pool.interactions)]] as Pairs) : []),
      ...(rng.chance(0.9)
        ? ([['decision', rng.pick(['approve', 'approve', 'deny', junk(rng)])]] as Pairs)
        : []),
    ],
  },
  {
    name: 'GET /account',
    method: 'GET',
    path: '/account',
    weight: 4,
    carry: 'none',
    auth: 'cookie',
    params: () => [],
  },
  {
    name: 'POST /account/revoke',
    method: 'POST',
    path: '/account/revoke',
    weight: 3,
    carry: 'body',
    auth: 'cookie',
    params: (rng, ctx, cookie) => [
      ['csrf', csrfOf(rng, ctx.pool, cookie)],
      ['client_id', rng.chance(0.6) ? demo.clientId : junk(rng)],
    ],
  },
  {
    name: 'POST /logout',
    method: 'POST',
    path: '/logout',
    weight: 2,
    carry: 'body',
    auth: 'cookie',
    params: (rng, ctx, cookie) => (rng.chance(0.9) ? [['csrf', csrfOf(rng, ctx.pool, cookie)]] : []),
  },
  {
    name: 'GET /api/me',
    method: 'GET',
    path: '/api/me',
    weight: 6,
    carry: 'none',
    auth: 'bearer',
    params: () => [],
  },
  {
    name: 'POST /register',
    method: 'POST',
    path: '/register',
    weight: 4,
    carry: 'body',
    // Open registration: no token (the 5% of stray Authorization headers still come).
    auth: 'none',
    params: () => [],
    json: registrationBody,
  },
  {
    name: 'GET /register/{client_id}',
    method: 'GET',
    path: '/register/kbc_x',
    weight: 2,
    carry: 'none',
    auth: 'bearer',
    params: () => [],
    pathOf: (rng) =>
      `/register/${rng.pick(['kbc_AAAAAAAAAAAAAAAAAAAAAA', 'kraikub-demo', '%2e%2e', 'a%2Fb', '%ZZ', percentEncoded(junk(rng))])}`,
  },
  { name: 'GET /', method: 'GET', path: '/', weight: 3, carry: 'none', auth: 'none', params: () => [] },
  {
    name: 'GET (other path)',
    method: 'GET',
    path: '/nope',
    weight: 3,
    carry: 'query',
    auth: 'none',
    params: (rng) => (rng.chance(0.5) ? [[junk(rng), junk(rng)]] : []),
  },
];

/** Every route the generator aims at (for the coverage check). */
export const routeNames: readonly string[] = routes.map((route) => route.name);

const otherPaths = [
  '/nope',
  '/favicon.ico',
  '/authorize/',
  '/token/',
  '/TOKEN',
  '/.well-known/oauth-authorization-server/x',
  '/.well-known/openid-configuration',
  '/account/',
  '/api/me/x',
  '/login.php',
  '/index.html',
];

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Form (or query) encoding, sometimes form-style `+` for spaces. */
function encodePairs(rng: Rng, pairs: Pairs): string {
  const plus = rng.chance(0.3);
  const enc = (text: string) => {
    // A lone surrogate cannot be encoded: send U+FFFD instead (as a browser would).
    const out = encodeURIComponent(text.replace(loneSurrogate, '\ufffd'));
    return plus ? out.replace(/%20/g, '+') : out;
  };
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

/** Percent-encoding errors and invalid UTF-8, in the encoded text. */
function corruptEncoding(rng: Rng, encoded: Buffer, notes: string[]): Buffer {
  const at = rng.int(0, encoded.length);
  const insert = rng.pick<[string, Buffer]>([
    ['bare %', Buffer.from('%')],
    ['%G1', Buffer.from('%G1')],
    ['truncated %E0%A4', Buffer.from('%E0%A4')],
    ['%C3 alone', Buffer.from('%C3')],
    ['%FF%FE', Buffer.from('%FF%FE')],
    ['%00', Buffer.from('%00')],
    ['&&&', Buffer.from('&&&')],
    ['==', Buffer.from('==')],
    [';', Buffer.from(';')],
    ['raw 0xFF 0xFE', Buffer.from([0xff, 0xfe])],
    ['raw 0xC3', Buffer.from([0xc3])],
    ['raw NUL', Buffer.from([0x00])],
    ['overlong UTF-8', Buffer.from([0xc0, 0xaf])],
  ]);
  notes.push(`encoding:${insert[0]}`);
  return Buffer.concat([encoded.subarray(0, at), insert[1], encoded.subarray(at)]);
}

/** Whether bytes hold anything llhttp refuses in a request target (controls, space, non-ASCII). */
const badTargetBytes = (bytes: Buffer) => bytes.some((b) => b <= 0x20 || b >= 0x7f);
/** Whether a header value holds a control byte llhttp refuses (non-ASCII counts too: obs-text is lenient-only). */
const badValueBytes = (bytes: Buffer) =>
  bytes.some((b) => (b < 0x20 && b !== 0x09) || b === 0x7f || b >= 0x80);

interface Framed {
  readonly headers: string[];
  readonly payload: Buffer;
  readonly framing?: string;
  readonly note: string;
}

/** Body framing: Content-Length (right or wrong), chunked (valid or not), both, neither. */
function frame(rng: Rng, body: Buffer | undefined): Framed {
  if (body === undefined) {
    return rng.chance(0.95)
      ? { headers: [], payload: Buffer.alloc(0), note: 'no body' }
      : { headers: ['Content-Length: 0'], payload: Buffer.alloc(0), note: 'cl=0' };
  }
  const n = body.length;
  const kind = rng.weighted([
    [78, 'cl'],
    [7, 'chunked'],
    [3, 'chunked-bad'],
    [2, 'cl-short'],
    [3, 'cl-long'],
    [2, 'cl-none'],
    [2, 'te-cl'],
    [2, 'cl-bad'],
    [1, 'cl-dup'],
    [1, 'te-weird'],
  ] as const);
  const chunked = (extensions: boolean) => {
    const parts: Buffer[] = [];
    let at = 0;
    while (at < n) {
      const size = Math.min(n - at, rng.int(1, Math.max(1, Math.ceil(n / rng.int(1, 4)))));
      const hex = rng.chance(0.2) ? size.toString(16).toUpperCase() : size.toString(16);
      parts.push(Buffer.from(`${hex}${extensions && rng.chance(0.3) ? ';ext=1' : ''}\r\n`));
      parts.push(body.subarray(at, at + size), Buffer.from('\r\n'));
      at += size;
    }
    return parts;
  };
  switch (kind) {
    case 'cl':
      return { headers: [`Content-Length: ${n}`], payload: body, note: 'cl' };
    case 'chunked': {
      const trailer = rng.chance(0.2) ? 'X-Trailer: 1\r\n' : '';
      return {
        headers: ['Transfer-Encoding: chunked'],
        payload: Buffer.concat([...chunked(true), Buffer.from(`0\r\n${trailer}\r\n`)]),
        note: 'chunked',
      };
    }
    case 'chunked-bad': {
      const [what, payload] = rng.pick<[string, () => Buffer]>([
        ['bad hex size', () => Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')])],
        [
          'size > data',
          () => Buffer.concat([Buffer.from(`${(n + 50).toString(16)}\r\n`), body, Buffer.from('\r\n')]),
        ],
        [
          'no CRLF after data',
          () => Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), body, Buffer.from('0\r\n\r\n')]),
        ],
        ['no last chunk', () => Buffer.concat(chunked(false))],
        ['negative size', () => Buffer.concat([Buffer.from('-1\r\n'), body, Buffer.from('\r\n0\r\n\r\n')])],
        [
          'huge size',
          () => Buffer.concat([Buffer.from('ffffffffffffffffff\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]),
        ],
        ['LF only', () => Buffer.concat([Buffer.from(`${n.toString(16)}\n`), body, Buffer.from('\n0\n\n')])],
        [
          'NUL in extension',
          () =>
            Buffer.concat([
              Buffer.from(`${n.toString(16)};a=\u0000\r\n`),
              body,
              Buffer.from('\r\n0\r\n\r\n'),
            ]),
        ],
      ]);
      return {
        headers: ['Transfer-Encoding: chunked'],
        payload: payload(),
        framing: `chunked: ${what}`,
        note: `chunked-bad:${what}`,
      };
    }
    case 'cl-short': {
      const declared = rng.int(0, Math.max(0, n - 1));
      return {
        headers: [`Content-Length: ${declared}`],
        payload: body,
        framing: 'Content-Length shorter than the body (the rest is a pipelined request)',
        note: `cl-short:${declared}/${n}`,
      };
    }
    case 'cl-long': {
      const declared = n + rng.int(1, 5000);
      return {
        headers: [`Content-Length: ${declared}`],
        payload: body,
        framing: 'Content-Length longer than the body, then EOF',
        note: `cl-long:${declared}/${n}`,
      };
    }
    case 'cl-none':
      return {
        headers: [],
        payload: body,
        framing: 'a body without Content-Length (read as a pipelined request)',
        note: 'cl-none',
      };
    case 'te-cl':
      return {
        headers: rng.shuffle([
          'Transfer-Encoding: chunked',
          `Content-Length: ${rng.chance(0.5) ? n : n + 3}`,
        ]),
        payload: Buffer.concat([...chunked(false), Buffer.from('0\r\n\r\n')]),
        framing: 'both Transfer-Encoding and Content-Length',
        note: 'te+cl',
      };
    case 'cl-bad': {
      const value = rng.pick([
        '-1',
        'abc',
        '1e3',
        `+${n}`,
        ` ${n} `,
        '99999999999999999999',
        '0x10',
        `${n}, ${n}`,
        `${n},${n + 1}`,
        '',
      ]);
      return {
        headers: [`Content-Length: ${value}`],
        payload: body,
        framing: `bad Content-Length ${JSON.stringify(value)}`,
        note: `cl-bad:${value}`,
      };
    }
    case 'cl-dup': {
      const second = rng.chance(0.5) ? n : n + 1;
      return {
        headers: [`Content-Length: ${n}`, `Content-Length: ${second}`],
        payload: body,
        framing: 'duplicate Content-Length',
        note: `cl-dup:${n},${second}`,
      };
    }
    case 'te-weird': {
      const value = rng.pick([
        'gzip',
        'chunked, gzip',
        'gzip, chunked',
        'xchunked',
        'chunked\u000b',
        'identity',
        'chunked, chunked',
      ]);
      return {
        headers: [`Transfer-Encoding: ${value}`],
        payload: body,
        framing: `Transfer-Encoding ${JSON.stringify(value)}`,
        note: `te:${value}`,
      };
    }
  }
}

function hostileHost(rng: Rng, port: number): string {
  return rng.pick([
    '[::1',
    'a b',
    'localhost:99999',
    'user@host',
    `user:pw@127.0.0.1:${port}`,
    '',
    '[::1]',
    `[::1]:${port}`,
    'bücher.example',
    'xn--bcher-kva.example',
    'localhost',
    'evil.example',
    '127.0.0.1:0',
    '127.0.0.1:-1',
    ':',
    ':80',
    'host:80:80',
    '%00',
    'h'.repeat(300),
    '[',
    ']',
    '[fe80::1%25eth0]',
    '0x7f.1',
    'host/path',
    'host?x',
    'host#x',
    'http://127.0.0.1',
    '.',
    '😀',
    `127.0.0.1:${port}, evil.example`,
  ]);
}

function hostileTarget(
  rng: Rng,
  path: string,
  query: string,
  port: number,
): { target: string; note: string } {
  const q = query === '' ? '' : `?${query}`;
  const [note, target] = rng.pick<[string, string]>([
    ['asterisk', '*'],
    ['absolute', `http://127.0.0.1:${port}${path}${q}`],
    ['absolute other host', `http://evil.example${path}${q}`],
    ['absolute https', `https://127.0.0.1${path}${q}`],
    ['absolute bad host', `http://[::1${path}${q}`],
    ['absolute userinfo', `http://user:pw@127.0.0.1:${port}${path}${q}`],
    ['absolute upper scheme', `HTTP://127.0.0.1:${port}${path}${q}`],
    ['absolute bad port', `http://127.0.0.1:99999${path}${q}`],
    ['absolute empty host', `http:///${path}`],
    ['absolute ftp', `ftp://x${path}`],
    ['authority', `127.0.0.1:${port}`],
    ['authority other', 'evil.example:443'],
    ['authority ipv6', '[::1]:80'],
    ['//', '//'],
    ['//host/path', `//evil.example${path}${q}`],
    ['//path', `/${path}${q}`],
    ['/%', '/%'],
    ['/%zz', '/%zz'],
    ['/..%2f', `/..%2f..%2fetc%2fpasswd`],
    ['/%2e%2e', `/%2e%2e${path}`],
    ['encoded NUL', `${path}%00${q}`],
    ['encoded NUL in query', `${path}?x=%00&${query}`],
    ['backslash', `/\\${path}`],
    ['trailing slash', `${path}/${q}`],
    ['dot segment', `/.${path}${q}`],
    ['dot-dot segment', `/x/..${path}${q}`],
    ['semicolon', `${path};x=1${q}`],
    ['fragment', `${path}${q}#frag`],
    ['upper case', `${path.toUpperCase()}${q}`],
    ['bare ? and %', `${path}?%`],
    ['long query', `${path}?${'a'.repeat(rng.int(1000, 8000))}`],
    ['long path', `/${'p'.repeat(rng.int(1000, 20000))}`],
    ['no slash', path.slice(1) || 'x'],
    ['only query', `?${query}`],
    ['scheme only', 'http:'],
    ['mailto', 'mailto:x@y'],
    ['%2F path', path.replace(/\//g, '%2F')],
    ['repeated ?', `${path}??${query}`],
  ]);
  return { target, note: `target:${note}` };
}

const extraHeaders = (rng: Rng): string =>
  rng.pick([
    'Accept: text/html',
    'Accept: application/json',
    'Accept: */*',
    'Origin: http://evil.example',
    'Origin: null',
    'Referer: http://evil.example/',
    'User-Agent: fuzz/1.0 é😀',
    'X-Forwarded-For: 1.2.3.4, 5.6.7.8',
    'X-Forwarded-Host: evil.example',
    'X-Forwarded-Proto: https',
    'x-kraikub-client-ip: 6.6.6.6',
    'Expect: 100-continue',
    'Expect: something-else',
    'Connection: close',
    'Connection: keep-alive',
    'Connection: close, close',
    'Content-Encoding: gzip',
    'Range: bytes=0-10',
    'If-None-Match: "x"',
    'Accept-Encoding: gzip, br',
    'Pragma: no-cache',
    'TE: trailers',
    'Max-Forwards: 0',
    'Cache-Control: no-cache',
    'Accept-Language: *',
    'Forwarded: for=1.2.3.4;host=evil.example;proto=https',
    'Content-Type: application/json',
    'Authorization: Basic',
    'Cookie: kraikub_session=junk',
  ]);

const formType = 'application/x-www-form-urlencoded';

function contentTypeValue(rng: Rng): string | undefined {
  if (rng.chance(0.85)) return formType;
  return rng.pick([
    `${formType}; charset=utf-8`,
    `${formType}; charset=iso-8859-1`,
    formType.toUpperCase(),
    `${formType};`,
    `${formType}X`,
    'application/json',
    'multipart/form-data; boundary=x',
    'text/plain',
    '',
    ` ${formType}`,
    '*/*',
    `${formType}, application/json`,
    undefined,
  ]);
}

/** Builds one fuzz request. */
export function generateRequest(rng: Rng, ctx: GenContext, index: number): FuzzRequest {
  const route = rng.weighted(routes.map((r) => [r.weight, r] as const));
  const notes: string[] = [];
  const framings: string[] = [];
  const port = ctx.port;
  const validHost = `127.0.0.1:${port}`;

  // --- auth material first (CSRF tokens follow the cookie) ---
  const cookie = route.auth === 'cookie' || rng.chance(0.05) ? cookieHeader(rng, ctx.pool) : undefined;
  let params = route.params(rng, ctx, cookie);

  // --- parameter-level mutations ---
  if (params.length > 0 && rng.chance(0.12)) {
    const [k, v] = rng.pick(params);
    params = rng.shuffle([...params, [k, rng.chance(0.5) ? v : junk(rng)]]);
    notes.push(`repeated ${k}`);
  }
  if (params.length > 0 && rng.chance(0.1)) {
    const i = rng.int(0, params.length - 1);
    const [k] = params[i] as [string, string];
    params[i] = [k, junk(rng)];
    notes.push(`junk ${k}`);
  }
  if (rng.chance(0.05)) {
    params.push([junk(rng), junk(rng)]);
    notes.push('unknown param');
  }

  // --- method ---
  let method = route.method;
  if (route.path === '/authorize' && route.method === 'GET' && rng.chance(0.05)) method = 'HEAD';
  if (rng.chance(0.1)) {
    method = rng.chance(0.15) ? route.method.toLowerCase() : rng.pick(otherMethods);
    notes.push(`method:${method}`);
  }
  const methodBytes = Buffer.from(method, 'utf8');
  if (!knownMethods.has(method)) framings.push(`method ${JSON.stringify(method)} unknown to Node's parser`);
  if (method === 'CONNECT') framings.push("CONNECT: Node hands the socket to 'connect', not to the app");

  // --- query / body ---
  let encoded: Buffer = Buffer.from(encodePairs(rng, params), 'utf8');
  if (encoded.length > 0 && rng.chance(0.1)) encoded = corruptEncoding(rng, encoded, notes);
  let query: Buffer = Buffer.alloc(0);
  let body: Buffer | undefined;
  if (route.carry === 'query') query = encoded;
  else if (route.carry === 'body') body = encoded;

  if (route.json !== undefined) {
    body = Buffer.from(route.json(rng), 'utf8');
  } else if (route.carry === 'body' || rng.chance(0.05)) {
    const base = body ?? encoded;
    body = rng.weighted<() => Buffer>([
      [80, () => base],
      [
        4,
        () => {
          notes.push('body:json');
          return Buffer.from(JSON.stringify(Object.fromEntries(params)));
        },
      ],
      [
        3,
        () => {
          notes.push('body:60KB padding');
          return Buffer.concat([base, Buffer.from(`&pad=${'a'.repeat(Math.max(0, 60_000 - base.length))}`)]);
        },
      ],
      [
        1,
        () => {
          notes.push('body:70KB (over the 64 KiB limit)');
          return Buffer.concat([base, Buffer.from(`&pad=${'b'.repeat(70_000)}`)]);
        },
      ],
      [
        3,
        () => {
          notes.push('body:empty');
          return Buffer.alloc(0);
        },
      ],
      [
        2,
        () => {
          notes.push('body:binary');
          return rng.bytes(rng.int(1, 300));
        },
      ],
      [
        2,
        () => {
          notes.push('body:repeated params');
          return Buffer.from(
            Array.from({ length: rng.int(50, 500) }, () => encodePairs(rng, params)).join('&'),
          );
        },
      ],
    ])();
  }

  // --- request target ---
  const path = route.name === 'GET (other path)' ? rng.pick(otherPaths) : (route.pathOf?.(rng) ?? route.path);
  let target: Buffer = Buffer.concat([
    Buffer.from(path),
    query.length > 0 ? Buffer.from('?') : Buffer.alloc(0),
    query,
  ]);
  if (rng.chance(0.14)) {
    const hostile = hostileTarget(rng, path, query.toString('latin1'), port);
    target = Buffer.from(hostile.target, 'latin1');
    notes.push(hostile.note);
    if (hostile.note === 'target:authority' || hostile.note.startsWith('target:authority')) {
      framings.push('authority-form target outside CONNECT');
    }
  } else if (rng.chance(0.02)) {
    target = Buffer.concat([target, Buffer.from('/é😀', 'utf8')]);
    notes.push('target:raw non-ASCII');
  }
  if (badTargetBytes(target)) framings.push('raw control, space or non-ASCII bytes in the request target');
  const targetText = target.toString('latin1');
  if (
    targetText !== '' &&
    !targetText.startsWith('/') &&
    targetText !== '*' &&
    !/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(targetText) &&
    !framings.some((f) => f.startsWith('authority-form'))
  ) {
    framings.push('a request target in none of the forms Node accepts (origin, absolute, asterisk)');
  }
  if (target.length === 0) framings.push('empty request target');

  // --- version ---
  let version = 'HTTP/1.1';
  if (rng.chance(0.06)) version = 'HTTP/1.0';
  else if (rng.chance(0.04)) {
    version = rng.pick([
      'HTTP/2.0',
      'HTTP/1.2',
      'HTTP/0.9',
      'HTTP/11',
      'HTTPS/1.1',
      'http/1.1',
      'HTTP/1.1 x',
      'HTTP/9.9',
      '',
    ]);
    notes.push(`version:${JSON.stringify(version)}`);
    framings.push(`bogus HTTP version ${JSON.stringify(version)}`);
  }
  let requestLine: Buffer = Buffer.concat([
    methodBytes,
    Buffer.from(' '),
    target,
    Buffer.from(version === '' ? '' : ` ${version}`),
  ]);
  if (rng.chance(0.015)) {
    requestLine = Buffer.concat([methodBytes, Buffer.from('  '), target, Buffer.from(`\t${version}`)]);
    notes.push('request line: odd whitespace');
    framings.push('odd whitespace in the request line');
  }

  // --- headers ---
  const headers: Buffer[] = [];
  const add = (line: string | Buffer) =>
    headers.push(typeof line === 'string' ? Buffer.from(line, 'utf8') : line);
  const hostMode = rng.weighted([
    [86, 'valid'],
    [8, 'hostile'],
    [2, 'missing'],
    [3, 'duplicated'],
    [1, 'ipv6'],
  ] as const);
  if (hostMode === 'valid') add(`Host: ${validHost}`);
  else if (hostMode === 'ipv6') {
    add(`Host: [::1]:${port}`);
    notes.push('host:[::1]');
  } else if (hostMode === 'hostile') {
    const host = hostileHost(rng, port);
    add(`Host: ${host}`);
    notes.push(`host:${JSON.stringify(host)}`);
  } else if (hostMode === 'missing') {
    notes.push('host:missing');
    if (version !== 'HTTP/1.0') framings.push('HTTP/1.1 without Host');
  } else {
    add(`Host: ${validHost}`);
    add(`Host: ${rng.chance(0.5) ? validHost : hostileHost(rng, port)}`);
    notes.push('host:duplicated');
    framings.push('duplicate Host');
  }

  if (route.auth === 'basic' && rng.chance(0.85)) add(`Authorization: ${basicHeader(rng)}`);
  if (route.auth === 'bearer' && rng.chance(0.9)) add(`Authorization: ${bearerHeader(rng, ctx.pool)}`);
  if (cookie !== undefined) add(`Cookie: ${cookie}`);

  const hasBody = body !== undefined;
  const contentType =
    hasBody && route.json !== undefined && rng.chance(0.9)
      ? 'application/json'
      : hasBody
        ? contentTypeValue(rng)
        : rng.chance(0.05)
          ? formType
          : undefined;
  if (contentType !== undefined) add(`Content-Type: ${contentType}`);
  if (contentType !== formType && contentType !== undefined)
    notes.push(`content-type:${JSON.stringify(contentType)}`);

  if (rng.chance(0.08)) {
    const [what, line] = rng.pick<[string, string]>([
      ['Content-Type', `Content-Type: ${rng.pick(['application/json', formType, 'text/plain'])}`],
      ['Authorization', `Authorization: ${rng.chance(0.5) ? validBasic : bearerHeader(rng, ctx.pool)}`],
      ['Cookie', `Cookie: ${cookieHeader(rng, ctx.pool) ?? 'a=b'}`],
    ]);
    add(line);
    notes.push(`duplicate ${what}`);
  }
  for (let i = rng.chance(0.2) ? rng.int(1, 3) : 0; i > 0; i--) add(extraHeaders(rng));
  if (rng.chance(0.03)) {
    add(`X-Pad: ${'a'.repeat(rng.int(4_000, 20_000))}`);
    notes.push('huge header');
  }
  if (rng.chance(0.01)) {
    for (let i = 0; i < 200; i++) add(`X-H${i}: ${i}`);
    notes.push('200 headers');
  }
  if (rng.chance(0.02)) {
    add('X-Folded: first');
    add('  continued');
    notes.push('obs-fold');
    framings.push('obs-fold');
  }
  if (rng.chance(0.02)) {
    const [what, line] = rng.pick<[string, Buffer]>([
      ['space in name', Buffer.from('Bad Header: x')],
      ['no colon', Buffer.from('NoColonHere')],
      ['empty name', Buffer.from(': empty-name')],
      ['control byte', Buffer.from('X-Ctl: a\u0001b')],
      ['NUL', Buffer.from('X-Nul: a\u0000b')],
      ['tab before colon', Buffer.from('X-Tab\t: x')],
      ['non-ASCII name', Buffer.from('X-É: x', 'utf8')],
    ]);
    add(line);
    notes.push(`bad header:${what}`);
    framings.push(`bad header syntax (${what})`);
  }
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon > 0 && badValueBytes(line.subarray(colon + 1))) {
      framings.push('control or non-ASCII bytes in a header value');
      break;
    }
  }

  // --- framing ---
  const framed = frame(rng, body);
  for (const line of framed.headers) add(line);
  if (framed.note !== 'cl' && framed.note !== 'no body') notes.push(`framing:${framed.note}`);
  if (framed.framing !== undefined) framings.push(framed.framing);

  let eol: Buffer = Buffer.from('\r\n');
  if (rng.chance(0.01)) {
    eol = Buffer.from('\n');
    notes.push('LF line endings');
    framings.push('bare LF line endings');
  }
  const headBytes = Buffer.concat([requestLine, eol, ...headers.flatMap((h) => [h, eol]), eol]);
  if (headBytes.length > 16_000) framings.push('request line and headers over 16 KB');
  const bytes = Buffer.concat([headBytes, framed.payload]);

  // --- how it is sent ---
  const framing = framings.length > 0 ? framings.join('; ') : undefined;
  // Malformed requests end with FIN so the server sees EOF (and cannot wait for more). A few
  // well-formed ones do too: a client may half-close after its request and still expect the answer.
  const halfClose = framing !== undefined || rng.chance(0.04);
  let writes: Buffer[] = [bytes];
  if (rng.chance(0.1) && bytes.length > 4) {
    const cuts = rng
      .shuffle(Array.from({ length: 3 }, () => rng.int(1, bytes.length - 1)))
      .slice(0, rng.int(1, 3))
      .sort((a, b) => a - b);
    writes = [];
    let last = 0;
    for (const cut of cuts) {
      if (cut > last) writes.push(bytes.subarray(last, cut));
      last = Math.max(last, cut);
    }
    writes.push(bytes.subarray(last));
    notes.push(`split in ${writes.length} writes`);
  }
  if (halfClose && framing === undefined) notes.push('FIN after the request');

  return {
    index,
    route: route.name,
    notes,
    bytes,
    writes,
    halfClose,
    framing,
    head: method === 'HEAD',
    localAddress: randomLoopback(rng),
  };
}

/** A random 127.x.y.z address, so per-IP limits (failed logins, pending interactions) never add up. */
export function randomLoopback(rng: Rng): string {
  return `127.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(2, 254)}`;
}

/**
 * Fixed probes sent first in every campaign, whatever the seed: the inputs
 * known to have broken the provider, and one of each framing trick.
 */
export function corpus(port: number, pool: Pool): FuzzRequest[] {
  const host = `Host: 127.0.0.1:${port}`;
  const authorize = `/authorize?response_type=code&client_id=${demo.clientId}&redirect_uri=${encodeURIComponent(demo.redirectUri)}&scope=profile&state=s`;
  const form = 'grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback';
  const cookie = pool.sessions[0]?.cookie ?? 'kraikub_session=x';
  const probes: [string, string, string | Buffer, string?][] = [
    ['GET /', 'OPTIONS *', `OPTIONS * HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', 'GET * (asterisk-form, not OPTIONS)', `GET * HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', 'Host [::1', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n'],
    ['GET /authorize', 'Host [::1 on /authorize', `GET ${authorize} HTTP/1.1\r\nHost: [::1\r\n\r\n`],
    ['GET /login', 'Host a b', 'GET /login HTTP/1.1\r\nHost: a b\r\n\r\n'],
    ['GET /', 'Host localhost:99999', 'GET / HTTP/1.1\r\nHost: localhost:99999\r\n\r\n'],
    ['GET /account', 'Host user@host', 'GET /account HTTP/1.1\r\nHost: user@host\r\n\r\n'],
    ['GET /', 'empty Host', 'GET / HTTP/1.1\r\nHost: \r\n\r\n'],
    ['GET /', 'IPv6 Host', `GET / HTTP/1.1\r\nHost: [::1]:${port}\r\n\r\n`],
    [
      'GET /',
      'unicode Host',
      Buffer.from('GET / HTTP/1.1\r\nHost: bücher.example\r\n\r\n'),
      'non-ASCII Host value',
    ],
    ['GET /', 'no Host, HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n', 'HTTP/1.1 without Host'],
    ['GET /', 'no Host, HTTP/1.0', 'GET / HTTP/1.0\r\n\r\n'],
    ['GET /', 'duplicate Host', `GET / HTTP/1.1\r\n${host}\r\nHost: evil.example\r\n\r\n`, 'duplicate Host'],
    ['GET /', 'TRACE', `TRACE / HTTP/1.1\r\n${host}\r\n\r\n`],
    ['POST /token', 'TRACE /token', `TRACE /token HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', 'PROPFIND', `PROPFIND / HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /account', 'DELETE /account', `DELETE /account HTTP/1.1\r\n${host}\r\n\r\n`],
    ['POST /token', 'OPTIONS /token', `OPTIONS /token HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', 'CONNECT', `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n${host}\r\n\r\n`, 'CONNECT'],
    ['GET /', 'lowercase method', `get / HTTP/1.1\r\n${host}\r\n\r\n`, 'lowercase method'],
    ['GET /', 'HTTP/2.0 version', `GET / HTTP/2.0\r\n${host}\r\n\r\n`, 'bogus HTTP version'],
    ['GET /', '//', `GET // HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', '//host/path', `GET //evil.example/login HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', '/%', `GET /% HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', '/..%2f', `GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /login', 'encoded NUL', `GET /login%00?interaction=%00 HTTP/1.1\r\n${host}\r\n\r\n`],
    [
      'GET /authorize',
      'absolute-form',
      `GET http://127.0.0.1:${port}${authorize} HTTP/1.1\r\n${host}\r\n\r\n`,
    ],
    ['GET /', 'absolute-form, bad host', `GET http://[::1/ HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /login', 'absolute-form, other host', `GET http://evil.example/login HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', 'authority-form', `GET 127.0.0.1:${port} HTTP/1.1\r\n${host}\r\n\r\n`, 'authority-form target'],
    ['GET /', 'long path', `GET /${'a'.repeat(12_000)} HTTP/1.1\r\n${host}\r\n\r\n`],
    ['GET /', 'non-ASCII path', Buffer.from(`GET /é HTTP/1.1\r\n${host}\r\n\r\n`), 'non-ASCII target'],
    ['GET /authorize', 'HEAD /authorize', `HEAD ${authorize} HTTP/1.1\r\n${host}\r\n\r\n`],
    [
      'GET /api/me',
      'Bearer junk',
      `GET /api/me HTTP/1.1\r\n${host}\r\nAuthorization: Bearer !!junk!!\r\n\r\n`,
    ],
    [
      'GET /api/me',
      'Basic on /api/me',
      `GET /api/me HTTP/1.1\r\n${host}\r\nAuthorization: ${validBasic}\r\n\r\n`,
    ],
    [
      'POST /token',
      'bad Basic base64',
      `POST /token HTTP/1.1\r\n${host}\r\nAuthorization: Basic %%%\r\nContent-Type: ${formType}\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
    ],
    [
      'POST /token',
      'duplicate Content-Type',
      `POST /token HTTP/1.1\r\n${host}\r\nAuthorization: ${validBasic}\r\nContent-Type: ${formType}\r\nContent-Type: application/json\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
    ],
    [
      'POST /token',
      'duplicate Authorization',
      `POST /token HTTP/1.1\r\n${host}\r\nAuthorization: ${validBasic}\r\nAuthorization: Basic Zm9vOmJhcg==\r\nContent-Type: ${formType}\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
    ],
    [
      'POST /token',
      'duplicate Content-Length',
      `POST /token HTTP/1.1\r\n${host}\r\nContent-Type: ${formType}\r\nContent-Length: ${form.length}\r\nContent-Length: 3\r\n\r\n${form}`,
      'duplicate Content-Length',
    ],
    [
      'POST /token',
      'TE and CL',
      `POST /token HTTP/1.1\r\n${host}\r\nContent-Type: ${formType}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n${form.length.toString(16)}\r\n${form}\r\n0\r\n\r\n`,
      'both Transfer-Encoding and Content-Length',
    ],
    [
      'POST /token',
      'chunked',
      `POST /token HTTP/1.1\r\n${host}\r\nAuthorization: ${validBasic}\r\nContent-Type: ${formType}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${form.slice(0, 5)}\r\n${(form.length - 5).toString(16)}\r\n${form.slice(5)}\r\n0\r\n\r\n`,
    ],
    [
      'POST /token',
      'bad chunk size',
      `POST /token HTTP/1.1\r\n${host}\r\nContent-Type: ${formType}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${form}\r\n0\r\n\r\n`,
      'chunked: bad hex size',
    ],
    [
      'POST /token',
      'Content-Length longer than the body, FIN',
      `POST /token HTTP/1.1\r\n${host}\r\nContent-Type: ${formType}\r\nContent-Length: 500\r\n\r\n${form}`,
      'Content-Length longer than the body, then EOF',
    ],
    [
      'POST /login',
      'Content-Length longer than the body, FIN',
      `POST /login HTTP/1.1\r\n${host}\r\nCookie: ${cookie}\r\nContent-Type: ${formType}\r\nContent-Length: 500\r\n\r\ncsrf=x`,
      'Content-Length longer than the body, then EOF',
    ],
    [
      'POST /login',
      'invalid UTF-8 body',
      Buffer.concat([
        Buffer.from(
          `POST /login HTTP/1.1\r\n${host}\r\nCookie: ${cookie}\r\nContent-Type: ${formType}\r\nContent-Length: 12\r\n\r\n`,
        ),
        Buffer.from([0x63, 0x73, 0x72, 0x66, 0x3d, 0xff, 0xfe, 0xc3, 0x26, 0x61, 0x3d, 0x25]),
      ]),
    ],
    [
      'POST /consent',
      'JSON body',
      `POST /consent HTTP/1.1\r\n${host}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"decision":"approve"}`,
    ],
    [
      'GET /account',
      'obs-fold',
      `GET /account HTTP/1.1\r\n${host}\r\nX-Folded: a\r\n  b\r\n\r\n`,
      'obs-fold',
    ],
    [
      'GET /account',
      'huge header',
      `GET /account HTTP/1.1\r\n${host}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
      'headers over 16 KB',
    ],
    ['GET /', 'Expect: 100-continue', `GET / HTTP/1.1\r\n${host}\r\nExpect: 100-continue\r\n\r\n`],
  ];
  return probes.map(([route, what, text, framing], i) => {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    const method = bytes.subarray(0, bytes.indexOf(' ')).toString('latin1');
    return {
      index: -1000 - i,
      route,
      notes: [`corpus:${what}`],
      bytes,
      writes: [bytes],
      halfClose: framing !== undefined,
      framing,
      head: method === 'HEAD',
      localAddress: `127.1.0.${i + 2}`,
    };
  });
}
