/**
 * The ports: the interfaces core owns and adapters implement. They return
 * plain Promises, so an adapter never needs neverthrow. A port that throws or
 * rejects never leaks: core turns it into `server_error`, or
 * `temporarily_unavailable` for a {@link StorageUnavailableError}.
 *
 * Times are milliseconds since the Unix epoch, as {@link Clock.now} returns.
 *
 * @module
 */
import type { AuthorizationRequest } from './rules/authorization-request.ts';
import type { ClaimsRequest } from './rules/claims.ts';

/** The grant types core implements. */
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

/** How a client authenticates at the token, revocation and introspection endpoints. */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/**
 * A registered client, as a {@link ClientStore} returns it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2
 */
export interface ClientRecord {
  /** The client identifier. */
  readonly id: string;
  /** Display name shown on consent screens. */
  readonly name: string;
  /** Registered redirect URIs, compared exactly (loopback IP port excepted). */
  readonly redirectUris: readonly string[];
  /** `none` makes it a public client with no secret. */
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** SHA-256 of the client secret, base64url; absent for public clients. */
  readonly secretHash?: string;
  /** Grant types this client may use. */
  readonly grantTypes: readonly GrantType[];
  /** Scopes this client may request. */
  readonly scopes: readonly string[];
  /** Scopes used when a request has no `scope`; without them such a request fails `invalid_scope`. */
  readonly defaultScopes?: readonly string[];
  /** Require PKCE even though the client is confidential. Public clients always require it. */
  readonly requirePkce?: boolean;
  /**
   * Seconds after a refresh token's rotation in which a retry with the old
   * token returns the same successor instead of revoking the grant. Default 0.
   *
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
   */
  readonly refreshTokenGraceSeconds?: number;
  /**
   * Where the user agent may be sent after an RP-initiated logout, compared
   * exactly.
   *
   * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RedirectionAfterLogout
   */
  readonly postLogoutRedirectUris?: readonly string[];
  /**
   * The resources (RFC 8707) it may ask tokens for, among the server's
   * registered resource servers. Absent: any of them.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
   */
  readonly resources?: readonly string[];
  /** The client's home page (RFC 7591 `client_uri`), shown on consent screens. */
  readonly clientUri?: string;
  /** The client's logo (RFC 7591 `logo_uri`). */
  readonly logoUri?: string;
  /** The client's privacy policy (RFC 7591 `policy_uri`). */
  readonly policyUri?: string;
  /** The client's terms of service (RFC 7591 `tos_uri`). */
  readonly tosUri?: string;
  /** People responsible for the client, usually email addresses (RFC 7591 `contacts`). */
  readonly contacts?: readonly string[];
  /** The software the client runs, the same for every instance (RFC 7591 `software_id`). */
  readonly softwareId?: string;
  /** The version of that software (RFC 7591 `software_version`). */
  readonly softwareVersion?: string;
  /**
   * Present on clients that registered themselves (RFC 7591): what lets
   * them read, change and delete their registration (RFC 7592).
   *
   * @see https://www.rfc-editor.org/rfc/rfc7592#section-3
   */
  readonly registration?: ClientRegistration;
}

/**
 * How a client registered itself.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1
 */
export interface ClientRegistration {
  /** SHA-256 of the registration access token (RFC 7592), base64url: the token itself is never stored. */
  readonly accessTokenHash: string;
  /** When it registered, seconds since the Unix epoch (`client_id_issued_at`). */
  readonly issuedAt: number;
}

/** Result of {@link ClientStore.registerClient}. */
export type RegisterClientResult = { readonly status: 'registered' } | { readonly status: 'exists' };

/** Result of {@link ClientStore.updateClient}. */
export type UpdateClientResult = { readonly status: 'updated' } | { readonly status: 'not_found' };

/** Result of {@link ClientStore.deleteClient}. */
export type DeleteClientResult = { readonly status: 'deleted' } | { readonly status: 'not_found' };

