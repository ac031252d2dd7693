import { base64url, type ClientRecord, type GrantType, type ParamsInput } from '@kraikub/core';
import * as fc from 'fast-check';
import { sha256Text } from './lib/sha256.ts';

/** The characters from `from` to `to` (code points, inclusive). */
function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
}

/** RFC 6749 section 3.3: `%x21 / %x23-5B / %x5D-7E`. */
const scopeChars = [...range(0x21, 0x21), ...range(0x23, 0x5b), ...range(0x5d, 0x7e)];
/** RFC 6749 Appendix A: VSCHAR, printable ASCII with space, what a `client_id` may hold. */
const vscharChars = range(0x20, 0x7e);
const alphanumeric = [...range(0x41, 0x5a), ...range(0x61, 0x7a), ...range(0x30, 0x39)];
/** RFC 7636 section 4.1: unreserved characters. */
const unreservedChars = [...alphanumeric, '-', '.', '_', '~'];
const commonScopes = ['openid', 'profile', 'email', 'offline_access', 'read:users', 'api://orders.write'];

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const stringOf = (chars: readonly string[], minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength, maxLength });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Drops the keys whose value is `undefined`, so optional fields are absent rather than undefined. */
/** `T` with every property that may be `undefined` made optional (and never `undefined`). */
type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

function compact<T extends object>(value: T): Compact<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Compact<T>;
}

/**
 * One scope token, valid per RFC 6749 section 3.3 (and core's
 * `scopeTokenPattern`): common names like `openid` and arbitrary tokens of
 * `%x21 / %x23-5B / %x5D-7E`.
 *
 * @param constraints.maxLength - longest token. Default 24.
 * @example
 * ```ts
 * import { parseScope } from '@kraikub/core';
 * import { scopeToken } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * fc.assert(fc.property(scopeToken(), (token) => parseScope(token).isOk()));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function scopeToken(constraints: { readonly maxLength?: number } = {}): fc.Arbitrary<string> {
  const maxLength = constraints.maxLength ?? 24;
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new TypeError('scopeToken: maxLength must be >= 1');
  const common = commonScopes.filter((scope) => scope.length <= maxLength);
  const any = stringOf(scopeChars, 1, maxLength);
  return common.length === 0 ? any : fc.oneof(fc.constantFrom(...common), any);
}

/**
 * A set of distinct scope tokens (see {@link scopeToken}), as a client
 * registers them or a grant holds them.
 *
 * @param constraints.minLength - fewest scopes. Default 1.
 * @param constraints.maxLength - most scopes. Default 6.
 * @example
 * ```ts
 * import { parseScope } from '@kraikub/core';
 * import { scopes } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * fc.assert(fc.property(scopes(), (list) => parseScope(list.join(' ')).isOk()));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function scopes(
  constraints: { readonly minLength?: number; readonly maxLength?: number } = {},
): fc.Arbitrary<string[]> {
  return fc.uniqueArray(scopeToken(), {
    minLength: constraints.minLength ?? 1,
    maxLength: constraints.maxLength ?? 6,
  });
}

const pathArb = fc
  .array(stringOf(unreservedChars, 1, 8), { minLength: 1, maxLength: 3 })
  .map((segments) => `/${segments.join('/')}`);
const queryArb = optional(
  fc.tuple(stringOf(alphanumeric, 1, 6), stringOf(alphanumeric, 0, 6)).map(([k, v]) => `?${k}=${v}`),
);
const portArb = optional(fc.integer({ min: 1024, max: 65535 }).map((port) => `:${port}`));

/**
 * A redirect URI a client may register, valid per core's
 * `redirectUriSchema`: `https` on any host, `http` on a loopback host, or a
 * private-use scheme for native apps (`com.example.app:/callback`).
 *
 * @example
 * ```ts
 * import { redirectUriSchema } from '@kraikub/core';
 * import { redirectUri } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * fc.assert(fc.property(redirectUri(), (uri) => redirectUriSchema.safeParse(uri).success));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.6
 */
export function redirectUri(): fc.Arbitrary<string> {
  const https = fc
    .tuple(fc.domain(), portArb, pathArb, queryArb)
    .map(([host, port, path, query]) => `https://${host}${port ?? ''}${path}${query ?? ''}`);
  const loopback = fc
    .tuple(fc.constantFrom('127.0.0.1', '[::1]', 'localhost'), portArb, pathArb)
    .map(([host, port, path]) => `http://${host}${port ?? ''}${path}`);
  const label = fc
    .tuple(stringOf(range(0x61, 0x7a), 1, 1), stringOf(alphanumeric, 0, 7))
    .map((p) => p.join(''));
  const privateUse = fc
    .tuple(fc.array(label, { minLength: 2, maxLength: 3 }), pathArb)
    .map(([labels, path]) => `${labels.join('.').toLowerCase()}:${path}`);
  return fc.oneof({ weight: 3, arbitrary: https }, loopback, privateUse);
}

