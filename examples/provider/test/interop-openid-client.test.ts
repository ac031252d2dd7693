/**
 * Interop with openid-client: the provider as started by `start()` on node:http
 * (once for this file, by `describeInterop`), driven over loopback HTTP by
 * the real, unmodified library. The user's part (login, consent) and the
 * tests are the same for every library: see `support/interop.ts`.
 */
import * as openid from 'openid-client';
import { challengeResponse, describeInterop, requestTimeoutMs } from './support/interop.ts';

describeInterop({
  name: 'openid-client',
  async connect(testClient, provider) {
    const auth =
      testClient.method === 'client_secret_basic'
        ? openid.ClientSecretBasic(testClient.secret)
        : testClient.method === 'client_secret_post'
          ? openid.ClientSecretPost(testClient.secret)
          : openid.None();
    const config = await openid.discovery(
      new URL(provider.issuer),
      testClient.id,
      { redirect_uris: [testClient.redirectUri], token_endpoint_auth_method: testClient.method },
      auth,
      {
        execute: [openid.allowInsecureRequests],
        algorithm: 'oauth2',
        [openid.customFetch]: provider.fetch,
        timeout: requestTimeoutMs / 1000,
      },
    );
    return {
      metadata: { ...config.serverMetadata() },
      async begin(scope) {
        const verifier = openid.randomPKCECodeVerifier();
        const state = openid.randomState();
        const url = openid.buildAuthorizationUrl(config, {
          redirect_uri: testClient.redirectUri,
          scope,
          state,
          code_challenge: await openid.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        return {
          url,
          finish: (callback) =>
            openid.authorizationCodeGrant(config, callback, {
              pkceCodeVerifier: verifier,
              expectedState: state,
            }),
        };
      },
      refresh: (refreshToken) => openid.refreshTokenGrant(config, refreshToken),
      async introspect(token) {
        return { ...(await openid.tokenIntrospection(config, token)) };
      },
      revoke: (token) => openid.tokenRevocation(config, token),
      me: (accessToken) =>
        challengeResponse(
          () =>
            openid.fetchProtectedResource(config, accessToken, new URL('/api/me', provider.issuer), 'GET'),
          openid.WWWAuthenticateChallengeError,
        ),
    };
  },
});
