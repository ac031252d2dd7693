import { okAsync, ResultAsync } from 'neverthrow';
import { systemClock } from './clock.ts';
import {
  type AuthorizationServerConfig,
  type AuthorizationServerConfigInput,
  parseConfig,
} from './config.ts';
import { webCrypto } from './crypto.ts';
import type { EndpointRequest } from './endpoint.ts';
import type { OAuthError } from './errors.ts';
import type { GrantEventListener } from './events.ts';
import {
  type ClientIdMetadataDocumentOptions,
  withMetadataDocuments,
} from './lib/client-id-metadata-document.ts';
import { type Context, emitting, type FindClaims, grantRetention } from './lib/context.ts';
import { callPort } from './lib/port.ts';
import type { ParamsInput } from './params.ts';
import type { ClientStore, Clock, CryptoPort, GrantStore, PublicJwks, SignerPort } from './ports.ts';
import type { AuthorizationRequest } from './rules/authorization-request.ts';
import { offeredScopes } from './rules/client-metadata.ts';
import {
  type Approval,
  type AuthorizationResponse,
  approve,
  type Denial,
  deny,
  errorResponse,
} from './use-cases/approve.ts';
import { authorize } from './use-cases/authorize.ts';
import { type EndSessionRequest, endSession } from './use-cases/end-session.ts';
import { type AuthorizationServerMetadata, metadata } from './use-cases/metadata.ts';
import {
  type ClientInformation,
  deleteClient,
  type RegistrationOptions,
  type RegistrationRequest,
  readClient,
  registerClient,
  updateClient,
} from './use-cases/registration.ts';
import {
  type AccessTokenInfo,
  type IntrospectionResponse,
  introspect,
  revoke,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './use-cases/revoke-introspect.ts';
import { type TokenResponse, token } from './use-cases/token/index.ts';
import { type UserInfoResult, userinfo } from './use-cases/userinfo.ts';

/** What {@link createAuthorizationServer} takes. */
export interface AuthorizationServerOptions {
  /** Validated with zod at creation; a bad config throws a `TypeError` naming the field. */
  readonly config: AuthorizationServerConfigInput;
  readonly clients: ClientStore;
  readonly store: GrantStore;
  /** Default: `Date.now()`. */
  readonly clock?: Clock;
  /** Default: Web Crypto. */
  readonly crypto?: CryptoPort;
  /**
   * Hears of every grant and every token issued, refreshed or revoked (see
   * {@link GrantEvent}); awaited before the answer leaves the server.
   */
  readonly onGrantEvent?: GrantEventListener;
  /**
   * Signs ID Tokens (and JWT access tokens) with the host's keys: with it the
   * server speaks OpenID Connect (`@kraikub/jose` implements it). Without
   * one, `openid` is a scope like any other: no ID Token, no OpenID metadata.
   */
  readonly signer?: SignerPort;
  /**
   * The host's user data for ID Tokens and UserInfo: the claims it holds for
   * a subject (core releases only those the scopes and the `claims` request
   * allow). Default: none beyond `sub`.
   */
  readonly findClaims?: FindClaims;
  /**
   * Dynamic client registration (RFC 7591) and management (RFC 7592): open,
   * or behind an initial access token, every registration decided by the
   * host's policy. Needs a `clients` store with the write operations. Absent:
   * no registration endpoint.
   */
  readonly registration?: RegistrationOptions;
  /**
   * Client ID Metadata Documents: a `client_id` that is an https URL is the
   * address of the client's metadata, fetched through `fetch` (give it an
   * SSRF-safe one: `createNodeFetch` of `@kraikub/adapter-http/node`) and
   * cached. Absent: such client ids are looked up in `clients` like any other.
   */
  readonly clientIdMetadataDocuments?: ClientIdMetadataDocumentOptions;
}

/**
 * The provider: one method per protocol operation. Every method returns a
 * `ResultAsync` whose error is an {@link OAuthError}; none throws for bad
 * input or a failing store.
 */
export interface AuthorizationServer {
  /** The validated configuration, defaults filled in. */
  readonly config: AuthorizationServerConfig;
  /**
   * Validates an authorization request (query or form parameters).
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   */
  authorize(params: ParamsInput): ResultAsync<AuthorizationRequest, OAuthError>;
  /**
   * Issues a code for an approved request; the response redirects with `code`, `state`, `iss`.
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
   */
  approve(request: AuthorizationRequest, approval: Approval): ResultAsync<AuthorizationResponse, OAuthError>;
  /**
   * The redirect telling the client the request was not granted:
   * `access_denied` by default, or (under `prompt=none`) why no answer was
   * possible without a page: `login_required`, `consent_required`...
   *
   * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthError
   */
  deny(request: AuthorizationRequest, description?: string, denial?: Denial): AuthorizationResponse;
  /** The redirect for a redirectable authorization error; `undefined` means show an error page. */
  errorResponse(error: OAuthError): AuthorizationResponse | undefined;
  /**
   * The token endpoint: authorization code, refresh token, client credentials.
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-5
   */
  token(request: EndpointRequest): ResultAsync<TokenResponse, OAuthError>;
  /**
   * Token revocation.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7009
   */
  revoke(request: EndpointRequest): ResultAsync<void, OAuthError>;
  /**
   * Token introspection.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7662
   */
  introspect(request: EndpointRequest): ResultAsync<IntrospectionResponse, OAuthError>;
  /**
   * Checks a bearer access token for a resource server.
   *
   * @see https://www.rfc-editor.org/rfc/rfc6750
   */
  verifyAccessToken(
    token: string,
    options?: VerifyAccessTokenOptions,
  ): ResultAsync<AccessTokenInfo | undefined, OAuthError>;
  /**
   * Revokes every code and token of a grant (for example when a user
   * withdraws consent). Unknown grants succeed silently.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  revokeGrant(grantId: string): ResultAsync<void, OAuthError>;
  /**
   * The metadata document.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8414
   */
  metadata(): AuthorizationServerMetadata;
  /**
   * The UserInfo response for a bearer access token.
   *
   * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
   */
  userinfo(token: string): ResultAsync<UserInfoResult, OAuthError>;
  /**
   * Checks an RP-initiated logout request (query or form parameters).
   *
   * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
   */
  endSession(params: ParamsInput): ResultAsync<EndSessionRequest, OAuthError>;
  /**
   * The published signing keys (the `jwks_uri` document); empty without a signer.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
   */
  jwks(): ResultAsync<PublicJwks, OAuthError>;
  /**
   * Registers a client (dynamic client registration): `registration_not_supported` unless turned on.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
   */
  registerClient(request: RegistrationRequest): ResultAsync<ClientInformation, OAuthError>;
  /**
   * Reads a registration with its registration access token (which rotates).
   *
   * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.1
   */
  readClient(
    clientId: string,
    registrationAccessToken: string | undefined,
  ): ResultAsync<ClientInformation, OAuthError>;
  /**
   * Replaces a registration's metadata (the registration access token rotates).
   *
   * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.2
   */
  updateClient(
    clientId: string,
    registrationAccessToken: string | undefined,
    metadata: unknown,
  ): ResultAsync<ClientInformation, OAuthError>;
  /**
   * Deletes a registration.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.3
   */
  deleteClient(clientId: string, registrationAccessToken: string | undefined): ResultAsync<void, OAuthError>;
}

/**
 * Creates the provider from a config, the ports and (optionally) a clock and crypto.
 *
 * @example
 * ```ts
 * import { type ClientRecord, createAuthorizationServer } from '@kraikub/core';
 * import { MemoryClientStore, MemoryGrantStore } from '@kraikub/adapter-memory';
 * declare const client: ClientRecord; // a client registration
 * declare const query: string; // the query string of a GET /authorize
 *
 * const server = createAuthorizationServer({
 *   config: { issuer: 'https://id.example.com', scopes: { profile: 'Read your profile' } },
 *   clients: new MemoryClientStore([client]),
 *   store: new MemoryGrantStore(),
 * });
 * const request = await server.authorize(new URLSearchParams(query));
 * if (request.isErr()) console.error(request.error.description); // else: on to login and consent
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): AuthorizationServer {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createAuthorizationServer: options are required');
  }
  const { clients, store } = options;
  if (typeof clients?.findClient !== 'function')
    throw new TypeError('createAuthorizationServer: clients must be a ClientStore');
  if (typeof store?.consumeCode !== 'function')
    throw new TypeError('createAuthorizationServer: store must be a GrantStore');
  const config = parseConfig(options.config);
  if (options.signer !== undefined && typeof options.signer.sign !== 'function') {
    throw new TypeError('createAuthorizationServer: signer must be a SignerPort');
  }
  if (options.signer === undefined && config.resourceServers.some((rs) => rs.accessTokenFormat === 'jwt')) {
    throw new TypeError('createAuthorizationServer: JWT access tokens (accessTokenFormat jwt) need a signer');
  }
  const registration = options.registration;
  if (registration !== undefined) {
    if (
      typeof clients.registerClient !== 'function' ||
      typeof clients.updateClient !== 'function' ||
      typeof clients.deleteClient !== 'function'
    ) {
      throw new TypeError(
        'createAuthorizationServer: registration needs a ClientStore with registerClient, updateClient and deleteClient',
      );
    }
  }
  const documents = options.clientIdMetadataDocuments;
  if (documents !== undefined && typeof documents.fetch?.fetch !== 'function') {
    throw new TypeError('createAuthorizationServer: clientIdMetadataDocuments.fetch must be a FetchPort');
  }
  const clock = options.clock ?? systemClock;
  const offered = () => offeredScopes(config.scopes, options.signer !== undefined);
  const ctx: Context = {
    config,
    clients: documents === undefined ? clients : withMetadataDocuments(clients, documents, clock, offered),
    store,
    clock,
    crypto: options.crypto ?? webCrypto,
    onGrantEvent: options.onGrantEvent,
    signer: options.signer,
    findClaims: options.findClaims ?? (async () => ({})),
    resourcesOfClient: resourcesByClient(config),
    registration,
    clientIdMetadataDocuments: documents !== undefined,
  };
  return {
    config: ctx.config,
    authorize: (params) => authorize(ctx, params),
    approve: (request, approval) => approve(ctx, request, approval),
    deny: (request, description, denial) => deny(ctx, request, description, denial),
    errorResponse,
    token: (request) => token(ctx, request),
    revoke: (request) => revoke(ctx, request),
    introspect: (request) => introspect(ctx, request),
    verifyAccessToken: (value, verifyOptions) => verifyAccessToken(ctx, value, verifyOptions),
    revokeGrant: (grantId) => {
      const now = ctx.clock.now();
      return callPort('GrantStore.revokeGrant', () =>
        ctx.store.revokeGrant(grantId, grantRetention(ctx, now)),
      ).andThen(() => emitting(ctx, { type: 'grant.revoked', grantId, at: now, reason: 'host' }));
    },
    metadata: () => metadata(ctx),
    userinfo: (value) =>
      verifyAccessToken(ctx, value).andThen((token) => new ResultAsync(userinfo(ctx, token))),
    endSession: (params) => new ResultAsync(endSession(ctx, params)),
    jwks: () => {
      const signer = ctx.signer;
      return signer === undefined
        ? okAsync({ keys: [] })
        : callPort('SignerPort.publicKeys', () => signer.publicKeys());
    },
    registerClient: (request) => new ResultAsync(registerClient(ctx, request)),
    readClient: (clientId, value) => new ResultAsync(readClient(ctx, clientId, value)),
    updateClient: (clientId, value, body) => new ResultAsync(updateClient(ctx, clientId, value, body)),
    deleteClient: (clientId, value) => new ResultAsync(deleteClient(ctx, clientId, value)),
  };
}

/** Each resource server's client id, with the resources it serves. */
function resourcesByClient(config: AuthorizationServerConfig): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const server of config.resourceServers) {
    if (server.clientId === undefined) continue;
    map.set(server.clientId, [...(map.get(server.clientId) ?? []), server.resource]);
  }
  return map;
}
