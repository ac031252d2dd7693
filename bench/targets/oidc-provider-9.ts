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
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider8 from 'oidc-provider';
// @ts-expect-error: oidc-provider 9 has no types (see above).
import Provider9 from 'oidc-provider-9';
// @ts-expect-error: an internal module of oidc-provider, without types.
import MemoryAdapter from 'oidc-provider-9/lib/adapters/memory_adapter.js';
// @ts-expect-error: an internal module of oidc-provider, without types.
import LRU from 'oidc-provider-9/lib/helpers/lru.js';
import type { Work } from '../lib/protocol.ts';
import { client, parallel, runTarget } from '../lib/target.ts';

const Provider = Provider9 as typeof Provider8;
type Lru = new (options: { maxSize: number }) => unknown;
type Adapter = new (model: string, store: unknown, clockTolerance: number) => unknown;

runTarget(async () => {
  if (Number(process.versions.node.split('.')[0]) < 22)
    throw new Error(`oidc-provider 9 needs Node 22 or later; this is ${process.version} (runtime: '22')`);
  // Its own MemoryAdapter over its own LRU, one store for every model, as createMemoryAdapter builds it.
  const storage = new (LRU as Lru)({ maxSize: 50_000_000 });
  // The issuer (and the minting below) need the port before the server listens: find a free one.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const issuerPort = (probe.address() as AddressInfo).port;
  probe.close();
  // One ES256 signing key (P-256), the only key of its JWKS: its ID Tokens are ES256 like Kraikub's.
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(`http://127.0.0.1:${issuerPort}`, {
    // The default's clock tolerance too: createMemoryAdapter(configuration.clockTolerance), 15 s by default.
    adapter: ((model: string) =>
      new (MemoryAdapter as Adapter)(model, storage, 15)) as unknown as NonNullable<
      ConstructorParameters<typeof Provider8>[1]
    >['adapter'],
    jwks: { keys: [{ ...jwk, kid: 'bench-es256', alg: 'ES256', use: 'sig' }] },
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: [client.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    scopes: ['openid', client.scope],
    issueRefreshToken: async () => true,
    rotateRefreshToken: true,
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  });
  provider.on('server_error', (_ctx, error) => console.error(error));
  const found = await provider.Client.find(client.id);
  if (found === undefined) throw new Error('client not registered');
  const oidcClient = found;

  /** A code of a plain grant (scope `api`), or of an OpenID Connect one (`openid api`, a nonce). */
  async function issueCode(openid: boolean): Promise<string> {
    const scope = openid ? client.openidScope : client.scope;
    const grant = new provider.Grant({ accountId: client.subject, clientId: client.id });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    // The fields its authorization endpoint sets (actions/authorization/process_response_types.js);
    // @types/oidc-provider wrongly requires `gty`, which a code never has.
    const code = new provider.AuthorizationCode({
      accountId: client.subject,
      client: oidcClient,
      grantId,
      redirectUri: client.redirectUri,
      scope,
      authTime: Math.floor(Date.now() / 1000),
      ...(openid ? { nonce: client.nonce } : {}),
    } as ConstructorParameters<typeof provider.AuthorizationCode>[0]);
    return code.save();
  }

  return {
    path: '/token',
    port: issuerPort,
    listener: provider.callback(),
    works: ['exchange', 'refresh', 'exchange-openid'] satisfies Work[],
    async mint(work, count) {
      return parallel(count, 64, async () => {
        const code = await issueCode(work === 'exchange-openid');
        if (work !== 'refresh') return code;
        // What its token endpoint does after redeeming a code (helpers/grant_common.js issueTokens).
        const issued = await provider.AuthorizationCode.find(code);
        if (issued === undefined) throw new Error('code not found');
        await issued.consume();
        const refresh = new provider.RefreshToken({
          accountId: issued.accountId ?? client.subject,
          authTime: issued.authTime,
          client: oidcClient,
          grantId: issued.grantId ?? '',
          gty: 'authorization_code',
          rotations: 0,
          scope: issued.scope ?? client.scope,
        });
        return refresh.save();
      });
    },
  };
});
