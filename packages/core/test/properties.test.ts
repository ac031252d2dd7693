import { MemoryGrantStore } from '@kraikub/adapter-memory';
import { type GrantStore, isOAuthError } from '@kraikub/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  basicAuth,
  exchange,
  harness,
  introspectAs,
  issueCode,
  pkcePair,
  SECRETS,
  TestClock,
} from './support.ts';

const asBasic = basicAuth('basic-client', SECRETS.basic);
const runs = { numRuns: 100 };

/** Every store call resolves only when the fast-check scheduler says so: any interleaving. */
function scheduled(inner: GrantStore, s: fc.Scheduler): GrantStore {
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => s.schedule(Promise.resolve(value.apply(target, args)), String(name));
    },
  });
}

describe('grant rules hold for any input (fast-check)', () => {
  test('RFC 6749 §4.1.2: a code is redeemable at most once under any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 8 }), async (s, attempts) => {
        const clock = new TestClock();
        const inner = new MemoryGrantStore({ clock });
        const h = await harness({ store: inner });
        const { code } = await issueCode(h);
        const h2 = await harness({ store: scheduled(inner, s) });
        h2.clock.time = clock.time;
        const pending = Array.from({ length: attempts }, () => exchange(h2, code));
        // waitFor releases scheduled store calls, in the order fast-check picks, until all settle.
        const results = await s.waitFor(Promise.all(pending));
        const wins = results.filter((r) => r.isOk());
        expect(wins.length).toBeLessThanOrEqual(1);
        // A replay revokes the grant: whoever won holds tokens that are no longer active.
        for (const win of wins) {
          expect(await introspectAs(h, win._unsafeUnwrap().access_token)).toEqual({ active: false });
        }
      }),
      runs,
    );
  });

  test('RFC 6749 §4.1.3, RFC 7636 §4.6: any mismatch of client, redirect URI or verifier fails', async () => {
    const pkce = await pkcePair();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('right', 'other-client', 'no-auth'),
        fc.constantFrom(
          'https://client.example/callback',
          'https://client.example/other?x=1',
          'https://client.example/callback/',
          undefined,
        ),
        fc.oneof(
          fc.constant(pkce.verifier),
          fc.constant(undefined),
          fc.stringMatching(/^[A-Za-z0-9._~-]{43,60}$/),
        ),
        async (who, redirectUri, verifier) => {
          const h = await harness();
          const { code } = await issueCode(h, {
            code_challenge: pkce.challenge,
            code_challenge_method: 'S256',
          });
          const params: Record<string, string> = { grant_type: 'authorization_code', code };
          if (redirectUri !== undefined) params.redirect_uri = redirectUri;
          if (verifier !== undefined) params.code_verifier = verifier;
          let authorization: string | undefined = asBasic;
          if (who === 'other-client') {
            authorization = undefined;
            Object.assign(params, { client_id: 'post-client', client_secret: SECRETS.post });
          }
          if (who === 'no-auth') authorization = undefined;
          const result = await h.server.token({ params, authorization });
          const legit =
            who === 'right' &&
            redirectUri === 'https://client.example/callback' &&
            verifier === pkce.verifier;
          expect(result.isOk()).toBe(legit);
        },
      ),
      runs,
    );
  });

  const universe = ['profile', 'email', 'offline', 'admin', 'openid'];
  const allowed = ['profile', 'email', 'offline'];

  test('RFC 6749 §3.3: granted scope ⊆ requested ⊆ the client allowed, through to the token', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...universe), { minLength: 1 }),
        fc.func(fc.boolean()),
        async (requested, keep) => {
          const h = await harness();
          const authz = await h.server.authorize({
            response_type: 'code',
            client_id: 'basic-client',
            redirect_uri: 'https://client.example/callback',
            scope: requested.join(' '),
          });
          if (!requested.every((scope) => allowed.includes(scope))) {
            expect(authz.isErr() && authz.error.error).toBe('invalid_scope');
            return;
          }
          const request = authz._unsafeUnwrap();
          expect(request.scopes.every((scope) => allowed.includes(scope))).toBe(true);
          const granted = request.scopes.filter((scope) => keep(scope));
          const response = (
            await h.server.approve(request, { subject: 'u', scopes: granted })
          )._unsafeUnwrap();
          const tokens = (await exchange(h, response.parameters.code ?? ''))._unsafeUnwrap();
          const issued = tokens.scope === '' ? [] : tokens.scope.split(' ');
          expect(issued.every((scope) => granted.includes(scope))).toBe(true);
          expect(granted.every((scope) => request.scopes.includes(scope))).toBe(true);
        },
      ),
      runs,
    );
  });

  test('RFC 6749 §6: a refresh chain never widens scope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.option(fc.uniqueArray(fc.constantFrom(...universe), { minLength: 1 }), { nil: undefined }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        async (asks) => {
          const h = await harness();
          const { code } = await issueCode(h, { scope: 'profile email' });
          const first = (await exchange(h, code))._unsafeUnwrap();
          let refreshToken = first.refresh_token ?? '';
          for (const ask of asks) {
            const params: Record<string, string> = {
              grant_type: 'refresh_token',
              refresh_token: refreshToken,
            };
            if (ask !== undefined) params.scope = ask.join(' ');
            const result = await h.server.token({ params, authorization: asBasic });
            const within = ask === undefined || ask.every((scope) => ['profile', 'email'].includes(scope));
            expect(result.isOk()).toBe(within);
            if (result.isErr()) {
              expect(result.error.error).toBe('invalid_scope');
              continue;
            }
            const scopes = result.value.scope.split(' ');
            expect(scopes.every((scope) => ['profile', 'email'].includes(scope))).toBe(true);
            expect(await introspectAs(h, result.value.refresh_token ?? '')).toMatchObject({
              scope: 'profile email',
            });
            refreshToken = result.value.refresh_token ?? '';
          }
        },
      ),
      runs,
    );
  });

  test('RFC 9700 §4.14.2, §4.2.4: after any replay or reuse, no token of that grant is active', async () => {
    type Step = 'refresh-latest' | 'refresh-old' | 'replay-code';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Step>('refresh-latest', 'refresh-old', 'replay-code'), {
          minLength: 1,
          maxLength: 8,
        }),
        async (steps) => {
          const h = await harness();
          const { code } = await issueCode(h);
          const first = (await exchange(h, code))._unsafeUnwrap();
          const issued = [first.access_token, first.refresh_token ?? ''];
          const refreshTokens = [first.refresh_token ?? ''];
          let attacked = false;
          for (const step of steps) {
            if (step === 'replay-code') {
              expect((await exchange(h, code)).isErr()).toBe(true);
              attacked = true;
              continue;
            }
            const token = step === 'refresh-latest' ? refreshTokens.at(-1) : refreshTokens.at(0);
            const reuse = step === 'refresh-old' && refreshTokens.length > 1;
            const result = await h.server.token({
              params: { grant_type: 'refresh_token', refresh_token: token ?? '' },
              authorization: asBasic,
            });
            if (reuse) attacked = true;
            if (attacked) expect(result.isErr()).toBe(true);
            if (result.isOk()) {
              issued.push(result.value.access_token, result.value.refresh_token ?? '');
              refreshTokens.push(result.value.refresh_token ?? '');
            }
          }
          if (attacked) {
            for (const token of issued) expect(await introspectAs(h, token)).toEqual({ active: false });
          }
        },
      ),
      runs,
    );
  });

  test('RFC 6749 §4.1.2: state round-trips byte-exact for any string', async () => {
    const h = await harness();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), async (state) => {
        const { url } = await issueCode(h, { state });
        expect(url.searchParams.get('state')).toBe(state);
      }),
      { numRuns: 300 },
    );
  });

  test('RFC 6749 §5.2: random junk input always yields an OAuthError, never a throw', async () => {
    const h = await harness();
    const junkParams = fc.oneof(
      fc.anything(),
      fc.dictionary(
        fc.constantFrom(
          'grant_type',
          'code',
          'client_id',
          'client_secret',
          'token',
          'refresh_token',
          'scope',
          'redirect_uri',
          'response_type',
          'state',
          'code_challenge',
          'code_challenge_method',
          'code_verifier',
        ),
        fc.oneof(fc.string(), fc.array(fc.string()), fc.anything()),
      ),
      fc.array(fc.tuple(fc.string(), fc.string())),
    );
    const junkHeader = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.string().map((s) => `Basic ${s}`),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(junkParams, junkHeader, async (params, authorization) => {
        const outcomes = [
          await h.server.authorize(params as never),
          await h.server.token({ params: params as never, authorization: authorization as never }),
          await h.server.revoke({ params: params as never, authorization: authorization as never }),
          await h.server.introspect({ params: params as never, authorization: authorization as never }),
        ];
        for (const outcome of outcomes) {
          if (outcome.isErr()) {
            expect(isOAuthError(outcome.error)).toBe(true);
            expect(outcome.error.description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/);
            expect(['server_error', 'temporarily_unavailable']).not.toContain(outcome.error.error);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
