import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import { parseConfig } from '../config.ts';
import type { ClientRecord } from '../ports.ts';
import { audienceScopes, narrowResources, requestedResources, wantsJwt } from './resource.ts';

const resources = ['https://a.example', 'https://b.example/api', 'urn:example:c'];
const config = parseConfig({
  issuer: 'https://id.example',
  scopes: { read: 'r', write: 'w', profile: 'p' },
  resourceServers: [
    { resource: resources[0], scopes: ['read'], accessTokenFormat: 'jwt' },
    { resource: resources[1], scopes: ['read', 'write'] },
    { resource: resources[2] },
  ],
});
const client: ClientRecord = {
  id: 'c',
  name: 'C',
  redirectUris: ['https://c.example/cb'],
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code'],
  scopes: ['read', 'write', 'profile'],
};

const anyValue = fc.oneof(fc.constantFrom(...resources, 'https://unknown.example', ''), fc.string());
const scopeList = fc.subarray(['read', 'write', 'profile']);

describe('requestedResources (RFC 8707 §2)', () => {
  test('registered values come back as the registered strings, each once, in order', () => {
    expect(
      okValue(requestedResources([resources[1], resources[0], resources[1]] as string[], client, config)),
    ).toEqual([resources[1], resources[0]]);
  });

  test('an unregistered or disallowed value is invalid_target', () => {
    expect(errValue(requestedResources(['https://unknown.example'], client, config)).error).toBe(
      'invalid_target',
    );
    const limited = { ...client, resources: [resources[0] as string] };
    expect(errValue(requestedResources([resources[1] as string], limited, config)).error).toBe(
      'invalid_target',
    );
  });

  test('property: the result is always registered and allowed; or the request named something else', () => {
    fc.assert(
      fc.property(
        fc.array(anyValue, { maxLength: 5 }),
        fc.option(fc.subarray(resources)),
        (values, allowed) => {
          const who = allowed === null ? client : { ...client, resources: allowed };
          const result = requestedResources(values, who, config);
          const named = values.filter((v) => v !== '');
          if (result.isOk()) {
            for (const r of result.value) {
              expect(resources).toContain(r);
              expect(allowed === null || allowed.includes(r)).toBe(true);
            }
            expect(new Set(result.value).size).toBe(result.value.length);
            expect(new Set(result.value)).toEqual(new Set(named));
          } else {
            expect(
              named.some((v) => !resources.includes(v) || (allowed !== null && !allowed.includes(v))),
            ).toBe(true);
          }
        },
      ),
    );
  });
});

describe('narrowResources (RFC 8707 §2.2)', () => {
  test('property: never widens; names nothing → everything granted', () => {
    fc.assert(
      fc.property(fc.subarray(resources), fc.array(anyValue, { maxLength: 4 }), (granted, values) => {
        const result = narrowResources(values, granted);
        const named = values.filter((v) => v !== '');
        if (named.length === 0) expect(okValue(result)).toEqual(granted);
        else if (result.isOk()) for (const r of result.value) expect(granted).toContain(r);
        else expect(named.some((v) => !granted.includes(v))).toBe(true);
      }),
    );
  });
});

describe('audienceScopes', () => {
  test('the scopes any resource of the audience accepts; a resource without a list accepts all', () => {
    expect(audienceScopes(['read', 'write', 'profile'], [resources[0] as string], config)).toEqual(['read']);
    expect(audienceScopes(['read', 'write', 'profile'], resources.slice(0, 2), config)).toEqual([
      'read',
      'write',
    ]);
    expect(audienceScopes(['read', 'write', 'profile'], resources, config)).toEqual([
      'read',
      'write',
      'profile',
    ]);
    expect(audienceScopes(['write'], [], config)).toEqual(['write']);
  });

  test('property: a subset of the granted scopes, in their order', () => {
    fc.assert(
      fc.property(scopeList, fc.subarray(resources), (scopes, audience) => {
        const kept = audienceScopes(scopes, audience, config);
        expect(kept.every((s) => scopes.includes(s))).toBe(true);
        expect([...kept]).toEqual(scopes.filter((s) => kept.includes(s)));
      }),
    );
  });
});

describe('wantsJwt (RFC 9068)', () => {
  test('only when every resource of a non-empty audience wants JWTs', () => {
    expect(wantsJwt([resources[0] as string], config)).toBe(true);
    expect(wantsJwt(resources.slice(0, 2), config)).toBe(false);
    expect(wantsJwt([], config)).toBe(false);
  });
});