/**
 * A client registration valid per core's `clientRecordSchema`: public
 * (`none`, no secret, no client credentials) or confidential (a
 * `secretHash`), with consistent grant types, redirect URIs whenever it may
 * use the authorization code grant, at least one scope, and default scopes
 * among its scopes.
 *
 * @param constraints.kind - only `public` or only `confidential` clients. Default: both.
 * @example
 * ```ts
 * import { clientRecordSchema } from '@kraikub/core';
 * import { clientRecord } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * import { expect } from 'vitest';
 * fc.assert(
 *   fc.property(clientRecord({ kind: 'public' }), (client) => {
 *     expect(clientRecordSchema.parse(client).secretHash).toBeUndefined();
 *   }),
 * );
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.1
 */
export function clientRecord(
  constraints: { readonly kind?: 'public' | 'confidential' } = {},
): fc.Arbitrary<ClientRecord> {
  const kinds = constraints.kind === undefined ? (['public', 'confidential'] as const) : [constraints.kind];
  return fc.constantFrom(...kinds).chain((kind) => {
    const grants: GrantType[] =
      kind === 'public'
        ? ['authorization_code', 'refresh_token']
        : ['authorization_code', 'refresh_token', 'client_credentials'];
    return fc
      .record({
        id: stringOf(vscharChars, 1, 40),
        name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((n) => n.length <= 256),
        tokenEndpointAuthMethod:
          kind === 'public'
            ? fc.constant('none' as const)
            : fc.constantFrom('client_secret_basic' as const, 'client_secret_post' as const),
        secretHash: kind === 'public' ? fc.constant(undefined) : bytes(32).map(base64url),
        grantTypes: fc.subarray(grants, { minLength: 1 }),
        scopes: scopes(),
        requirePkce: optional(fc.boolean()),
        refreshTokenGraceSeconds: optional(fc.integer({ min: 0, max: 300 })),
      })
      .chain((client) =>
        fc
          .record({
            redirectUris: fc.uniqueArray(redirectUri(), {
              minLength: client.grantTypes.includes('authorization_code') ? 1 : 0,
              maxLength: 3,
            }),
            defaultScopes: optional(fc.subarray(client.scopes, { minLength: 1 })),
          })
          .map((more): ClientRecord => compact({ ...client, ...more })),
      );
  });
}

/** A PKCE code verifier and its S256 challenge. */
export interface PkcePair {
  /** 43 to 128 unreserved characters. */
  readonly verifier: string;
  /** BASE64URL(SHA-256(ASCII(verifier))): 43 characters. */
  readonly challenge: string;
}

/**
 * A PKCE pair for the S256 method: a verifier (often 32 random bytes in
 * base64url, as RFC 7636 recommends; otherwise any 43 to 128 unreserved
 * characters) and `challenge = BASE64URL(SHA-256(verifier))`.
 *
 * @example
 * ```ts
 * import { checkVerifier } from '@kraikub/core';
 * import { pkcePair } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * fc.assert(
 *   fc.property(pkcePair(), ({ verifier, challenge }) =>
 *     checkVerifier({ codeChallenge: challenge }, verifier, challenge).isOk(),
 *   ),
 * );
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export function pkcePair(): fc.Arbitrary<PkcePair> {
  const verifier = fc.oneof(bytes(32).map(base64url), stringOf(unreservedChars, 43, 128));
  return verifier.map((v) => ({ verifier: v, challenge: base64url(sha256Text(v)) }));
}

/** A few states that only survive byte-exact echoing. */
const trickyStates = ['a&b=c+d %20e/é☃😀?#', ' leading and trailing ', '{"json":true}', '%00\\u0000'];