/**
 * Where core finds clients. `findClient` is all the protocol needs; the
 * write operations are optional, for stores that let clients be registered,
 * changed and removed at run time (dynamic client registration, an admin
 * tool). `@kraikub/testkit`'s `runClientStoreConformance` proves them.
 *
 * A store keeps what it is given and gives it back unchanged: optional
 * fields absent, never `undefined`.
 */
export interface ClientStore {
  /** The client with this id, or `undefined`. */
  findClient(clientId: string): Promise<ClientRecord | undefined>;
  /**
   * Stores a new client, unless one with its id exists (then nothing
   * changes and the result is `exists`). Atomic: of concurrent registrations
   * of one id, exactly one is `registered`.
   */
  registerClient?(client: ClientRecord): Promise<RegisterClientResult>;
  /** Replaces an existing client (same id); `not_found` when there is none (nothing is stored). */
  updateClient?(client: ClientRecord): Promise<UpdateClientResult>;
  /** Removes a client; `not_found` when there is none. */
  deleteClient?(clientId: string): Promise<DeleteClientResult>;
  /** Every client, in no particular order: for administration, never on a request path. */
  listClients?(): Promise<ClientRecord[]>;
}

/**
 * How a store finds a token: the SHA-256 of the whole token (base64url), and
 * the grant id the token carries in the clear, so a store can keep every
 * record of one grant together (one Redis Cluster slot, for instance).
 */
export interface TokenKey {
  /** SHA-256 of the token, base64url. The raw token never reaches a store. */
  readonly hash: string;
  /** The grant the token belongs to (non-secret). */
  readonly grantId: string;
}

/** Fields every persisted grant record has. */
export interface GrantRecordBase {
  /** The grant: links a code to every token minted from it. */
  readonly grantId: string;
  /** The client the record was issued to. */
  readonly clientId: string;
  /** Granted scopes. */
  readonly scopes: readonly string[];
  /** When it was issued (ms). */
  readonly issuedAt: number;
  /**
   * When it expires (ms). A record is expired from this instant on
   * (`now >= expiresAt`); stores never return an expired record.
   */
  readonly expiresAt: number;
}

/**
 * What an OpenID Connect authentication leaves on a grant's records: enough
 * to issue ID Tokens (at the code exchange and at every refresh) and to
 * answer UserInfo, without any user data.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export interface OidcContext {
  /** When the user authenticated (ms), for `auth_time`; refreshed ID Tokens keep it. */
  readonly authTime?: number;
  /** The Authentication Context Class Reference the host reported. */
  readonly acr?: string;
  /** The Authentication Methods References the host reported (`pwd`, `otp`...). */
  readonly amr?: readonly string[];
  /** The request's `nonce`: on codes only (it goes into the first ID Token, never a refreshed one). */
  readonly nonce?: string;
  /** The `claims` request parameter, for the ID Token and UserInfo. */
  readonly claims?: ClaimsRequest;
}

/**
 * An authorization code, stored under its hash.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export interface CodeRecord extends GrantRecordBase {
  /** The resource owner who approved. */
  readonly subject: string;
  /** The redirect URI the code was issued for. */
  readonly redirectUri: string;
  /** Whether `redirect_uri` was in the authorization request (then the token request must repeat it). */
  readonly redirectUriProvided: boolean;
  /** PKCE challenge, when the request had one. */
  readonly codeChallenge?: string;
  /** PKCE method: only S256 is accepted. */
  readonly codeChallengeMethod?: 'S256';
  /** Present when the code answers an OpenID Connect authentication request. */
  readonly oidc?: OidcContext;
  /**
   * The resources (RFC 8707) the grant is for; absent when the request
   * named none and the server has no default.
   */
  readonly resources?: readonly string[];
}

/** An access token, stored under its hash. */
export interface AccessTokenRecord extends GrantRecordBase {
  /** The resource owner; absent for client credentials. */
  readonly subject?: string;
  /** For UserInfo, when the grant is an OpenID Connect one (no `nonce`). */
  readonly oidc?: OidcContext;
  /**
   * The resources the token is for: its `aud` (RFC 8707). Absent for a
   * token bound to no resource.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
   */
  readonly audience?: readonly string[];
}

