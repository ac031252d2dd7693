/**
 * `@kraikub/testkit`: the storage conformance suite every `GrantStore`
 * adapter runs, and fast-check arbitraries for grant-rule property tests.
 *
 * @packageDocumentation
 */
export type { AuthorizationRequestParams, PkcePair, TokenRequestParams } from './arbitraries.ts';
export {
  authorizationRequestParams,
  clientRecord,
  junkParams,
  pkcePair,
  redirectUri,
  scopes,
  scopeToken,
  state,
  tokenRequestParams,
} from './arbitraries.ts';
export type { ClientStoreConformanceOptions, ClientStoreUnderTest } from './client-conformance.ts';
export { runClientStoreConformance } from './client-conformance.ts';
export { FakeClock } from './clock.ts';
export type {
  ConformanceGroup,
  StoreConformanceOptions,
  StoreContext,
  StoreUnderTest,
  SuiteAssertion,
  SuiteDescribe,
  SuiteExpect,
  SuiteTest,
  TimeMode,
} from './conformance.ts';
export { conformanceGroups, runStoreConformance } from './conformance.ts';
export type {
  InteractionStoreConformanceOptions,
  InteractionStoreUnderTest,
} from './interaction-conformance.ts';
export { runInteractionStoreConformance } from './interaction-conformance.ts';