/**
 * A `state` value: any non-empty, well-formed string (no lone surrogates),
 * from random base64url to arbitrary Unicode. A server must echo it
 * byte-exact.
 *
 * @param constraints.maxLength - most graphemes or code points. Default 64.
 * @example
 * ```ts
 * import type { AuthorizationServer } from '@kraikub/core';
 * import { type AuthorizationRequestParams, state } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * import { expect } from 'vitest';
 * declare const server: AuthorizationServer; // the server under test
 * declare const params: AuthorizationRequestParams; // a valid request for one of its clients
 * await fc.assert(
 *   fc.asyncProperty(state(), async (value) => {
 *     const request = await server.authorize({ ...params, state: value });
 *     expect(request._unsafeUnwrap().state).toBe(value);
 *   }),
 * );
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export function state(constraints: { readonly maxLength?: number } = {}): fc.Arbitrary<string> {
  const maxLength = constraints.maxLength ?? 64;
  return fc.oneof(
    bytes(16).map(base64url),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    fc.string({ unit: 'binary', minLength: 1, maxLength }),
    fc.constantFrom(...trickyStates),
  );
}

/**
 * Parameters of an authorization request (RFC 6749 section 4.1.1), as a
 * record of single values that core's `normalizeParams` accepts.
 */
export type AuthorizationRequestParams = {
  readonly response_type: 'code';
  readonly client_id: string;
  readonly redirect_uri?: string;
  readonly scope?: string;
  readonly state?: string;
  readonly code_challenge?: string;
  readonly code_challenge_method?: 'S256';
};

