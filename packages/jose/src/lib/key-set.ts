import { base64url, CompactSign, calculateJwkThumbprint, compactVerify, importJWK, type JWK } from 'jose';
import type { SigningAlgorithm } from '../types.ts';
import {
  inferAlgorithm,
  isSigningAlgorithm,
  isSymmetricAlgorithm,
  signingAlgorithms,
  specOf,
} from './algorithms.ts';

/** One key of the set, checked: what is published, and what signs when it is the active one. */
export interface CheckedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The published form: key material, `kid`, `alg`, `use` and nothing else. */
  readonly publicJwk: Readonly<Record<string, string>>;
  /** Imported private key, when the JWK has a private part. */
  readonly privateKey: CryptoKey | undefined;
}

const publicMembers = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'], OKP: ['crv', 'x'] } as const;
const privateMembers = { EC: ['d'], RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi'], OKP: ['d'] } as const;
const minimumRsaBits = 2048;

/** A programmer's mistake in the key set: a TypeError whose message names the key, never its material. */
function fail(label: string, problem: string): never {
  throw new TypeError(`@kraikub/jose: ${label}: ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The modulus length in bits of a base64url `n`, or `undefined` when `n` does not decode. */
function modulusBits(n: string): number | undefined {
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(n);
  } catch {
    return undefined;
  }
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const first = bytes[start];
  if (first === undefined) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(first));
}

/** Checks one JWK's shape and picks its algorithm; the material is checked by importing it. */
async function checkShape(jwk: unknown, index: number) {
  let label = `keys[${index}]`;
  if (!isObject(jwk)) fail(label, 'is not a JSON object');
  if (jwk.kid !== undefined) {
    if (typeof jwk.kid !== 'string' || jwk.kid === '') fail(label, 'kid must be a non-empty string');
    label += ` (kid ${JSON.stringify(jwk.kid)})`;
  }
  const { kty, alg, use, key_ops: keyOps } = jwk;
  if (kty === 'oct' || (typeof alg === 'string' && isSymmetricAlgorithm(alg))) {
    fail(label, 'symmetric keys are refused: published keys must be public, so only asymmetric algorithms');
  }
  if (kty !== 'EC' && kty !== 'RSA' && kty !== 'OKP') {
    fail(label, `kty must be "EC", "RSA" or "OKP", not ${JSON.stringify(kty)}`);
  }
  if (use !== undefined && use !== 'sig') fail(label, `use must be "sig", not ${JSON.stringify(use)}`);
  if (
    keyOps !== undefined &&
    (!Array.isArray(keyOps) || keyOps.some((op) => op !== 'sign' && op !== 'verify'))
  ) {
    fail(label, 'key_ops may only hold "sign" and "verify"');
  }
  for (const member of [...publicMembers[kty], ...privateMembers[kty]]) {
    const value = jwk[member];
    const required = (publicMembers[kty] as readonly string[]).includes(member);
    if ((required || value !== undefined) && (typeof value !== 'string' || value === '')) {
      fail(label, `${member} must be a non-empty string`);
    }
  }
  let algorithm: SigningAlgorithm;
  if (alg === undefined) {
    const inferred = inferAlgorithm(kty, jwk.crv);
    if (inferred === undefined) {
      fail(label, `no signing algorithm for kty "${kty}" crv ${JSON.stringify(jwk.crv)}; set alg`);
    }
    algorithm = inferred;
  } else {
    if (alg === 'none') fail(label, 'alg "none" is refused');
    if (!isSigningAlgorithm(alg)) {
      fail(label, `unsupported alg ${JSON.stringify(alg)} (one of ${signingAlgorithms.join(', ')})`);
    }
    algorithm = alg;
  }
  const spec = specOf(algorithm);
  if (spec.kty !== kty || (spec.crv !== undefined && spec.crv !== jwk.crv)) {
    const expected = spec.crv === undefined ? `kty "${spec.kty}"` : `kty "${spec.kty}" crv "${spec.crv}"`;
    fail(label, `alg ${algorithm} needs a key of ${expected}`);
  }
  if (kty === 'RSA') {
    const bits = modulusBits(jwk.n as string);
    if (bits === undefined) fail(label, 'n is not base64url');
    if (bits < minimumRsaBits)
      fail(label, `RSA modulus of ${bits} bits; at least ${minimumRsaBits} are required`);
  }
  const material = (names: readonly string[]) =>
    Object.fromEntries(names.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m] as string]));
  const publicPart: Record<string, string> = { kty, ...material(publicMembers[kty]) };
  const privatePart = jwk.d === undefined ? undefined : { ...publicPart, ...material(privateMembers[kty]) };
  return { label, kid: jwk.kid as string | undefined, algorithm, publicPart, privatePart };
}

/**
 * Imports both halves and signs a probe with the private one, verified with
 * the public one: a private part that belongs to another key fails here,
 * at start-up, rather than in every client.
 */
async function importChecked(
  label: string,
  alg: SigningAlgorithm,
  publicPart: JWK,
  privatePart: JWK | undefined,
): Promise<CryptoKey | undefined> {
  let publicKey: CryptoKey;
  let privateKey: CryptoKey | undefined;
  try {
    publicKey = (await importJWK(publicPart, alg)) as CryptoKey;
    privateKey = privatePart === undefined ? undefined : ((await importJWK(privatePart, alg)) as CryptoKey);
  } catch (error) {
    // jose and Web Crypto messages name the problem, never the key material.
    fail(label, `the key material does not import as ${alg} (${(error as Error).message})`);
  }
  if (privateKey !== undefined) {
    const probe = new TextEncoder().encode('@kraikub/jose key check');
    try {
      const jws = await new CompactSign(probe).setProtectedHeader({ alg }).sign(privateKey);
      await compactVerify(jws, publicKey, { algorithms: [alg] });
    } catch {
      fail(label, 'the private part does not match the public part');
    }
  }
  return privateKey;
}

/**
 * Checks a private JWKS and picks the active key: the one whose kid is
 * `active`, else the first. Every problem is a TypeError naming the key.
 */
export async function checkKeySet(
  jwks: unknown,
  active: string | undefined,
): Promise<{ readonly keys: readonly CheckedKey[]; readonly active: CheckedKey }> {
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) {
    throw new TypeError('@kraikub/jose: keys must be a JWKS: { "keys": [ ...private JWKs ] }');
  }
  if (jwks.keys.length === 0) throw new TypeError('@kraikub/jose: keys holds no key; one must sign');
  const keys: CheckedKey[] = [];
  const labels = new Map<string, string>();
  for (const [index, jwk] of jwks.keys.entries()) {
    const shape = await checkShape(jwk, index);
    const privateKey = await importChecked(
      shape.label,
      shape.algorithm,
      shape.publicPart as JWK,
      shape.privatePart as JWK | undefined,
    );
    const kid = shape.kid ?? (await calculateJwkThumbprint(shape.publicPart as JWK, 'sha256'));
    const previous = labels.get(kid);
    if (previous !== undefined) fail(shape.label, `duplicate kid ${JSON.stringify(kid)} (also ${previous})`);
    labels.set(kid, shape.label);
    const publicJwk = Object.freeze({ ...shape.publicPart, kid, alg: shape.algorithm, use: 'sig' });
    keys.push({ kid, alg: shape.algorithm, publicJwk, privateKey });
  }
  const index = active === undefined ? 0 : keys.findIndex((key) => key.kid === active);
  const chosen = keys[index];
  if (chosen === undefined) {
    const kids = keys.map((key) => JSON.stringify(key.kid)).join(', ');
    throw new TypeError(`@kraikub/jose: active: no key has kid ${JSON.stringify(active)} (kids: ${kids})`);
  }
  if (chosen.privateKey === undefined) {
    fail(labels.get(chosen.kid) ?? chosen.kid, 'the active key has no private part (d): it cannot sign');
  }
  return { keys, active: chosen };
}
