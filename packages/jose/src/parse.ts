import type { PrivateJwks } from './types.ts';

/**
 * Options of {@link parsePrivateJwks}.
 *
 * @example
 * ```ts
 * import { type ParsePrivateJwksOptions, parsePrivateJwks } from '@kraikub/jose';
 *
 * const options: ParsePrivateJwksOptions = { source: '/run/secrets/jwks.json' };
 * declare const text: string;
 * const jwks = parsePrivateJwks(text, options);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface ParsePrivateJwksOptions {
  /** Where the text came from (a path, a variable's name), for error messages. */
  readonly source?: string;
}

/**
 * Parses a private JWKS from JSON text, as read from a file, an environment
 * variable or a secret manager: `{ "keys": [ ...JWKs ] }`. Checks the shape
 * only (an object with a non-empty `keys` array of objects, each with a
 * `kty`); {@link createJoseSigner} checks the keys themselves. Errors are
 * TypeErrors naming the source and never quote the text (it holds secrets).
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { createJoseSigner, parsePrivateJwks } from '@kraikub/jose';
 *
 * const path = process.env.KRAIKUB_JWKS_FILE ?? '/run/secrets/jwks.json';
 * const signer = await createJoseSigner({
 *   keys: parsePrivateJwks(await readFile(path, 'utf8'), { source: path }),
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export function parsePrivateJwks(text: string, options: ParsePrivateJwksOptions = {}): PrivateJwks {
  const source = options.source ?? 'JWKS';
  const fail = (problem: string): never => {
    throw new TypeError(`@kraikub/jose: ${source}: ${problem}`);
  };
  if (typeof text !== 'string' || text.trim() === '') fail('is empty; expected { "keys": [ ...JWKs ] }');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, and the text holds private keys.
    fail('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('must be a JSON object { "keys": [ ...JWKs ] }');
  }
  const { keys } = value as { keys?: unknown };
  if (keys === undefined && typeof (value as { kty?: unknown }).kty === 'string') {
    fail('is a single JWK; wrap it in a set: { "keys": [ <the JWK> ] }');
  }
  if (!Array.isArray(keys)) fail('must have a "keys" array');
  const list = keys as unknown[];
  if (list.length === 0) fail('"keys" is empty; one key must sign');
  for (const [index, key] of list.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      fail(`keys[${index}] is not a JSON object`);
    }
    if (typeof (key as { kty?: unknown }).kty !== 'string') fail(`keys[${index}] has no "kty"`);
  }
  return value as PrivateJwks;
}