/** A loopback IP redirect URI: host, optional port, and the rest (path and query). */
const loopbackIp = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d+)?([/?][^#]*)?$/;

/** The registered URI, or (for a loopback IP) the same URI on another port, which RFC 8252 section 7.3 allows. */
function requestedRedirect(registered: string): fc.Arbitrary<string> {
  const match = loopbackIp.exec(registered);
  if (match === null) return fc.constant(registered);
  const [, host, rest = ''] = match;
  return fc.oneof(
    fc.constant(registered),
    fc.integer({ min: 1024, max: 65535 }).map((port) => `http://${host}:${port}${rest}`),
  );
}

/**
 * Valid authorization request parameters for `client`: a registered
 * redirect URI (omitted sometimes when it is the only one; another port for
 * loopback IPs), a non-empty subset of its scopes (omitted sometimes when it
 * has default scopes), an optional {@link state}, and a PKCE S256 challenge
 * whenever PKCE is required (public clients, `requirePkce`), sometimes
 * otherwise. Valid for a server whose config supports every scope of the client.
 *
 * Throws a `TypeError` for a client that cannot make a valid request (no
 * `authorization_code` grant, no redirect URI, no scope).
 *
 * @param constraints.pkce - use this pair's challenge (always sent); chain on
 *   {@link pkcePair} to know the verifier.
 * @param constraints.requirePkce - the server requires PKCE from every client.
 * @example
 * ```ts
 * import { authorizationRequestParams, clientRecord, pkcePair } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * const arb = fc
 *   .tuple(clientRecord(), pkcePair())
 *   .filter(([client]) => client.grantTypes.includes('authorization_code'))
 *   .chain(([client, pkce]) =>
 *     authorizationRequestParams(client, { pkce }).map((params) => ({ client, pkce, params })),
 *   );
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export function authorizationRequestParams(
  client: ClientRecord,
  constraints: { readonly pkce?: PkcePair; readonly requirePkce?: boolean } = {},
): fc.Arbitrary<AuthorizationRequestParams> {
  const hasDefaults = (client.defaultScopes?.length ?? 0) > 0;
  if (
    !client.grantTypes.includes('authorization_code') ||
    client.redirectUris.length === 0 ||
    (client.scopes.length === 0 && !hasDefaults)
  ) {
    throw new TypeError(
      'authorizationRequestParams: the client needs the authorization_code grant, a redirect URI and a scope',
    );
  }
  const registered = fc.constantFrom(...client.redirectUris).chain(requestedRedirect);
  const scope =
    client.scopes.length === 0
      ? fc.constant(undefined)
      : fc.shuffledSubarray([...client.scopes], { minLength: 1 }).map((list) => list.join(' '));
  const pkceRequired =
    client.tokenEndpointAuthMethod === 'none' ||
    client.requirePkce === true ||
    constraints.requirePkce === true;
  const pkce = constraints.pkce === undefined ? pkcePair() : fc.constant(constraints.pkce);
  const sendPkce = pkceRequired || constraints.pkce !== undefined ? fc.constant(true) : fc.boolean();
  return fc
    .record({
      redirect: client.redirectUris.length === 1 ? optional(registered) : registered,
      scope: hasDefaults ? optional(scope) : scope,
      state: optional(state()),
      pkce: fc.tuple(sendPkce, pkce).map(([send, pair]) => (send ? pair : undefined)),
    })
    .map(
      (p): AuthorizationRequestParams =>
        compact({
          response_type: 'code' as const,
          client_id: client.id,
          redirect_uri: p.redirect,
          scope: p.scope,
          state: p.state,
          code_challenge: p.pkce?.challenge,
          code_challenge_method: p.pkce === undefined ? undefined : ('S256' as const),
        }),
    );
}

/** Token endpoint parameters: names with one value, or several (a repeated parameter). */
export type TokenRequestParams = Readonly<Record<string, string | readonly string[]>>;

type MutableParams = Record<string, string | readonly string[]>;

const grantIdArb = bytes(16).map(base64url);
/** A token of core's exact shape (`kbc_<grantId>.<secret>`), unknown to any store. */
const tokenArb = (prefix: 'kbc_' | 'kbr_' | 'kba_') =>
  fc.tuple(grantIdArb, bytes(32).map(base64url)).map(([grantId, secret]) => `${prefix}${grantId}.${secret}`);
const clientIdArb = stringOf(vscharChars, 1, 24);
const clientAuthArb = fc.oneof(
  fc.record({ client_id: clientIdArb }),
  fc.record({ client_id: clientIdArb, client_secret: bytes(32).map(base64url) }),
  // client_secret_basic: the credentials travel in the Authorization header.
  fc.constant({}),
);
const joinedScopes = scopes({ maxLength: 3 }).map((list) => list.join(' '));

const wellFormedTokenRequest: fc.Arbitrary<TokenRequestParams> = fc
  .tuple(
    fc.oneof(
      fc.record(
        {
          grant_type: fc.constant('authorization_code'),
          code: tokenArb('kbc_'),
          redirect_uri: redirectUri(),
          code_verifier: pkcePair().map((pair) => pair.verifier),
        },
        { requiredKeys: ['grant_type', 'code'] },
      ),
      fc.record(
        { grant_type: fc.constant('refresh_token'), refresh_token: tokenArb('kbr_'), scope: joinedScopes },
        { requiredKeys: ['grant_type', 'refresh_token'] },
      ),
      fc.record(
        { grant_type: fc.constant('client_credentials'), scope: joinedScopes },
        { requiredKeys: ['grant_type'] },
      ),
    ),
    clientAuthArb,
  )
  .map(([grant, auth]) => ({ ...grant, ...auth }));

const hugeValue = fc
  .tuple(fc.constantFrom('a', '%', 'é', '😀', '\u0000', '&'), fc.integer({ min: 4_096, max: 65_536 }))
  .map(([char, length]) => char.repeat(length));
const supportedGrantTypes: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials'];
const badGrantTypes = ['password', 'implicit', 'token', 'AUTHORIZATION_CODE', ' refresh_token', 'urn:x', '*'];

/** Changes that make a token request malformed whatever the server holds. */
const breakRequest: fc.Arbitrary<(params: MutableParams) => void> = fc.oneof(
  fc.constant((p: MutableParams) => {
    delete p.grant_type;
  }),
  fc
    .oneof(fc.constantFrom(...badGrantTypes), fc.string({ maxLength: 20 }))
    .map((value) => (p: MutableParams) => {
      p.grant_type = supportedGrantTypes.includes(value) ? `${value}!` : value;
    }),
  fc.constant((p: MutableParams) => {
    p.grant_type = '';
  }),
  fc.nat().map((i) => (p: MutableParams) => {
    // A repeated parameter (RFC 6749 section 3.1: parameters must not be included more than once).
    const names = Object.keys(p);
    const name = names[i % names.length] ?? 'grant_type';
    const value = p[name] ?? '';
    p[name] = [...(typeof value === 'string' ? [value] : value), typeof value === 'string' ? value : ''];
  }),
  fc
    .oneof(
      hugeValue,
      fc.constantFrom('', 'kbc_', 'kba_x.y', 'not-a-token', 'kbc_short.secret', '\uD800'),
      tokenArb('kba_'),
      tokenArb('kbc_').map((t) => `${t}x`),
      tokenArb('kbr_').map((t) => ` ${t}`),
    )
    .map((token) => (p: MutableParams) => {
      // A malformed credential where the grant needs one; a huge grant type otherwise.
      if (p.grant_type === 'authorization_code') p.code = token === '' ? [] : token.replace(/^kba_/, 'kbr_');
      else if (p.grant_type === 'refresh_token') p.refresh_token = token.replace(/^kbr_/, 'kbc_');
      else p.grant_type = token === '' ? 'client credentials' : `${token}x`;
    }),
);

/** Changes that add noise without making a request malformed or well-formed by themselves. */
const addNoise: fc.Arbitrary<(params: MutableParams) => void> = fc
  .tuple(
    fc.oneof(fc.constantFrom('__proto__', 'constructor', 'state', 'nonce', 'resource', ''), fc.string()),
    fc.oneof(fc.string(), hugeValue, fc.constant('')),
  )
  .map(([name, value]) => (p: MutableParams) => {
    if (!Object.hasOwn(p, name)) Object.defineProperty(p, name, { value, enumerable: true, writable: true });
  });

const junkTokenRequest: fc.Arbitrary<TokenRequestParams> = fc
  .tuple(wellFormedTokenRequest, breakRequest, fc.array(fc.oneof(breakRequest, addNoise), { maxLength: 2 }))
  .map(([params, first, more]) => {
    const copy: MutableParams = { ...params };
    for (const change of [first, ...more]) change(copy);
    return copy;
  });

/**
 * Token endpoint parameters (RFC 6749 sections 4.1.3, 4.4.2, 6):
 * - `well-formed`: one grant (`authorization_code`, `refresh_token` or
 *   `client_credentials`) with credentials of core's exact token shape
 *   (unknown to any store), optional parameters, and client authentication
 *   in the body or none (for HTTP Basic, which travels in a header);
 * - `junk`: a well-formed request broken at least once: grant type missing,
 *   empty or unsupported, a repeated parameter, a malformed or huge
 *   credential; plus noise such as `__proto__` or huge unknown parameters.
 *   A token endpoint must answer each with an OAuth error, never a token or
 *   an exception.
 *
 * @param constraints.kind - `well-formed`, `junk`, or `any` (default).
 * @example
 * ```ts
 * import type { AuthorizationServer } from '@kraikub/core';
 * import { tokenRequestParams } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * import { expect } from 'vitest';
 * declare const server: AuthorizationServer; // the server under test
 * await fc.assert(
 *   fc.asyncProperty(tokenRequestParams({ kind: 'junk' }), async (params) => {
 *     const result = await server.token({ params });
 *     expect(result.isErr()).toBe(true);
 *   }),
 * );
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export function tokenRequestParams(
  constraints: { readonly kind?: 'well-formed' | 'junk' | 'any' } = {},
): fc.Arbitrary<TokenRequestParams> {
  const kind = constraints.kind ?? 'any';
  if (kind === 'well-formed') return wellFormedTokenRequest;
  if (kind === 'junk') return junkTokenRequest;
  return fc.oneof(wellFormedTokenRequest, junkTokenRequest);
}

const oauthNames = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'grant_type',
  'code',
  'code_verifier',
  'refresh_token',
  'client_secret',
  'token',
  'token_type_hint',
];
const junkName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...oauthNames) },
  fc.constantFrom('__proto__', 'constructor', 'toString', '', ' ', 'scope[]'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const junkValue = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  fc.constantFrom('\uD800', 'a\uDC00b', 'code', 'S256', 'plain', 'none'),
  hugeValue,
);

/**
 * Junk request parameters in every shape core's `ParamsInput` takes: a
 * record (array values are repeated parameters), a list of pairs, or
 * `URLSearchParams`. Names are often real OAuth names, so repeats are common;
 * also `__proto__`, empty and binary names; values may be empty, huge, or
 * hold lone surrogates. Any endpoint must answer these with an error value,
 * never an exception.
 *
 * @example
 * ```ts
 * import type { AuthorizationServer } from '@kraikub/core';
 * import { junkParams } from '@kraikub/testkit';
 * import fc from 'fast-check';
 * import { expect } from 'vitest';
 * declare const server: AuthorizationServer; // the server under test
 * await fc.assert(
 *   fc.asyncProperty(junkParams(), async (params) => {
 *     const result = await server.authorize(params);
 *     expect(result.isErr()).toBe(true);
 *   }),
 * );
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function junkParams(): fc.Arbitrary<ParamsInput> {
  const pairs = fc.array(fc.tuple(junkName, junkValue), { maxLength: 12 });
  const record = fc
    .array(fc.tuple(junkName, fc.oneof(junkValue, fc.array(junkValue, { minLength: 2, maxLength: 4 }))), {
      maxLength: 10,
    })
    .map((entries) => {
      const out: MutableParams = {};
      for (const [name, value] of entries) {
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      }
      return out as ParamsInput;
    });
  return fc.oneof(
    record,
    pairs.map((list): ParamsInput => list),
    pairs.map((list): ParamsInput => new URLSearchParams(list)),
  );
}
