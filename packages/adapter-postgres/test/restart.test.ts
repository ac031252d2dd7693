import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresClientStore, PostgresGrantStore, PostgresInteractionStore } from '../src/index.ts';
import { CLIENT_ID, clientRegistration, exchangeParams, interactiveProvider, post } from './support/flow.ts';
import { findPostgres, reportSkipped, type TestSchema, testPool, testSchema } from './support/postgres.ts';

// A restart of the provider: a new pool and new stores on the same schema. Everything the
// first one stored is there for the second: unredeemed codes, tokens, rotations, replay
// tombstones, revocations, pending interactions, clients.

if (!(await findPostgres())) {
  reportSkipped('restart of the provider');
} else {
  let db: TestSchema;
  beforeAll(async () => {
    db = await testSchema('restart');
  });
  afterAll(() => db?.drop());

  function providerOn(pool: ReturnType<typeof testPool>) {
    const { schema } = db;
    const clients = new PostgresClientStore({ pool, schema, cacheTtlMs: 60_000 });
    return {
      clients,
      provider: interactiveProvider({
        grants: new PostgresGrantStore({ pool, schema }),
        clients,
        interactions: new PostgresInteractionStore({ pool, schema }),
      }),
    };
  }

  const introspect = async (p: Awaited<ReturnType<typeof interactiveProvider>>, token: string) =>
    ((await (await p.handler(post('/introspect', { token }))).json()) as { active: boolean }).active;

  describe('restart', () => {
    test('a new pool and new stores on the same schema lose nothing', async () => {
      // Before: the first provider process.
      const before = testPool(5);
      const first = providerOn(before);
      await first.clients.register(await clientRegistration());
      const p1 = await first.provider;

      const pending = await p1.start();
      const waiting = await p1.start();
      const unredeemed = { ...waiting, code: (await p1.login(waiting.interaction)) as string };

      const used = await p1.start();
      const usedCode = (await p1.login(used.interaction)) as string;
      const live = (await (
        await p1.handler(post('/token', exchangeParams(usedCode, used.verifier)))
      ).json()) as {
        access_token: string;
        refresh_token: string;
      };
      const rotated = (await (
        await p1.handler(post('/token', { grant_type: 'refresh_token', refresh_token: live.refresh_token }))
      ).json()) as { access_token: string; refresh_token: string };

      const doomed = await p1.start();
      const doomedCode = (await p1.login(doomed.interaction)) as string;
      const revoked = (await (
        await p1.handler(post('/token', exchangeParams(doomedCode, doomed.verifier)))
      ).json()) as { access_token: string; refresh_token: string };
      expect((await p1.handler(post('/token', exchangeParams(doomedCode, doomed.verifier)))).status).toBe(
        400,
      );

      await before.end();

      // After: a new process, a new pool, new stores (cold client cache).
      const after = testPool(5);
      try {
        const second = providerOn(after);
        const p2 = await second.provider;
        expect(await second.clients.findClient(CLIENT_ID), 'the client').toEqual(await clientRegistration());

        expect(await introspect(p2, rotated.access_token), 'a live access token').toBe(true);
        expect(await introspect(p2, rotated.refresh_token), 'a live refresh token').toBe(true);
        expect(await introspect(p2, revoked.access_token), 'a token of a revoked grant').toBe(false);
        expect(await introspect(p2, revoked.refresh_token), 'a token of a revoked grant').toBe(false);

        // The rotation survived: the old refresh token is a reuse, which revokes its grant.
        const reuse = await p2.handler(
          post('/token', { grant_type: 'refresh_token', refresh_token: live.refresh_token }),
        );
        expect(reuse.status, 'reuse of a rotated refresh token').toBe(400);
        expect(await introspect(p2, rotated.access_token), 'revoked by the reuse').toBe(false);

        // The code tombstone survived: a replay is refused.
        expect((await p2.handler(post('/token', exchangeParams(usedCode, used.verifier)))).status).toBe(400);

        // The unredeemed code is good, once.
        const late = await p2.handler(post('/token', exchangeParams(unredeemed.code, unredeemed.verifier)));
        expect(late.status, 'an unredeemed code').toBe(200);

        // The pending interaction completes on the new process, once.
        const code = await p2.login(pending.interaction);
        expect(code, 'the pending interaction').toMatch(/^kbc_/);
        expect(await p2.login(pending.interaction), 'and only once').toBeUndefined();
        const exchanged = await p2.handler(post('/token', exchangeParams(code as string, pending.verifier)));
        expect(exchanged.status).toBe(200);
      } finally {
        await after.end();
      }
    });
  });
}
