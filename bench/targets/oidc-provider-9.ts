/**
 * `oidc-provider` 9.x, its newest release, which requires Node 22 (9.x checks
 * for Node 22 LTS at start and calls older Nodes unsupported): this target
 * runs on the `node` package's Node 22 (`runtime: '22'`), beside the floor and
 * Kraikub on Node 22. The same work as the 8.x target (`oidc-provider.ts`):
 * its token endpoint served from `node:http` (`provider.callback()`, the
 * provider is now the Koa app itself), a confidential client with
 * `client_secret_basic`, an OAuth 2.0 scope only (no `openid`, so no ID
 * token), opaque access tokens, `issueRefreshToken` true and
 * `rotateRefreshToken` true; for `exchange-openid`, codes of scope
 * `openid api` with a nonce, and one ES256 (P-256) key to sign ID Tokens
 * (with its own jose 6).
 *
 * What changed from 8.x for the target: the built-in memory adapter no
 * longer reads the module-wide storage that `setStorage` replaces; each
 * provider creates its own LRU of 1,000 entries (`createMemoryAdapter`),
 * which would evict the pre-minted codes. So the provider is given, as its
 * `adapter`, a factory of the very same `MemoryAdapter` class over its own
 * `LRU` helper class, large enough (what the default does, but for the
 * size). Codes come from its `Grant` and `AuthorizationCode` models,
 * refresh tokens from its `RefreshToken` model as its token endpoint
 * creates them (helpers/grant_common.js).
 *
 * 9.x ships no types; its API as used here is the one `@types/oidc-provider`
 * 8.8.1 describes.
 */
import type Provider8 from 'oidc-provider';
// @ts-expect-error: oidc-provider 9 has no types (see above).
import Provider9 from 'oidc-provider-9';
// @ts-expect-error: an internal module of oidc-provider, without types.
import MemoryAdapter from 'oidc-provider-9/lib/adapters/memory_adapter.js';
// @ts-expect-error: an internal module of oidc-provider, without types.
import LRU from 'oidc-provider-9/lib/helpers/lru.js';
import { oidcProviderTarget, type ProviderAdapter } from '../lib/oidc-provider.ts';
import { runTarget } from '../lib/target.ts';

type Lru = new (options: { maxSize: number }) => unknown;
type Adapter = new (model: string, store: unknown, clockTolerance: number) => unknown;

runTarget(async () => {
  if (Number(process.versions.node.split('.')[0]) < 22)
    throw new Error(`oidc-provider 9 needs Node 22 or later; this is ${process.version} (runtime: '22')`);
  // Its own MemoryAdapter over its own LRU, one store for every model, as createMemoryAdapter builds it.
  const storage = new (LRU as Lru)({ maxSize: 50_000_000 });
  // The default's clock tolerance too: createMemoryAdapter(configuration.clockTolerance), 15 s by default.
  const adapter = ((model: string) =>
    new (MemoryAdapter as Adapter)(model, storage, 15)) as unknown as ProviderAdapter;
  return oidcProviderTarget(Provider9 as typeof Provider8, adapter);
});
