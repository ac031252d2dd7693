import type {
  AuthorizationRequest,
  AuthorizationResponse,
  AuthorizationServer,
  ClientStore,
  GrantStore,
  IntrospectionResponse,
  OAuthError,
  OAuthErrorCode,
  OAuthErrorOf,
  TokenResponse,
} from '@kraikub/core';
import { createAuthorizationServer, oauthError } from '@kraikub/core';
import type { ResultAsync } from 'neverthrow';
import { describe, expectTypeOf, test } from 'vitest';

describe('public API types', () => {
  test('createAuthorizationServer returns an AuthorizationServer', () => {
    expectTypeOf(createAuthorizationServer).returns.toEqualTypeOf<AuthorizationServer>();
    expectTypeOf(createAuthorizationServer).parameter(0).toHaveProperty('store').toEqualTypeOf<GrantStore>();
    expectTypeOf(createAuthorizationServer)
      .parameter(0)
      .toHaveProperty('clients')
      .toEqualTypeOf<ClientStore>();
  });

  test('use cases return ResultAsync with OAuthError', () => {
    expectTypeOf<AuthorizationServer['token']>().returns.toEqualTypeOf<
      ResultAsync<TokenResponse, OAuthError>
    >();
    expectTypeOf<AuthorizationServer['authorize']>().returns.toEqualTypeOf<
      ResultAsync<AuthorizationRequest, OAuthError>
    >();
    expectTypeOf<AuthorizationServer['introspect']>().returns.toEqualTypeOf<
      ResultAsync<IntrospectionResponse, OAuthError>
    >();
    expectTypeOf<AuthorizationServer['deny']>().returns.toEqualTypeOf<AuthorizationResponse>();
  });

  test('OAuthError is a union discriminated on error', () => {
    expectTypeOf<OAuthError['error']>().toEqualTypeOf<OAuthErrorCode>();
    expectTypeOf<OAuthErrorOf<'invalid_client'>>().toHaveProperty('basicAuth').toEqualTypeOf<boolean>();
    expectTypeOf<OAuthErrorOf<'invalid_grant'>>().not.toHaveProperty('basicAuth');
    expectTypeOf(oauthError('invalid_grant', 'x')).toEqualTypeOf<OAuthErrorOf<'invalid_grant'>>();
    // @ts-expect-error invalid_client needs basicAuth: build it with invalidClient()
    oauthError('invalid_client', 'x');
  });

  test('token responses are Bearer with an optional refresh token', () => {
    expectTypeOf<TokenResponse['token_type']>().toEqualTypeOf<'Bearer'>();
    expectTypeOf<TokenResponse['refresh_token']>().toEqualTypeOf<string | undefined>();
  });

  test('an inactive introspection response has nothing but active: false', () => {
    type Inactive = Extract<IntrospectionResponse, { active: false }>;
    expectTypeOf<keyof Inactive>().toEqualTypeOf<'active'>();
  });
});