/**
 * What a rotation left on the old refresh token: enough for a retry inside
 * the grace window to re-derive the very same successor.
 */
export interface RefreshRotation {
  /** When the rotation happened (ms). */
  readonly rotatedAt: number;
  /** Key of the successor refresh token. */
  readonly successor: TokenKey;
  /**
   * Random salt the successor tokens were derived from together with the old
   * token (only when the client has a grace window); useless without the old raw token.
   */
  readonly nonce?: string;
  /** Scopes of the successor access token (may be narrower than the grant). */
  readonly accessScopes: readonly string[];
  /** Expiry of the successor access token (ms). */
  readonly accessExpiresAt: number;
  /** Audience of the successor access token, when it has one. */
  readonly accessAudience?: readonly string[];
}

/** A refresh token, stored under its hash. */
export interface RefreshTokenRecord extends GrantRecordBase {
  /** The resource owner. */
  readonly subject: string;
  /** Set once rotated: the token is no longer usable (but for a grace retry). */
  readonly rotation?: RefreshRotation;
  /** For the ID Tokens of refreshes, when the grant is an OpenID Connect one (no `nonce`). */
  readonly oidc?: OidcContext;
  /** The resources the grant is for (a refresh may narrow its access token to some of them). */
  readonly resources?: readonly string[];
}

/** A record to write, with the key it is stored under. */
export interface Keyed<R> {
  readonly key: TokenKey;
  readonly record: R;
}

/** Tokens issued together for one grant. */
export interface TokenIssue {
  readonly grantId: string;
  readonly accessToken: Keyed<AccessTokenRecord>;
  readonly refreshToken?: Keyed<RefreshTokenRecord>;
}

/** A code as {@link GrantStore.findCode} returns it. */
export interface StoredCode {
  readonly record: CodeRecord;
  /** True once redeemed: presenting it again is a replay. */
  readonly consumed: boolean;
}

/** Result of {@link GrantStore.consumeCode}. */
export type ConsumeCodeResult =
  | { readonly status: 'consumed'; readonly record: CodeRecord }
  | { readonly status: 'replayed'; readonly grantId: string }
  | { readonly status: 'not_found' };

/** Result of {@link GrantStore.issueTokens}. */
export type IssueTokensResult = { readonly status: 'issued' } | { readonly status: 'grant_revoked' };

/** Result of {@link GrantStore.rotateRefreshToken}. */
export type RotateRefreshTokenResult =
  | { readonly status: 'rotated' }
  | { readonly status: 'reused'; readonly record: RefreshTokenRecord }
  | { readonly status: 'not_found' };

/**
 * Persistence for codes, tokens and grants. Keys are token hashes, never raw
 * tokens. Every record carries its expiry; a store never returns an expired
 * record, and drops expired records by itself.
 *
 * `consumeCode` and `rotateRefreshToken` are atomic: under any concurrency,
 * exactly one caller wins. `@kraikub/testkit` proves an implementation keeps
 * this contract.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.5
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
 */
