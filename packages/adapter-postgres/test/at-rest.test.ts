import { sha256Base64url, webCrypto } from '@kraikub/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresClientStore, PostgresGrantStore, PostgresInteractionStore } from '../src/index.ts';
import {
  CLIENT_SECRET,
  clientRegistration,
  exchangeParams,
  interactiveProvider,
  post,
} from './support/flow.ts';
import { dumpSchema, findPostgres, reportSkipped, type TestSchema, testSchema } from './support/postgres.ts';

// DESIGN section 4: at rest only SHA-256 hashes of codes, tokens and secrets. Real traffic
// goes through a provider on the three stores; then every row of every table of the
// schema is dumped, and no raw code, token, interaction id or client secret is in it.

if (!(await findPostgres())) {
  reportSkipped('nothing raw at rest');
} else {
  let db: TestSchema;
  beforeAll(async () => {
    db = await testSchema('at_rest');
  });
  afterAll(() => db?.drop());

  describe('at rest', () => {
    test('after logins, exchanges, refreshes, introspections, revocations and pending interactions, a dump of every table holds hashes only', async () => {
      const { pool, schema } = db;
      const clients = new PostgresClientStore({ pool, schema });
      await clients.register(await clientRegistration());
      const p = await interactiveProvider({
        grants: new PostgresGrantStore({ pool, schema }),
        clients,
        interactions: new PostgresInteractionStore({ pool, schema }),
      });
      const secrets: string[] = [CLIENT_SECRET];
      for (let i = 0; i < 5; i++) {
        const { interaction, verifier } = await p.start();
        const code = (await p.login(interaction)) as string;
        secrets.push(interaction, code);
        const exchanged = await p.handler(post('/token', exchangeParams(code, verifier)));
        expect(exchanged.status).toBe(200);
        const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };
        const refreshed = await p.handler(
          post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
        );
        expect(refreshed.status).toBe(200);
        const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
        secrets.push(tokens.access_token, tokens.refresh_token, next.access_token, next.refresh_token);
        expect(
          await (await p.handler(post('/introspect', { token: next.access_token }))).json(),
        ).toMatchObject({
          active: true,
        });
        if (i % 2 === 0) {
          expect((await p.handler(post('/revoke', { token: next.refresh_token }))).status).toBe(200);
        }
        if (i === 4) {
          // A replayed code revokes its grant (a tombstone).
          expect((await p.handler(post('/token', exchangeParams(code, verifier)))).status).toBe(400);
        }
      }
      // Pending interactions too, and a code never redeemed.
      for (let i = 0; i < 3; i++) secrets.push((await p.start()).interaction);
      const { interaction } = await p.start();
      const unredeemed = (await p.login(interaction)) as string;
      secrets.push(interaction, unredeemed);

      const dump = await dumpSchema(pool, schema);
      const rows = JSON.parse(dump) as Record<string, unknown[]>;
      for (const table of [
        'codes',
        'access_tokens',
        'refresh_tokens',
        'revoked_grants',
        'interactions',
        'clients',
      ]) {
        expect(rows[table]?.length, `rows in ${table}`).toBeGreaterThan(0);
      }
      // The dump is real: it holds the hash of the code never redeemed, under which core finds it.
      expect(dump).toContain(await sha256Base64url(webCrypto, unredeemed));
      for (const secret of secrets) {
        const secretPart = secret.includes('.') ? secret.slice(secret.indexOf('.') + 1) : secret;
        expect(dump.includes(secret), `raw ${secret.slice(0, 4)}... is at rest`).toBe(false);
        expect(dump.includes(secretPart), `secret part of ${secret.slice(0, 4)}... is at rest`).toBe(false);
      }
    });
  });
}
