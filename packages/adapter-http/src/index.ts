/**
 * `@kraikub/adapter-http`: the Fetch API handler for `@kraikub/core`, the
 * interaction manager and the resource servers' bearer check. The
 * `node:http` bridge is in `@kraikub/adapter-http/node`.
 *
 * @packageDocumentation
 */
export type { BearerHeaderResult, BearerOptions, BearerResult, BearerVerifier } from './bearer.ts';
export { requireScopes, verifyBearer, verifyBearerHeader } from './bearer.ts';
export type { InteractCallback, InteractionContext } from './endpoints/authorization.ts';
export type { EndSessionAnswer, EndSessionCallback } from './endpoints/openid.ts';
export type { RegistrationRateLimiter } from './endpoints/registration.ts';
export { fixedWindowRateLimiter } from './endpoints/registration.ts';
export type { FetchHandler, HandlerOptions, RequestInfo, RequestSource } from './handler.ts';
export { createHandler } from './handler.ts';
export type {
  Completion,
  Decision,
  InteractionFailure,
  Interactions,
  InteractionsOptions,
  StartResult,
} from './interactions.ts';
export { createInteractions, defaultInteractionLimits } from './interactions.ts';
export type { ErrorPageContext, ErrorPageRenderer } from './lib/html.ts';
export { escapeHtml } from './lib/html.ts';
export { statusOf } from './lib/status.ts';
export type { ProtectedResourceMetadata, ProtectedResourceMetadataInput } from './resource-metadata.ts';
export {
  protectedResourceMetadata,
  protectedResourceMetadataRoute,
  protectedResourceMetadataUrl,
} from './resource-metadata.ts';
