import { writeFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientStatements, grantStatements, interactionStatements } from '../src/lib/sql.ts';
import { findPostgres, reportSkipped, type TestSchema, testSchema } from './support/postgres.ts';

// Every lookup, every atomic write and the sweep are index scans. The tables are filled with
// enough rows (tens of thousands) for a sequential scan to be the planner's choice if an
// index were missing, then ANALYZEd; each statement is explained with its parameters bound
// (the custom plan) and as a generic plan (what a prepared statement may switch to).
// EXPLAIN_OUT=file writes the plans, for the README.

const rows = 20_000;

if (!(await findPostgres())) {
  reportSkipped('query plans');
} else {
  let db: TestSchema;
  let client: pg.PoolClient;
  const plans: string[] = [];

  beforeAll(async () => {
    db = await testSchema('explain');
    const s = `"${db.schema}"`;
    const now = 1_800_000_000_000;
    await db.pool.query(`
      INSERT INTO ${s}.codes (hash, grant_id, expires_at, consumed, record)
        SELECT 'c' || i, 'g' || i, ${now} + (i % 600) * 1000, i % 2 = 0, '{"grantId":"x"}' FROM generate_series(1, ${rows}) i;
      INSERT INTO ${s}.access_tokens (hash, grant_id, expires_at, record)
        SELECT 'a' || i, 'g' || (i / 2), ${now} + (i % 3600) * 1000, '{"grantId":"x"}' FROM generate_series(1, ${rows}) i;
      INSERT INTO ${s}.refresh_tokens (hash, grant_id, expires_at, record)
        SELECT 'r' || i, 'g' || (i / 2), ${now} + (i % 86400) * 1000, '{"grantId":"x"}' FROM generate_series(1, ${rows}) i;
      INSERT INTO ${s}.revoked_grants (grant_id, retain_until)
        SELECT 'revoked' || i, ${now} + i * 1000 FROM generate_series(1, ${rows / 4}) i;
      INSERT INTO ${s}.interactions (key, source, expires_at, record)
        SELECT 'i' || i, 's' || (i % 500), ${now} + (i % 600) * 1000, '{}' FROM generate_series(1, ${rows / 2}) i;
      UPDATE ${s}.interaction_count SET pending = ${rows / 2};
      INSERT INTO ${s}.clients (id, record) SELECT 'client' || i, '{}' FROM generate_series(1, ${rows / 4}) i;
      ANALYZE ${s}.codes; ANALYZE ${s}.access_tokens; ANALYZE ${s}.refresh_tokens; ANALYZE ${s}.revoked_grants;
      ANALYZE ${s}.interactions; ANALYZE ${s}.clients;`);
    client = await db.pool.connect();
  });

  afterAll(async () => {
    client?.release();
    if (process.env.EXPLAIN_OUT) writeFileSync(process.env.EXPLAIN_OUT, plans.join('\n'));
    await db?.drop();
  });

  const base = 1_800_000_000_000;
  /** Half the rows of codes and interactions have expired by then. */
  const now = base + 300_000;
  const token = [
    'a-new',
    2_000_000_000_000,
    '{"grantId":"g42"}',
    'r-new',
    2_000_000_000_000,
    '{"grantId":"g42"}',
    null,
  ];

  /** The statements, with realistic parameters. */
  function cases() {
    const s = `"${db.schema}"`;
    const g = grantStatements(s);
    const i = interactionStatements(s);
    const c = clientStatements(s);
    return [
      ['findCode', g.findCode.text, ['c42', 'g42', now]],
      ['consumeCode', g.consumeCode.text, ['c42', 'g42', now, ...token]],
      ['issueTokens', g.issueTokens.text, ['g42', ...token]],
      ['findAccessToken', g.findAccessToken.text, ['a42', 'g21', now]],
      ['findRefreshToken', g.findRefreshToken.text, ['r42', 'g21', now]],
      ['rotateRefreshToken', g.rotateRefreshToken.text, ['r42', 'g21', now, '{}', ...token]],
      ['revokeAccessToken', g.revokeAccessToken.text, ['a42', 'g21']],
      ['revokeGrant', g.revokeGrant.text, ['g42', now + 1000]],
      ['sweep (expired rows)', g.sweepExpired.text, [now, 1000]],
      ['sweep (tombstones)', g.sweepRevoked.text, [now, 1000]],
      ['findInteraction', i.find.text, ['i42', now]],
      // The statements inside save_interaction, consume_interaction and sweep_interactions.
      // What expired since the previous save: a few rows (a save purges them all).
      ['save_interaction: purge', `DELETE FROM ${s}.interactions WHERE expires_at <= $1`, [base + 1_000]],
      [
        'save_interaction: per-source count',
        `SELECT count(*) FROM (SELECT 1 FROM ${s}.interactions WHERE source = $1 LIMIT $2) AS taken`,
        ['s42', 100],
      ],
      [
        'consume_interaction',
        `DELETE FROM ${s}.interactions WHERE key = $1 AND expires_at > $2 RETURNING record`,
        ['i42', now],
      ],
      [
        'sweep_interactions',
        `DELETE FROM ${s}.interactions WHERE key = ANY (ARRAY (SELECT key FROM ${s}.interactions WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2))`,
        [now, 1000],
      ],
      ['findClient', c.find.text, ['client42']],
      ['registerClient', c.register.text, ['client42', '{}']],
      ['updateClient', c.update.text, ['client42', '{}']],
      ['deleteClient', c.delete.text, ['client42']],
    ] as const;
  }

  describe(`query plans on ${rows.toLocaleString('en-US')} rows per table`, () => {
    test('every statement: index scans only, with its parameters and as a generic plan', async () => {
      for (const [name, text, values] of cases()) {
        for (const mode of ['auto', 'force_generic_plan'] as const) {
          await client.query(`SET plan_cache_mode = ${mode}`);
          const plan = (await client.query({ text: `EXPLAIN ${text}`, values: [...values] })).rows
            .map((row) => row['QUERY PLAN'] as string)
            .join('\n');
          if (mode === 'auto') plans.push(`-- ${name}\n${plan}\n`);
          expect(plan, `${name} (${mode}):\n${plan}`).not.toMatch(/Seq Scan/);
          expect(plan, `${name} (${mode})`).toMatch(/Index (Only )?Scan|Bitmap Index Scan|Result/);
        }
      }
      await client.query('RESET plan_cache_mode');
    });
  });
}
