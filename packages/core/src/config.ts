import { z } from 'zod';
import type { ClientRecord } from './ports.ts';

/**
 * One scope token: `1*( %x21 / %x23-5B / %x5D-7E )`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export const scopeTokenPattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);
const forbiddenSchemes = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

const issuerSchema = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
    return;
  }
  // RFC 8414 section 2: https, no query, no fragment (http allowed on loopback for development).
  if (!isSecureUrl(url)) ctx.addIssue({ code: 'custom', message: 'must use https (http only on localhost)' });
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    ctx.addIssue({ code: 'custom', message: 'must have no query or fragment' });
  }
});

/**
 * A resource identifier: an absolute URI with no fragment.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export const resourceIdentifierSchema = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URI' });
    return;
  }
  if (value.includes('#') || url.hash !== '')
    ctx.addIssue({ code: 'custom', message: 'must have no fragment' });
});

/**
 * A resource server the provider issues access tokens for: an API that
 * checks them. Registering it is what lets it introspect access tokens it
 * did not request itself.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-4
 */
const resourceServerSchema = z
  .object({
    /** Its resource identifier (RFC 8707), such as `https://api.example.com`: the tokens' `aud`. */
    resource: resourceIdentifierSchema,
    /**
     * The client it authenticates as at the introspection endpoint (a
     * confidential client). Without one it cannot introspect; it may still
     * check tokens in process (`verifyBearer`) or by signature (JWT access
     * tokens).
     */
    clientId: z.string().min(1).max(256).exactOptional(),
    /**
     * The scopes it accepts. An access token issued for it carries only
     * these of the granted scopes (for several resources, those any of them
     * accepts). Without the list it accepts every scope.
     */
    scopes: z.array(z.string().regex(scopeTokenPattern, 'must be a valid scope token')).exactOptional(),
    /**
     * `opaque` (default): a random token checked against the store.
     * `jwt`: an RFC 9068 JWT access token signed with the server's keys,
     * which the resource server can check by signature alone (the server
     * needs a `signer`). A token for several resources is a JWT only when
     * every one of them wants JWTs.
     *
     * @see https://www.rfc-editor.org/rfc/rfc9068
     */
    accessTokenFormat: z.enum(['opaque', 'jwt']).default('opaque'),
  })
  .strict();

const pathSchema = z.string().regex(/^\/[\x21-\x7e]*$/, 'must be a path starting with /');
const seconds = (max: number) => z.number().int().positive().max(max);

/**
 * The configuration schema. {@link createAuthorizationServer} validates its
 * `config` with it; every field but `issuer` and `scopes` has a default.
 */
