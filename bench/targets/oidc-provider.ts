/**
 * `oidc-provider` with its built-in `MemoryAdapter`, serving its token
 * endpoint from `node:http` (`provider.callback()`). A confidential client
 * with `client_secret_basic`; an OAuth 2.0 scope only (no `openid`, so no ID
 * token is signed); opaque access tokens (its default without resource
 * indicators); `issueRefreshToken` true and `rotateRefreshToken` true.
 *
 * For `exchange-openid`, the codes are minted the same way with scope
 * `openid api` and a nonce, so its token endpoint signs an ID Token per
 * request: with one ES256 (P-256) key generated at start, the client's
 * `id_token_signed_response_alg`, as Kraikub's target signs.
 *
 * Version 8.8 is the newest that supports Node 20: 9.x checks for Node 22
 * LTS at start and calls Node 20 an unsupported runtime.
 *
 * The built-in adapter keeps its records in a `quick-lru` of 1000 entries,
 * which would evict the pre-minted codes; through its own `setStorage` hook
 * it is given the same LRU, large enough to hold them. Codes are minted with
 * its `Grant` and `AuthorizationCode` models, refresh tokens by redeeming
 * such codes at its token endpoint.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Provider from 'oidc-provider';
// @ts-expect-error: an internal module of oidc-provider, without types.
import { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';
import { oidcProviderTarget } from '../lib/oidc-provider.ts';
import { runTarget } from '../lib/target.ts';

type QuickLru = new (options: { maxSize: number }) => unknown;

runTarget(async () => {
  // The LRU class oidc-provider itself depends on, resolved from its own folder.
  const fromProvider = createRequire(createRequire(import.meta.url).resolve('oidc-provider'));
  const { default: QuickLRU } = (await import(pathToFileURL(fromProvider.resolve('quick-lru')).href)) as {
    default: QuickLru;
  };
  (setStorage as (store: unknown) => void)(new QuickLRU({ maxSize: 50_000_000 }));
  return oidcProviderTarget(Provider);
});