export interface GrantStore {
  /** Stores a new authorization code. */
  saveCode(key: TokenKey, record: CodeRecord): Promise<void>;
  /**
   * The code, consumed or not, until its expiry; `undefined` when unknown,
   * expired, or its grant was revoked. Core checks the token request against
   * it before consuming, so a wrong client or verifier cannot burn a code.
   */
  findCode(key: TokenKey): Promise<StoredCode | undefined>;
  /**
   * Atomically uses up a code and stores the tokens minted from it, in one
   * step: `consumed` exactly once (and `tokens` are stored); then `replayed`
   * with the grant id until the code's expiry (a tombstone; nothing stored);
   * then `not_found`. An unknown or expired code is `not_found`.
   *
   * One step, so that no code is ever spent without its tokens stored, and a
   * concurrent replay (which revokes the grant) cannot make the winner fail.
   * A code whose grant was revoked is `not_found` (or `replayed`), never `consumed`.
   */
  consumeCode(key: TokenKey, tokens: TokenIssue): Promise<ConsumeCodeResult>;
  /**
   * Stores tokens for a grant, unless that grant was revoked (then nothing is
   * stored and the result is `grant_revoked`).
   */
  issueTokens(issue: TokenIssue): Promise<IssueTokensResult>;
  /** The access token's record, if it exists, is unexpired and its grant is not revoked. */
  findAccessToken(key: TokenKey): Promise<AccessTokenRecord | undefined>;
  /**
   * The refresh token's record, if it exists, is unexpired and its grant is
   * not revoked; a rotated token is returned with its `rotation`.
   */
  findRefreshToken(key: TokenKey): Promise<RefreshTokenRecord | undefined>;
  /**
   * Atomically rotates a refresh token: if `old` exists, is unexpired, not yet
   * rotated and its grant not revoked, marks it rotated with `rotation` and
   * stores `next` (the successor tokens): `rotated`. If it was already rotated:
   * `reused` with its record (its `rotation` says by whom). Otherwise `not_found`
   * (a revoked grant's token may be `not_found` or `reused`, never `rotated`).
   */
  rotateRefreshToken(
    old: TokenKey,
    rotation: RefreshRotation,
    next: TokenIssue,
  ): Promise<RotateRefreshTokenResult>;
  /** Revokes one access token (RFC 7009). Unknown keys are ignored. */
  revokeAccessToken(key: TokenKey): Promise<void>;
  /**
   * Revokes every code, access token and refresh token of the grant, and
   * refuses tokens issued for it later; remembers the revocation until
   * `retainUntil` (ms), after which it may forget it (no record of the grant
   * can outlive that instant).
   */
  revokeGrant(grantId: string, retainUntil: number): Promise<void>;
}

/**
 * A validated authorization request parked while the user logs in and
 * consents: the server-side state behind an opaque interaction id.
 */
export interface InteractionRecord {
  /** The validated request (as {@link AuthorizationServer.authorize} returned it). */
  readonly request: AuthorizationRequest;
  /** When the interaction started (ms). */
  readonly createdAt: number;
  /** When it expires (ms). Stores never return an expired record. */
  readonly expiresAt: number;
  /**
   * Who started it, as a fixed-length digest of the source the host named
   * (a client address, say): what {@link InteractionLimits.perSource} counts.
   * Absent when the source is unknown (then only the total cap applies).
   */
  readonly source?: string;
}

/**
 * Caps on pending interactions. Anyone can start one with an unauthenticated
 * `GET /authorize`, so the state they create must stay bounded: a store
 * refuses a new interaction once `total` are pending, or `perSource` are
 * pending for the record's `source`. Taken and expired interactions free
 * their place.
 */
export interface InteractionLimits {
  /** Most interactions pending at once in the store. */
  readonly total: number;
  /** Most interactions pending at once for one {@link InteractionRecord.source}. */
  readonly perSource: number;
}

/** Result of {@link InteractionStore.saveInteraction}. */
export type SaveInteractionResult =
  | { readonly status: 'saved' }
  | { readonly status: 'limited'; readonly limit: 'total' | 'source' };

/**
 * Where pending interactions wait, keyed by the SHA-256 (base64url) of the
 * interaction id, so the id itself is never stored.
 */
export interface InteractionStore {
  /**
   * Stores a new interaction, unless that would exceed `limits` (then
   * nothing is stored and the result says which cap was reached). The check
   * and the write are one atomic step: concurrent saves never overshoot a cap.
   */
  saveInteraction(
    key: string,
    record: InteractionRecord,
    limits: InteractionLimits,
  ): Promise<SaveInteractionResult>;
  /** The unexpired interaction, or `undefined`. */
  findInteraction(key: string): Promise<InteractionRecord | undefined>;
  /**
   * Consumes the unexpired interaction: returns it and deletes it in one
   * atomic step, so it completes at most once; `undefined` when unknown,
   * expired or already consumed.
   */
  consumeInteraction(key: string): Promise<InteractionRecord | undefined>;
}

/**
 * A JSON Web Key Set of public keys, as the `jwks_uri` serves it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface PublicJwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** How {@link SignerPort.sign} signs. */
