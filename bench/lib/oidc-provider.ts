/**
 * What the `oidc-provider` targets (8.x on Node 20, `targets/oidc-provider.ts`;
 * 9.x on Node 22, `targets/oidc-provider-9.ts`) share: the provider configured
 * for the benchmark's work (a confidential client with `client_secret_basic`,
 * `issueRefreshToken` and `rotateRefreshToken`, one ES256 key for the ID
 * Tokens of `exchange-openid`), and codes and refresh tokens minted through its
 * own models. The versions differ only in how its memory adapter is given a
 * store large enough to hold the pre-minted codes: each target does that and
 * passes the result in `adapter` (9.x) or beforehand (8.x, `setStorage`).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { Work } from './protocol.ts';
import { client, parallel, type TargetSetup } from './target.ts';

/** The provider's configuration option for a memory adapter of the target's own (9.x). */
export type ProviderAdapter = NonNullable<ConstructorParameters<typeof Provider>[1]>['adapter'];

/** Builds the target on `ProviderClass` (8.x, or 9.x typed as 8.x: 9.x ships no types). */
export async function oidcProviderTarget(
  ProviderClass: typeof Provider,
  adapter?: ProviderAdapter,
): Promise<TargetSetup> {
  // The issuer (and the minting below) need the port before the server listens: find a free one.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const issuerPort = (probe.address() as AddressInfo).port;
  probe.close();
  // One ES256 signing key (P-256), the only key of its JWKS: its ID Tokens are ES256 like Kraikub's.
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const provider = new ProviderClass(`http://127.0.0.1:${issuerPort}`, {
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
    ...(adapter === undefined ? {} : { adapter }),
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
}
