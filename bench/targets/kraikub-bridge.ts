/**
 * The floor's work behind Kraikub's HTTP layer: `createHandler` served by
 * `toNodeHandler`, exactly as `kraikub-memory` serves it, but with the token
 * use case answered by the floor's own work (take the code or refresh token
 * out of a `Map`, two pooled random tokens, remember the new refresh token).
 * Beside `floor` and `kraikub-memory` it splits Kraikub's cost per request
 * into its HTTP layer (this target minus the floor) and its core (the
 * Kraikub target minus this one), measured in the same run. Not a provider:
 * no client authentication, no hashing, no records.
 */
import { MemoryGrantStore } from '@kraikub/adapter-memory';
import type { AuthorizationServer, TokenResponse } from '@kraikub/core';
import { oauthError } from '@kraikub/core';
import { errAsync, okAsync } from 'neverthrow';
import { cryptoFor, kraikubTarget } from '../lib/kraikub.ts';
import { pooledToken } from '../lib/random.ts';
import { client, runTarget } from '../lib/target.ts';

runTarget(async () => {
  const { crypto } = await cryptoFor();
  const codes = new Map<string, string>();
  const refreshTokens = new Map<string, string>();
  const setup = await kraikubTarget(new MemoryGrantStore(), crypto, (server: AuthorizationServer) => ({
    ...server,
    token(request) {
      const params = request.params as URLSearchParams;
      const grant = params.get('grant_type');
      const from =
        grant === 'authorization_code' ? codes : grant === 'refresh_token' ? refreshTokens : undefined;
      const presented = grant === 'authorization_code' ? params.get('code') : params.get('refresh_token');
      const subject = presented === null || from === undefined ? undefined : from.get(presented);
      if (subject === undefined || presented === null || from === undefined) {
        return errAsync(oauthError('invalid_grant', 'The grant is invalid.'));
      }
      from.delete(presented);
      const refresh = pooledToken();
      refreshTokens.set(refresh, subject);
      const response: TokenResponse = {
        access_token: pooledToken(),
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: refresh,
        scope: client.scope,
      };
      return okAsync(response);
    },
  }));
  return {
    ...setup,
    works: ['exchange', 'refresh'],
    async mint(work, count) {
      const into = work === 'exchange' ? codes : refreshTokens;
      return Array.from({ length: count }, () => {
        const value = pooledToken();
        into.set(value, client.subject);
        return value;
      });
    },
  };
});
