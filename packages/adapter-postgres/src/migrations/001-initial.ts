/**
 * Migration 1: the tables, their indexes, and the interaction functions.
 *
 * Keys are SHA-256 hashes (base64url) as core hands them over; times are
 * milliseconds since the epoch (`bigint`), compared with the store's clock;
 * records are JSONB, exactly what the store was given. Key columns use the
 * `C` collation: byte order, the cheapest comparison, and all they need.
 *
 * @module
 */

/** The SQL of migration 1 for the schema `s` (a quoted identifier). */
export function initial(s: string): string {
  return `
CREATE TABLE ${s}.codes (
  hash text COLLATE "C" PRIMARY KEY,
  grant_id text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  consumed boolean NOT NULL DEFAULT false,
  record jsonb NOT NULL
);
CREATE INDEX codes_grant_id ON ${s}.codes (grant_id);
CREATE INDEX codes_expires_at ON ${s}.codes (expires_at);

CREATE TABLE ${s}.access_tokens (
  hash text COLLATE "C" PRIMARY KEY,
  grant_id text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  record jsonb NOT NULL
);
CREATE INDEX access_tokens_grant_id ON ${s}.access_tokens (grant_id);
CREATE INDEX access_tokens_expires_at ON ${s}.access_tokens (expires_at);

CREATE TABLE ${s}.refresh_tokens (
  hash text COLLATE "C" PRIMARY KEY,
  grant_id text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  rotation jsonb,
  record jsonb NOT NULL
);
CREATE INDEX refresh_tokens_grant_id ON ${s}.refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON ${s}.refresh_tokens (expires_at);

CREATE TABLE ${s}.revoked_grants (
  grant_id text COLLATE "C" PRIMARY KEY,
  retain_until bigint NOT NULL
);
CREATE INDEX revoked_grants_retain_until ON ${s}.revoked_grants (retain_until);

CREATE TABLE ${s}.interactions (
  key text COLLATE "C" PRIMARY KEY,
  source text COLLATE "C",
  expires_at bigint NOT NULL,
  record jsonb NOT NULL
);
CREATE INDEX interactions_expires_at ON ${s}.interactions (expires_at);
CREATE INDEX interactions_source ON ${s}.interactions (source) WHERE source IS NOT NULL;

-- One row: how many interactions are stored. Every write of interactions locks it first.
CREATE TABLE ${s}.interaction_count (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  pending integer NOT NULL CHECK (pending >= 0)
);
INSERT INTO ${s}.interaction_count (one, pending) VALUES (true, 0);

CREATE TABLE ${s}.clients (
  id text COLLATE "C" PRIMARY KEY,
  record jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Saves an interaction unless a cap is reached: 0 saved, 1 total cap, 2 source cap.
-- Atomic: it first locks the counter row, so savers (and consumers, and sweeps) take turns;
-- every statement below then runs on a fresh snapshot (READ COMMITTED, a VOLATILE function)
-- and sees what the previous holder of the lock committed.
CREATE FUNCTION ${s}.save_interaction(
  p_key text, p_source text, p_expires_at bigint, p_record jsonb,
  p_now bigint, p_total integer, p_per_source integer
) RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  v_pending integer;
  v_expired integer;
  v_source integer;
BEGIN
  SELECT pending INTO STRICT v_pending FROM ${s}.interaction_count WHERE one FOR UPDATE;
  -- Expired interactions free their places.
  WITH gone AS (DELETE FROM ${s}.interactions WHERE expires_at <= p_now RETURNING 1)
  SELECT count(*) INTO v_expired FROM gone;
  v_pending := v_pending - v_expired;
  IF v_pending >= p_total THEN
    UPDATE ${s}.interaction_count SET pending = v_pending WHERE one AND v_expired > 0;
    RETURN 1;
  END IF;
  IF p_source IS NOT NULL THEN
    SELECT count(*) INTO v_source
      FROM (SELECT 1 FROM ${s}.interactions WHERE source = p_source LIMIT p_per_source) AS taken;
    IF v_source >= p_per_source THEN
      UPDATE ${s}.interaction_count SET pending = v_pending WHERE one AND v_expired > 0;
      RETURN 2;
    END IF;
  END IF;
  INSERT INTO ${s}.interactions (key, source, expires_at, record)
    VALUES (p_key, p_source, p_expires_at, p_record);
  UPDATE ${s}.interaction_count SET pending = v_pending + 1 WHERE one;
  RETURN 0;
END
$fn$;

-- Returns and deletes an unexpired interaction (NULL when there is none), under the same lock.
CREATE FUNCTION ${s}.consume_interaction(p_key text, p_now bigint)
RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_record jsonb;
BEGIN
  PERFORM 1 FROM ${s}.interaction_count WHERE one FOR UPDATE;
  DELETE FROM ${s}.interactions WHERE key = p_key AND expires_at > p_now RETURNING record INTO v_record;
  IF FOUND THEN
    UPDATE ${s}.interaction_count SET pending = pending - 1 WHERE one;
  END IF;
  RETURN v_record;
END
$fn$;

-- Deletes at most p_limit expired interactions, under the same lock; how many it deleted.
CREATE FUNCTION ${s}.sweep_interactions(p_now bigint, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  v_expired integer;
BEGIN
  PERFORM 1 FROM ${s}.interaction_count WHERE one FOR UPDATE;
  WITH gone AS (
    DELETE FROM ${s}.interactions WHERE key = ANY (ARRAY (
      SELECT key FROM ${s}.interactions WHERE expires_at <= p_now ORDER BY expires_at LIMIT p_limit
    )) RETURNING 1
  )
  SELECT count(*) INTO v_expired FROM gone;
  UPDATE ${s}.interaction_count SET pending = pending - v_expired WHERE one AND v_expired > 0;
  RETURN v_expired;
END
$fn$;
`;
}
