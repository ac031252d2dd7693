/**
 * Every statement the stores send, for a schema `s` (a quoted identifier).
 * Each atomic operation is ONE statement: never a read, then a write, in
 * two round trips.
 *
 * How the atomic ones hold under concurrency (READ COMMITTED, PostgreSQL's
 * default): `consumeCode` and `rotateRefreshToken` first lock the row with
 * `SELECT ... FOR UPDATE`. Of N concurrent callers one gets the lock; the
 * others wait for it to commit, and PostgreSQL then re-checks their WHERE
 * on the row's newest version and hands them that version: consumed (or
 * rotated, with the winner's rotation). Only the caller that saw the row
 * unconsumed updates it and inserts its tokens, in the same statement.
 *
 * Every read and every atomic write checks the grant's revocation
 * tombstone, and the expiry against the caller's clock (`$now`).
 *
 * @module
 */
import { statement } from './database.ts';

const notRevoked = (s: string, grant: string) =>
  `NOT EXISTS (SELECT 1 FROM ${s}.revoked_grants r WHERE r.grant_id = ${grant})`;

/**
 * The token inserts of an issue, as CTEs that run only when `gate` (a CTE
 * name) has a row. Parameters from `$p`: access hash, expiry, record;
 * refresh hash (NULL for none), expiry, record, rotation. The grant id is `grant`.
 */
function inserts(s: string, gate: string, grant: string, p: number): string {
  return `
access AS (
  INSERT INTO ${s}.access_tokens (hash, grant_id, expires_at, record)
  SELECT $${p}::text, ${grant}::text, $${p + 1}::bigint, $${p + 2}::jsonb FROM ${gate}
),
refresh AS (
  INSERT INTO ${s}.refresh_tokens (hash, grant_id, expires_at, record, rotation)
  SELECT $${p + 3}::text, ${grant}::text, $${p + 4}::bigint, $${p + 5}::jsonb, $${p + 6}::jsonb FROM ${gate}
  WHERE $${p + 3}::text IS NOT NULL
)`;
}

