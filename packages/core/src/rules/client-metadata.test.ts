import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { clientRecordSchema } from '../config.ts';
import { clientFieldsFromMetadata, metadataOfClient, offeredScopes } from './client-metadata.ts';

const offered = ['profile', 'email', 'offline_access', 'mcp:tools'];
const policy = { scopes: offered };

/** Redirect URIs a client may register. */
const goodRedirect = fc.oneof(
  fc.webPath().map((path) => `https://app.example${path.startsWith('/') ? path : `/${path}`}`),
  fc.integer({ min: 1, max: 65535 }).map((port) => `http://127.0.0.1:${port}/callback`),
  fc.integer({ min: 1, max: 65535 }).map((port) => `http://localhost:${port}/cb`),
  fc.constantFrom('com.example.app:/cb', 'dev.kraikub.cli:/oauth'),
);

/** Redirect URIs no client may register. */
const badRedirect = fc.oneof(
  fc.domain().map((host) => `http://${host}/cb`),
  fc.constantFrom(
    'javascript:alert(1)',
    'data:text/html,x',
    'https://app.example/cb#fragment',
    'myapp:/cb',
    'file:///etc/passwd',
    '/relative',
    '',
  ),
);

/** Metadata the rules accept. */
const goodMetadata = fc.record(
  {
    redirect_uris: fc.array(goodRedirect, { minLength: 1, maxLength: 4 }),
    token_endpoint_auth_method: fc.constantFrom('none', 'client_secret_basic', 'client_secret_post'),
    grant_types: fc.constantFrom(['authorization_code'], ['authorization_code', 'refresh_token']),
    client_name: fc.string({ minLength: 1, maxLength: 60 }),
    scope: fc.subarray(offered, { minLength: 1 }).map((scopes) => scopes.join(' ')),
    client_uri: fc.constant('https://app.example/'),
    contacts: fc.array(fc.emailAddress(), { maxLength: 3 }),
  },
  { requiredKeys: ['redirect_uris'] },
);

describe('clientFieldsFromMetadata (RFC 7591 section 2)', () => {
  test('property: accepted metadata makes a valid record: scopes among the offered, PKCE required', () => {
    fc.assert(
      fc.property(goodMetadata, (metadata) => {
        const fields = clientFieldsFromMetadata(metadata, policy, 'registration');
        expect(fields.isOk()).toBe(true);
        const value = fields._unsafeUnwrap();
        expect(value.requirePkce).toBe(true);
        expect(value.scopes.every((scope) => offered.includes(scope))).toBe(true);
        expect(value.redirectUris).toEqual(metadata.redirect_uris);
        const secretHash = value.tokenEndpointAuthMethod === 'none' ? {} : { secretHash: 'A'.repeat(43) };
        expect(clientRecordSchema.safeParse({ id: 'x', ...value, ...secretHash }).success).toBe(true);
      }),
    );
  });

  test('property: what a registration answers, sent back as an update, makes the same record', () => {
    fc.assert(
      fc.property(goodMetadata, (metadata) => {
        const first = clientFieldsFromMetadata(metadata, policy, 'registration')._unsafeUnwrap();
        const echoed = metadataOfClient({ id: 'x', ...first });
        const again = clientFieldsFromMetadata(echoed, policy, 'registration')._unsafeUnwrap();
        // The defaults a request without scope gets are the registered scope, when one was sent.
        expect({ ...again, defaultScopes: first.defaultScopes }).toEqual(first);
      }),
    );
  });

  test('property: one redirect URI outside https, loopback http and reverse-domain schemes refuses the whole registration', () => {
    fc.assert(
      fc.property(goodMetadata, badRedirect, fc.nat(), (metadata, bad, at) => {
        const uris = [...metadata.redirect_uris];
        uris.splice(at % (uris.length + 1), 0, bad);
        const refused = clientFieldsFromMetadata(
          { ...metadata, redirect_uris: uris },
          policy,
          'registration',
        );
        expect(refused.isErr() && refused.error.error).toBe('invalid_redirect_uri');
      }),
    );
  });

  test('property: a scope the server does not offer refuses the registration', () => {
    fc.assert(
      fc.property(
        goodMetadata,
        fc.stringMatching(/^[a-z:]{1,12}$/).filter((scope) => !offered.includes(scope)),
        (metadata, unknown) => {
          const refused = clientFieldsFromMetadata(
            { ...metadata, scope: `${metadata.scope ?? 'profile'} ${unknown}` },
            policy,
            'registration',
          );
          expect(refused.isErr() && refused.error.error).toBe('invalid_client_metadata');
        },
      ),
    );
  });

  test('property: a metadata document is always a public client', () => {
    fc.assert(
      fc.property(goodMetadata, (metadata) => {
        const fields = clientFieldsFromMetadata(metadata, policy, 'document');
        if (
          metadata.token_endpoint_auth_method === undefined ||
          metadata.token_endpoint_auth_method === 'none'
        ) {
          expect(fields._unsafeUnwrap().tokenEndpointAuthMethod).toBe('none');
        } else {
          expect(fields.isErr() && fields.error.error).toBe('invalid_client_metadata');
        }
      }),
    );
  });

  test('property: arbitrary JSON never throws; it is a client or an RFC 7591 error with an ASCII description', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = clientFieldsFromMetadata(value, policy, 'registration');
        if (result.isErr()) {
          expect(['invalid_client_metadata', 'invalid_redirect_uri', 'invalid_software_statement']).toContain(
            result.error.error,
          );
          expect(result.error.description).toMatch(/^[\x20-\x7e]+$/);
        }
      }),
    );
  });

  test('defaults: client_secret_basic, authorization_code, code; no scope means every offered scope', () => {
    const fields = clientFieldsFromMetadata(
      { redirect_uris: ['https://a.example/cb'] },
      policy,
      'registration',
    );
    expect(fields._unsafeUnwrap()).toMatchObject({
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code'],
      scopes: offered,
      name: 'Unnamed client',
    });
    expect(fields._unsafeUnwrap()).not.toHaveProperty('defaultScopes');
  });

  test('offeredScopes adds openid only with a signer', () => {
    expect(offeredScopes({ profile: 'p' }, false)).toEqual(['profile']);
    expect(offeredScopes({ profile: 'p' }, true)).toEqual(['profile', 'openid']);
    expect(offeredScopes({ openid: 'o', profile: 'p' }, true)).toEqual(['openid', 'profile']);
  });
});
