/**
 * The key layout. Every key of one grant shares the hash tag `{<grantId>}`,
 * so every script of a grant touches one Redis Cluster slot:
 *
 * ```text
 * <prefix>{<grantId>}:c:<hash>   authorization code (a tombstone once consumed)
 * <prefix>{<grantId>}:a:<hash>   access token
 * <prefix>{<grantId>}:r:<hash>   refresh token (marked once rotated)
 * <prefix>{<grantId>}:keys       sorted set: member `c:<hash>` etc., score = its expiry (ms)
 * <prefix>{<grantId>}:revoked    grant revocation tombstone, value = retained until (ms)
 * <prefix>{interactions}:i:<hash>          pending interaction (`<source>:<json>`)
 * <prefix>{interactions}:pending           sorted set of pending interactions, score = expiry
 * <prefix>{interactions}:source:<source>   the same, per source (for the per-source cap)
 * <prefix>client:<clientId>      client registration
 * ```
 *
 * @module
 */

/** The kinds of grant record, by their one-letter key segment. */
export type RecordKind = 'c' | 'a' | 'r';

const braces = /[{}]/;
const grantIdPattern = /^[A-Za-z0-9_.~-]{1,128}$/;

/** Checks a key prefix: no braces, so it can never become the hash tag itself. */
export function checkPrefix(prefix: unknown, who: string): string {
  if (typeof prefix !== 'string' || braces.test(prefix)) {
    throw new TypeError(`${who}: prefix must be a string without { or } (it would become the hash tag)`);
  }
  return prefix;
}

/** True for a grant id that can be a hash tag (core's are 22 base64url characters). */
export function isRoutableGrantId(grantId: unknown): grantId is string {
  return typeof grantId === 'string' && grantIdPattern.test(grantId);
}

/** The keys of one grant. */
export interface GrantKeys {
  /** Prefix of every key of the grant, `<prefix>{<grantId>}:`; a record key is `base + member`. */
  readonly base: string;
  readonly index: string;
  readonly revoked: string;
  /** The index member of a record: `<kind>:<hash>`. */
  member(kind: RecordKind, hash: string): string;
  /** The key of a record. */
  record(kind: RecordKind, hash: string): string;
}

/** The keys of a grant under `prefix`. The grant id must be routable ({@link isRoutableGrantId}). */
export function grantKeys(prefix: string, grantId: string): GrantKeys {
  const base = `${prefix}{${grantId}}:`;
  return {
    base,
    index: `${base}keys`,
    revoked: `${base}revoked`,
    member: (kind, hash) => `${kind}:${hash}`,
    record: (kind, hash) => `${base}${kind}:${hash}`,
  };
}
