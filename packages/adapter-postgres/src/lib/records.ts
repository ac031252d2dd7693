/**
 * How records go in and come out: JSON text in (`JSON.stringify`, cast to
 * `jsonb`), parsed JSON out (node-postgres parses `jsonb`), checked before
 * it is returned: a row this adapter did not write is an error, never a token.
 *
 * @module
 */
import type { GrantRecordBase, RefreshTokenRecord, TokenIssue, TokenKey } from '@kraikub/core';
import { CorruptRecordError } from './errors.ts';

/** A record's expiry as stored: a whole number of ms (rounded up, so it is never early). */
export function expiryMs(expiresAt: unknown, what: string): number {
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new TypeError(`${what}: expiresAt must be a finite number of milliseconds`);
  }
  return Math.ceil(expiresAt);
}

/** The clock's now as the statements compare it (whole ms). */
export function nowMs(now: number): number {
  if (!Number.isFinite(now)) throw new TypeError('adapter-postgres: the clock returned a non-finite time');
  return Math.floor(now);
}

/** Checks a grant id before it goes into a statement. */
export function checkGrantId(grantId: unknown, what: string): string {
  if (typeof grantId !== 'string' || grantId === '') {
    throw new TypeError(`${what}: grant id must be a non-empty string`);
  }
  return grantId;
}

/**
 * The parameters of an issue's token inserts (see `sql.ts`): access hash,
 * expiry, record; refresh hash, expiry, record, rotation (NULLs when there
 * is no refresh token). Every token must belong to `grantId`.
 */
export function tokenValues(issue: TokenIssue, grantId: string, what: string): unknown[] {
  const { accessToken, refreshToken } = issue;
  const keys: TokenKey[] = [accessToken.key, ...(refreshToken === undefined ? [] : [refreshToken.key])];
  const records: GrantRecordBase[] = [
    accessToken.record,
    ...(refreshToken === undefined ? [] : [refreshToken.record]),
  ];
  if (issue.grantId !== grantId || keys.some((key) => key.grantId !== grantId)) {
    throw new TypeError(`${what}: every token must belong to grant ${grantId}`);
  }
  if (records.some((record) => record.grantId !== grantId)) {
    throw new TypeError(`${what}: every record must belong to grant ${grantId}`);
  }
  const values: unknown[] = [
    checkHash(accessToken.key.hash, what),
    expiryMs(accessToken.record.expiresAt, what),
    JSON.stringify(accessToken.record),
  ];
  if (refreshToken === undefined) return [...values, null, null, null, null];
  // A rotation lives in its own column (what rotateRefreshToken sets); the record without it.
  const { rotation, ...record } = refreshToken.record;
  return [
    ...values,
    checkHash(refreshToken.key.hash, what),
    expiryMs(record.expiresAt, what),
    JSON.stringify(record),
    rotation === undefined ? null : JSON.stringify(rotation),
  ];
}

/** Checks a key hash before it goes into a statement. */
export function checkHash(hash: unknown, what: string): string {
  if (typeof hash !== 'string' || hash === '') throw new TypeError(`${what}: a key hash must be a string`);
  return hash;
}

/** A stored grant record, checked: an object of `grantId` with a numeric `expiresAt`. */
export function grantRecord<R extends GrantRecordBase>(value: unknown, grantId: string, what: string): R {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof (value as { expiresAt?: unknown }).expiresAt !== 'number' ||
    (value as { grantId?: unknown }).grantId !== grantId
  ) {
    throw new CorruptRecordError(`postgres: ${what}: a stored record is not a record of this grant`);
  }
  return value as R;
}

/** A refresh token record with its rotation put back (absent when there is none). */
export function withRotation(
  record: RefreshTokenRecord,
  rotation: unknown,
  what: string,
): RefreshTokenRecord {
  if (rotation === null || rotation === undefined) return record;
  if (typeof rotation !== 'object' || Array.isArray(rotation)) {
    throw new CorruptRecordError(`postgres: ${what}: a stored rotation is not an object`);
  }
  return { ...record, rotation: rotation as RefreshTokenRecord['rotation'] & object };
}

/** The one row a statement must return (or none, when `optional`); more is an error. */
export function oneRow<R>(rows: unknown[], what: string): R | undefined {
  if (rows.length > 1)
    throw new CorruptRecordError(`postgres: ${what}: ${rows.length} rows where one was expected`);
  const row = rows[0];
  if (row === undefined) return undefined;
  if (typeof row !== 'object' || row === null)
    throw new CorruptRecordError(`postgres: ${what}: a malformed row`);
  return row as R;
}