export interface SignOptions {
  /** The JOSE `typ` header: `JWT` for ID Tokens, `at+jwt` for JWT access tokens (RFC 9068). */
  readonly typ: 'JWT' | 'at+jwt';
  /**
   * When set, the signer adds `at_hash` for this access token, hashed with
   * its signing key's hash function (OpenID Connect Core 1.0 section 3.1.3.6):
   * the hash depends on the key, so the signer computes it with the key it signs with.
   */
  readonly accessToken?: string;
}

/**
 * The signing port: JOSE stays out of core. Core builds the claims (pure);
 * the signer turns them into a compact JWS with the host's keys, and
 * publishes the public keys. One key signs (the active one); others may be
 * published only (the next key before a rotation, the previous one until the
 * tokens it signed have expired), so rotation needs no downtime.
 * `@kraikub/jose` implements it on `jose`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Signing
 */
export interface SignerPort {
  /** The JWS `alg` of the active key (`ES256`, `RS256`, `EdDSA`...). */
  readonly algorithm: string;
  /** Every JWS `alg` among the published keys (the discovery document's `*_signing_alg_values_supported`). */
  readonly algorithms: readonly string[];
  /** Signs `claims` as a compact JWS with the active key, its `kid` in the header. */
  sign(claims: Readonly<Record<string, unknown>>, options: SignOptions): Promise<string>;
  /** Every published key, public parts only. */
  publicKeys(): Promise<PublicJwks>;
  /**
   * Verifies a compact JWS signed by one of the published keys, with the
   * expected `typ`; the claims when the signature holds, `undefined`
   * otherwise (never a throw for a bad token). Expiry is the caller's
   * business: an expired ID Token is still a valid `id_token_hint`.
   */
  verify(
    jws: string,
    options: { readonly typ: 'JWT' | 'at+jwt' },
  ): Promise<Readonly<Record<string, unknown>> | undefined>;
}

/** The time source. Inject a fake one in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/**
 * The cryptographic primitives core needs. {@link webCrypto} implements it
 * on Web Crypto, which Node, Deno, Bun and workers all provide.
 */
export interface CryptoPort {
  /** `length` bytes from a CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** SHA-256 of the UTF-8 encoding of `input`. */
  sha256(input: string): Promise<Uint8Array>;
  /**
   * Optional: `base64url(sha256(input))` in one step, how every token and
   * secret is keyed at rest. A runtime with a native encoder (Node's
   * `crypto.hash`) saves the JavaScript encoding; without it core encodes
   * {@link CryptoPort.sha256}'s bytes itself. Must give exactly the same text.
   */
  sha256Base64url?(input: string): Promise<string>;
  /** Compares two byte arrays in time that depends only on their length. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

/** The caps a {@link FetchPort} enforces on one fetch. */
export interface FetchLimits {
  /** The most body bytes read; a longer answer is refused (the fetch rejects). */
  readonly maxBytes: number;
  /** The most milliseconds the whole fetch may take (connect, headers, body). */
  readonly timeoutMs: number;
}

/** What a {@link FetchPort} got back: a final answer, never a redirect followed. */
export interface FetchedDocument {
  /** The HTTP status; a 3xx is returned as is, never followed. */
  readonly status: number;
  /** The `Content-Type` header, if any. */
  readonly contentType?: string;
  /** The `Cache-Control` header, if any: core's cache honours `max-age` and `no-store`. */
  readonly cacheControl?: string;
  /** The body, decoded as UTF-8. */
  readonly body: string;
}

/**
 * How core fetches a document from the network, today a Client ID Metadata
 * Document. The URL is attacker-chosen: an implementation must refuse
 * anything but `https`, every private, loopback, link-local and otherwise
 * non-public address (checked on the addresses DNS resolves to, and the
 * connection pinned to the one checked), follow no redirect, and hold to
 * {@link FetchLimits}. It rejects when it refuses or fails; core then treats
 * the client as unknown. `@kraikub/adapter-http/node` implements it for Node.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 */
export interface FetchPort {
  /** GETs `url` (with `Accept: application/json`) within `limits`. */
  fetch(url: string, limits: FetchLimits): Promise<FetchedDocument>;
}
