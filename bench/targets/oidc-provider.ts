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
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import Provider from 'oidc-provider';
// @ts-expect-error: an internal module of oidc-provider, without types.
import { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';
import type { Work } from '../lib/protocol.ts';
import { client, parallel, runTarget } from '../lib/target.ts';

type QuickLru = new (options: { maxSize: number }) => unknown;

runTarget(async () => {
  // The LRU class oidc-provider itself depends on, resolved from its own folder.
  const fromProvider = createRequire(createRequire(import.meta.url).resolve('oidc-provider'));
  const { default: QuickLRU } = (await import(pathToFileURL(fromProvider.resolve('quick-lru')).href)) as {
    default: QuickLru;
  };
  (setStorage as (store: unknown) => void)(new QuickLRU({ maxSize: 50_000_000 }));
  // The issuer (and the minting below) need the port before the server listens: find a free one.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const issuerPort = (probe.address() as AddressInfo).port;
  probe.close();
  // One ES256 signing key (P-256), the only key of its JWKS: its ID Tokens are ES256 like Kraikub's.
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(`http://127.0.0.1:${issuerPort}`, {
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