/** The statements of `PostgresGrantStore`. */
export function grantStatements(s: string) {
  return {
    /** $1 hash, $2 grant, $3 expires_at, $4 record. */
    saveCode: statement(
      'saveCode',
      `INSERT INTO ${s}.codes (hash, grant_id, expires_at, record) VALUES ($1, $2, $3, $4::jsonb)`,
    ),

    /** $1 hash, $2 grant, $3 now. */
    findCode: statement(
      'findCode',
      `SELECT c.consumed, c.record FROM ${s}.codes c
WHERE c.hash = $1 AND c.grant_id = $2 AND c.expires_at > $3 AND ${notRevoked(s, '$2')}`,
    ),

    /**
     * $1 hash, $2 grant, $3 now, $4.. the tokens (see `inserts`).
     * No row: not found. `consumed` false and a record: this call consumed
     * it (and stored the tokens). `consumed` true: a replay.
     */
    consumeCode: statement(
      'consumeCode',
      `WITH live AS (
  SELECT c.hash, c.consumed, c.record FROM ${s}.codes c
  WHERE c.hash = $1 AND c.grant_id = $2 AND c.expires_at > $3 AND ${notRevoked(s, '$2')}
  FOR UPDATE OF c
),
won AS (
  UPDATE ${s}.codes c SET consumed = true FROM live
  WHERE c.hash = live.hash AND NOT live.consumed
  RETURNING c.record
),${inserts(s, 'won', '$2', 4)}
SELECT live.consumed, (SELECT won.record FROM won) AS record FROM live`,
    ),

    /** $1 grant, $2.. the tokens. One row: `issued` true, or false for a revoked grant. */
    issueTokens: statement(
      'issueTokens',
      `WITH gate AS (SELECT 1 WHERE ${notRevoked(s, '$1')}),${inserts(s, 'gate', '$1', 2)}
SELECT EXISTS (SELECT 1 FROM gate) AS issued`,
    ),

    /** $1 hash, $2 grant, $3 now. */
    findAccessToken: statement(
      'findAccessToken',
      `SELECT a.record FROM ${s}.access_tokens a
WHERE a.hash = $1 AND a.grant_id = $2 AND a.expires_at > $3 AND ${notRevoked(s, '$2')}`,
    ),

    /** $1 hash, $2 grant, $3 now. */
    findRefreshToken: statement(
      'findRefreshToken',
      `SELECT t.record, t.rotation FROM ${s}.refresh_tokens t
WHERE t.hash = $1 AND t.grant_id = $2 AND t.expires_at > $3 AND ${notRevoked(s, '$2')}`,
    ),

    /**
     * $1 hash, $2 grant, $3 now, $4 rotation, $5.. the successor tokens.
     * No row: not found. `rotated` true: this call rotated it (and stored the
     * successors). Else a reuse: the record and the winner's rotation.
     */
    rotateRefreshToken: statement(
      'rotateRefreshToken',
      `WITH live AS (
  SELECT t.hash, t.rotation, t.record FROM ${s}.refresh_tokens t
  WHERE t.hash = $1 AND t.grant_id = $2 AND t.expires_at > $3 AND ${notRevoked(s, '$2')}
  FOR UPDATE OF t
),
won AS (
  UPDATE ${s}.refresh_tokens t SET rotation = $4::jsonb FROM live
  WHERE t.hash = live.hash AND live.rotation IS NULL
  RETURNING t.hash
),${inserts(s, 'won', '$2', 5)}
SELECT EXISTS (SELECT 1 FROM won) AS rotated, live.record, live.rotation FROM live`,
    ),

    /** $1 hash, $2 grant. */
    revokeAccessToken: statement(
      'revokeAccessToken',
      `DELETE FROM ${s}.access_tokens WHERE hash = $1 AND grant_id = $2`,
    ),

    /**
     * $1 grant, $2 retain until. Writes (or extends) the tombstone, then
     * deletes every record of the grant; a record a concurrent statement
     * adds is covered by the tombstone, which every read checks.
     */
    revokeGrant: statement(
      'revokeGrant',
      `WITH codes AS (DELETE FROM ${s}.codes WHERE grant_id = $1),
access AS (DELETE FROM ${s}.access_tokens WHERE grant_id = $1),
refresh AS (DELETE FROM ${s}.refresh_tokens WHERE grant_id = $1)
INSERT INTO ${s}.revoked_grants AS g (grant_id, retain_until) VALUES ($1, $2)
ON CONFLICT (grant_id) DO UPDATE SET retain_until = GREATEST(g.retain_until, EXCLUDED.retain_until)`,
    ),

    /**
     * $1 now, $2 batch size. At most $2 expired rows of each table; how many
     * went. `= ANY (ARRAY (...))`: the batch is picked on the expiry index,
     * then deleted through the primary key (an `IN` would be a semi-join the
     * planner may run as a sequential scan).
     */
    sweepExpired: statement(
      'sweep',
      `WITH codes AS (
  DELETE FROM ${s}.codes WHERE hash = ANY (ARRAY (
    SELECT hash FROM ${s}.codes WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
  )) RETURNING 1
),
access AS (
  DELETE FROM ${s}.access_tokens WHERE hash = ANY (ARRAY (
    SELECT hash FROM ${s}.access_tokens WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
  )) RETURNING 1
),
refresh AS (
  DELETE FROM ${s}.refresh_tokens WHERE hash = ANY (ARRAY (
    SELECT hash FROM ${s}.refresh_tokens WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
  )) RETURNING 1
)
SELECT (SELECT count(*) FROM codes)::integer AS codes,
  (SELECT count(*) FROM access)::integer AS access,
  (SELECT count(*) FROM refresh)::integer AS refresh`,
    ),

    /**
     * $1 now, $2 batch size. At most $2 tombstones retained until now or
     * earlier, with any record of their grants (one a concurrent write added
     * as the grant was revoked): none outlives its tombstone.
     */
    sweepRevoked: statement(
      'sweep',
      `WITH grants AS (
  DELETE FROM ${s}.revoked_grants WHERE grant_id = ANY (ARRAY (
    SELECT grant_id FROM ${s}.revoked_grants WHERE retain_until <= $1
    ORDER BY retain_until LIMIT $2 FOR UPDATE SKIP LOCKED
  )) RETURNING grant_id
),
codes AS (DELETE FROM ${s}.codes WHERE grant_id IN (SELECT grant_id FROM grants) RETURNING 1),
access AS (DELETE FROM ${s}.access_tokens WHERE grant_id IN (SELECT grant_id FROM grants) RETURNING 1),
refresh AS (DELETE FROM ${s}.refresh_tokens WHERE grant_id IN (SELECT grant_id FROM grants) RETURNING 1)
SELECT (SELECT count(*) FROM grants)::integer AS grants,
  (SELECT count(*) FROM codes)::integer AS codes,
  (SELECT count(*) FROM access)::integer AS access,
  (SELECT count(*) FROM refresh)::integer AS refresh`,
    ),
  };
}

/** The statements of `PostgresInteractionStore`. */
export function interactionStatements(s: string) {
  return {
    /** $1 key, $2 source, $3 expires_at, $4 record, $5 now, $6 total, $7 per source. 0 saved, 1 total, 2 source. */
    save: statement(
      'saveInteraction',
      `SELECT ${s}.save_interaction($1, $2, $3, $4::jsonb, $5, $6, $7) AS status`,
    ),
    /** $1 key, $2 now. */
    find: statement(
      'findInteraction',
      `SELECT record FROM ${s}.interactions WHERE key = $1 AND expires_at > $2`,
    ),
    /** $1 key, $2 now. */
    consume: statement('consumeInteraction', `SELECT ${s}.consume_interaction($1, $2) AS record`),
    /** $1 now, $2 batch size. */
    sweep: statement('sweep', `SELECT ${s}.sweep_interactions($1, $2) AS removed`),
  };
}

/** The statements of `PostgresClientStore`. */
export function clientStatements(s: string) {
  return {
    find: statement('findClient', `SELECT record FROM ${s}.clients WHERE id = $1`),
    register: statement(
      'registerClient',
      `INSERT INTO ${s}.clients (id, record) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`,
    ),
    upsert: statement(
      'register',
      `INSERT INTO ${s}.clients (id, record) VALUES ($1, $2::jsonb)
ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, updated_at = now()`,
    ),
    update: statement(
      'updateClient',
      `UPDATE ${s}.clients SET record = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING id`,
    ),
    delete: statement('deleteClient', `DELETE FROM ${s}.clients WHERE id = $1 RETURNING id`),
    list: statement('listClients', `SELECT id, record FROM ${s}.clients ORDER BY id`),
  };
}