export const configSchema = z
  .object({
    /** Issuer identifier: `iss` in responses and metadata. */
    issuer: issuerSchema,
    /** Supported scopes, each with a description a consent screen can show. */
    scopes: z
      .custom<unknown>(
        (value) => !(typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')),
        {
          message: '__proto__ cannot be a scope name here (a JavaScript object key)',
        },
      )
      .pipe(z.record(z.string().regex(scopeTokenPattern, 'must be a valid scope token'), z.string())),
    /** Lifetimes in seconds. */
    ttl: z
      .object({
        /** Authorization code lifetime (RFC 6749 section 4.1.2: 10 minutes at most). */
        code: seconds(600).default(60),
        accessToken: seconds(366 * 24 * 3600).default(3600),
        refreshToken: seconds(5 * 366 * 24 * 3600).default(30 * 24 * 3600),
        /** ID Token lifetime (OpenID Connect). */
        idToken: seconds(24 * 3600).default(3600),
      })
      .default({ code: 60, accessToken: 3600, refreshToken: 30 * 24 * 3600, idToken: 3600 }),
    /** OpenID Connect choices (it is on when the server has a signer). */
    oidc: z
      .object({
        /**
         * OpenID Connect Core section 11: for authentication requests (scope
         * `openid`), issue a refresh token only when `offline_access` was
         * granted. Off by default: refresh tokens as for plain OAuth.
         */
        offlineAccess: z.boolean().default(false),
      })
      .strict()
      .default({ offlineAccess: false }),
    /**
     * The scopes of a request that names none, for clients without
     * `defaultScopes` of their own (those the client may use). Empty: such a
     * request is `invalid_scope`.
     *
     * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
     */
    defaultScopes: z.array(z.string().regex(scopeTokenPattern, 'must be a valid scope token')).default([]),
    /** Require PKCE from every client, not only public ones (RFC 9700 section 2.1.1 recommends it). */
    requirePkce: z.boolean().default(false),
    /** Longest `state` accepted, in characters. */
    maxStateLength: z.number().int().min(16).max(8192).default(2048),
    /**
     * The resource servers (APIs) that accept this provider's access tokens.
     * A client named here as a resource server's `clientId` may introspect any
     * access token; every other client only its own tokens (RFC 7662 section 4).
     */
    resourceServers: z
      .array(resourceServerSchema)
      .default([])
      .superRefine((servers, ctx) => {
        const seen = new Set<string>();
        for (const [index, server] of servers.entries()) {
          if (seen.has(server.resource)) {
            ctx.addIssue({ code: 'custom', path: [index, 'resource'], message: 'is listed twice' });
          }
          seen.add(server.resource);
        }
      }),
    /**
     * The resources an access token is bound to when the request names
     * none (RFC 8707 section 2: the server may use a default). Each must be
     * a registered resource server. Without it such a token has no audience:
     * a resource server that checks its audience refuses it.
     */
    defaultResources: z.array(resourceIdentifierSchema).default([]),
    /** Endpoint paths, relative to the issuer; used in metadata and by the HTTP adapter. */
    endpoints: z
      .object({
        authorization: pathSchema.default('/authorize'),
        token: pathSchema.default('/token'),
        revocation: pathSchema.default('/revoke'),
        introspection: pathSchema.default('/introspect'),
        /** OpenID Connect: UserInfo, the JWKS, RP-initiated logout. */
        userinfo: pathSchema.default('/userinfo'),
        jwks: pathSchema.default('/jwks'),
        endSession: pathSchema.default('/end-session'),
        /** Dynamic client registration (RFC 7591), and each client's configuration below it (RFC 7592). */
        registration: pathSchema.default('/register'),
      })
      .default({
        authorization: '/authorize',
        token: '/token',
        revocation: '/revoke',
        introspection: '/introspect',
        userinfo: '/userinfo',
        jwks: '/jwks',
        endSession: '/end-session',
        registration: '/register',
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const registered = new Set(config.resourceServers.map((server) => server.resource));
    for (const [index, resource] of config.defaultResources.entries()) {
      if (!registered.has(resource)) {
        ctx.addIssue({
          code: 'custom',
          path: ['defaultResources', index],
          message: 'must be a registered resource server',
        });
      }
    }
    for (const [index, scope] of config.defaultScopes.entries()) {
      if (!Object.hasOwn(config.scopes, scope)) {
        ctx.addIssue({ code: 'custom', path: ['defaultScopes', index], message: 'is not among the scopes' });
      }
    }
    for (const [index, server] of config.resourceServers.entries()) {
      for (const scope of server.scopes ?? []) {
        if (!Object.hasOwn(config.scopes, scope)) {
          ctx.addIssue({
            code: 'custom',
            path: ['resourceServers', index, 'scopes'],
            message: `${scope} is not among the server's scopes`,
          });
        }
      }
    }
  });

/** Configuration as a caller writes it (defaults optional). */
export type AuthorizationServerConfigInput = z.input<typeof configSchema>;
/** Configuration after validation, with every default filled in. */
export type AuthorizationServerConfig = z.output<typeof configSchema>;

function issueText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/**
 * Validates a configuration; a bad one is a programmer mistake and throws a
 * `TypeError` naming every bad field.
 *
 * @example
 * ```ts
 * import { parseConfig } from '@kraikub/core';
 * const config = parseConfig({ issuer: 'https://id.example.com', scopes: { profile: 'Your profile' } });
 * config.ttl.code; // 60
 * ```
 */
export function parseConfig(input: unknown): AuthorizationServerConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new TypeError(`Invalid authorization server config: ${issueText(result.error)}`);
  return result.data;
}

/**
 * A redirect URI a client may register: absolute, no fragment, https or a
 * loopback http URL, or a private-use scheme for native apps.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.6
 */
export const redirectUriSchema = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URI' });
    return;
  }
  if (value.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not contain a fragment' });
  if (forbiddenSchemes.has(url.protocol))
    ctx.addIssue({ code: 'custom', message: 'uses a forbidden scheme' });
  if (url.protocol === 'http:' && !loopbackHosts.has(url.hostname)) {
    ctx.addIssue({ code: 'custom', message: 'must use https (http only on loopback)' });
  }
});

