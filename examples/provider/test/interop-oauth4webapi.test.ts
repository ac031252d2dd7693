/**
 * Interop with oauth4webapi: the provider as started by `start()` on node:http
 * (once for this file, by `describeInterop`), driven over loopback HTTP by
 * the real, unmodified library. The user's part (login, consent) and the
 * tests are the same for every library: see `support/interop.ts`.
 */
import * as oauth from 'oauth4webapi';
import { challengeResponse, describeInterop, requestTimeoutMs } from './support/interop.ts';

describeInterop({
  name: 'oauth4webapi',
  async connect(testClient, provider) {
    const issuer = new URL(provider.issuer);
    const options = {
      [oauth.allowInsecureRequests]: true,
      [oauth.customFetch]: provider.fetch,
      signal: AbortSignal.timeout(requestTimeoutMs),
    };
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }),
    );
    const client: oauth.Client = { client_id: testClient.id };
    const auth =
      testClient.method === 'client_secret_basic'
        ? oauth.ClientSecretBasic(testClient.secret ?? '')
        : testClient.method === 'client_secret_post'
          ? oauth.ClientSecretPost(testClient.secret ?? '')
          : oauth.None();
    return {
      metadata: { ...as },
      async begin(scope) {
        const verifier = oauth.generateRandomCodeVerifier();
        const state = oauth.generateRandomState();
        const url = new URL(as.authorization_endpoint ?? '');
        url.search = new URLSearchParams({
          response_type: 'code',
          client_id: testClient.id,
          redirect_uri: testClient.redirectUri,
          scope,
          state,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        }).toString();
        return {
          url,
          async finish(callback) {
            const params = oauth.validateAuthResponse(as, client, callback, state);
            const response = await oauth.authorizationCodeGrantRequest(
              as,
              client,
              auth,
              params,
              testClient.redirectUri,
              verifier,
              options,
            );
            return oauth.processAuthorizationCodeResponse(as, client, response);
          },
        };
      },
      async refresh(refreshToken) {
        const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, options);
        return oauth.processRefreshTokenResponse(as, client, response);
      },
      async introspect(token) {
        const response = await oauth.introspectionRequest(as, client, auth, token, options);
        return { ...(await oauth.processIntrospectionResponse(as, client, response)) };
      },
      async revoke(token) {
        await oauth.processRevocationResponse(
          await oauth.revocationRequest(as, client, auth, token, options),
        );
      },
      me(accessToken) {
        return challengeResponse(
          () =>
            oauth.protectedResourceRequest(
              accessToken,
              'GET',
              new URL('/api/me', as.issuer),
              undefined,
              undefined,
              options,
            ),
          oauth.WWWAuthenticateChallengeError,
        );
      },
    };
  },
});
