/**
 * `@kraikub/core`: the OAuth 2.0 authorization server protocol as pure
 * rules and use cases over storage, clock and crypto ports.
 *
 * @packageDocumentation
 */

export { systemClock } from './clock.ts';
export type {
  AuthorizationServerConfig,
  AuthorizationServerConfigInput,
} from './config.ts';
export {
  clientRecordSchema,
  configSchema,
  parseConfig,
  redirectUriSchema,
  resourceIdentifierSchema,
  scopeTokenPattern,
} from './config.ts';
export { base64url, decodeBase64url, pooledRandomBytes, sha256Base64url, webCrypto } from './crypto.ts';
export type { EndpointRequest } from './endpoint.ts';
export type {
  ErrorRedirect,
  InvalidClientError,
  OAuthError,
  OAuthErrorCode,
  OAuthErrorOf,
} from './errors.ts';
export {
  invalidClient,
  isOAuthError,
  isTransient,
  oauthError,
  portFailure,
  StorageUnavailableError,
  withRedirect,
} from './errors.ts';
export type {
  GrantCreatedEvent,
  GrantEvent,
  GrantEventListener,
  GrantRevokedEvent,
  ReuseDetectedEvent,
  TokenRevokedEvent,
  TokensIssuedEvent,
  TokensRefreshedEvent,
} from './events.ts';
export type { ClientIdMetadataDocumentOptions } from './lib/client-id-metadata-document.ts';
export { cacheSeconds, clientOfDocument, metadataDocumentUrl } from './lib/client-id-metadata-document.ts';
export type { ClaimsQuery, FindClaims } from './lib/context.ts';
export type { Params, ParamsInput } from './params.ts';
export { normalizeParams } from './params.ts';
export type {
  AccessTokenRecord,
  ClientRecord,
  ClientRegistration,
  ClientStore,
  Clock,
  CodeRecord,
  ConsumeCodeResult,
  CryptoPort,
  DeleteClientResult,
  FetchedDocument,
  FetchLimits,
  FetchPort,
  GrantRecordBase,
  GrantStore,
  GrantType,
  InteractionLimits,
  InteractionRecord,
  InteractionStore,
  IssueTokensResult,
  Keyed,
  OidcContext,
  PublicJwks,
  RefreshRotation,
  RefreshTokenRecord,
  RegisterClientResult,
  RotateRefreshTokenResult,
  SaveInteractionResult,
  SignerPort,
  SignOptions,
  StoredCode,
  TokenEndpointAuthMethod,
  TokenIssue,
  TokenKey,
  UpdateClientResult,
} from './ports.ts';
export type { AuthorizationRequest, ClientSummary, RequestContext } from './rules/authorization-request.ts';
export { validateAuthorizationRequest } from './rules/authorization-request.ts';
export type { ClaimRequest, ClaimsRequest } from './rules/claims.ts';
export { allowedClaims, parseClaimsRequest, releaseClaims, scopeClaims } from './rules/claims.ts';
export type { PresentedCredentials } from './rules/client-authentication.ts';
export { authenticateClient, readClientCredentials } from './rules/client-authentication.ts';
export type {
  ClientMetadata,
  ClientMetadataError,
  ClientMetadataFields,
  MetadataPolicy,
  MetadataSource,
} from './rules/client-metadata.ts';
export { clientFieldsFromMetadata, metadataOfClient, offeredScopes } from './rules/client-metadata.ts';
export type { CodeRedemption } from './rules/code-redemption.ts';
export { checkCodeRedemption, invalidCode } from './rules/code-redemption.ts';
export type { IdTokenInput } from './rules/id-token.ts';
export { idTokenClaims } from './rules/id-token.ts';
export type { OpenIdRequest, Prompt } from './rules/openid-request.ts';
export { checkOpenIdRequest } from './rules/openid-request.ts';
export type { PkceChallenge } from './rules/pkce.ts';
export { checkChallenge, checkVerifier, pkcePattern } from './rules/pkce.ts';
export type { ResolvedRedirectUri } from './rules/redirect-uri.ts';
export { resolveRedirectUri } from './rules/redirect-uri.ts';
export { checkRefreshToken, invalidRefresh, reuseDecision } from './rules/refresh-token.ts';
export { isSubset, narrowScopes, parseScope, requestedScopes } from './rules/scope.ts';
export type { GeneratedSecret } from './secrets.ts';
export { generateClientSecret } from './secrets.ts';
export type { AuthorizationServer, AuthorizationServerOptions } from './server.ts';
export { createAuthorizationServer } from './server.ts';
export type { MintedToken, ParsedToken, TokenKind } from './tokens.ts';
export { mintToken, newGrantId, parseToken, tokenPrefixes } from './tokens.ts';
export type { Approval, AuthorizationResponse, Denial } from './use-cases/approve.ts';
export type { EndSessionRequest } from './use-cases/end-session.ts';
export type { AuthorizationServerMetadata } from './use-cases/metadata.ts';
export type {
  ClientEvent,
  ClientInformation,
  RegistrationDecision,
  RegistrationOptions,
  RegistrationPolicy,
  RegistrationProposal,
  RegistrationRequest,
} from './use-cases/registration.ts';
export type {
  AccessTokenInfo,
  AccessTokenVerifier,
  IntrospectionResponse,
  VerifyAccessTokenOptions,
} from './use-cases/revoke-introspect.ts';
export type { TokenResponse } from './use-cases/token/index.ts';
export type { UserInfoResult } from './use-cases/userinfo.ts';