/** A web page of a client (RFC 7591 `client_uri`, `logo_uri`...): https, or http on loopback. */
const webUrlSchema = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
      return;
    }
    if (!isSecureUrl(url))
      ctx.addIssue({ code: 'custom', message: 'must use https (http only on localhost)' });
  });

/**
 * The schema of a {@link ClientRecord}, for adapters that load clients from
 * files or databases.
 *
 * @example
 * ```ts
 * import { clientRecordSchema } from '@kraikub/core';
 * declare const text: string; // one client registration, as JSON
 * const client = clientRecordSchema.parse(JSON.parse(text));
 * ```
 */
export const clientRecordSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII (RFC 6749 VSCHAR)'),
    name: z.string().min(1).max(256),
    redirectUris: z.array(redirectUriSchema).default([]),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']),
    secretHash: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest')
      .exactOptional(),
    grantTypes: z
      .array(z.enum(['authorization_code', 'refresh_token', 'client_credentials']))
      .min(1)
      .default(['authorization_code', 'refresh_token']),
    scopes: z.array(z.string().regex(scopeTokenPattern, 'must be a valid scope token')),
    defaultScopes: z.array(z.string().regex(scopeTokenPattern)).exactOptional(),
    requirePkce: z.boolean().exactOptional(),
    refreshTokenGraceSeconds: z.number().int().min(0).max(300).exactOptional(),
    postLogoutRedirectUris: z.array(redirectUriSchema).exactOptional(),
    resources: z.array(resourceIdentifierSchema).exactOptional(),
    clientUri: webUrlSchema.exactOptional(),
    logoUri: webUrlSchema.exactOptional(),
    policyUri: webUrlSchema.exactOptional(),
    tosUri: webUrlSchema.exactOptional(),
    contacts: z.array(z.string().min(1).max(256)).max(10).exactOptional(),
    softwareId: z.string().min(1).max(256).exactOptional(),
    softwareVersion: z.string().min(1).max(256).exactOptional(),
    registration: z
      .object({
        accessTokenHash: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest'),
        issuedAt: z.number().int().min(0),
      })
      .strict()
      .exactOptional(),
  })
  .strict()
  .superRefine((client, ctx) => {
    const isPublic = client.tokenEndpointAuthMethod === 'none';
    if (isPublic && client.secretHash !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['secretHash'], message: 'a public client has no secret' });
    }
    if (!isPublic && client.secretHash === undefined) {
      ctx.addIssue({ code: 'custom', path: ['secretHash'], message: 'a confidential client needs one' });
    }
    if (isPublic && client.grantTypes.includes('client_credentials')) {
      ctx.addIssue({
        code: 'custom',
        path: ['grantTypes'],
        message: 'client_credentials needs a confidential client',
      });
    }
    if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirectUris'],
        message: 'authorization_code needs a redirect URI',
      });
    }
    for (const scope of client.defaultScopes ?? []) {
      if (!client.scopes.includes(scope)) {
        ctx.addIssue({ code: 'custom', path: ['defaultScopes'], message: 'must be among the client scopes' });
      }
    }
  }) satisfies z.ZodType<ClientRecord, unknown>;
