import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createJoseSigner, parsePrivateJwks } from '@kraikub/jose';
import { describe, expect, test } from 'vitest';

const here = new URL('../', import.meta.url).pathname;
const run = promisify(execFile);

/** Runs the CLI's source, as the bin runs its build. */
function keygen(...args: string[]) {
  return run(`${here}node_modules/.bin/tsx`, ['src/cli.ts', ...args], { cwd: here, timeout: 30_000 });
}

describe('kraikub-jose-keygen', () => {
  test.each([
    [[], 'ES256', undefined],
    [['--alg', 'RS256', '--kid', '2026-01'], 'RS256', '2026-01'],
    [['--alg=EdDSA', '--kid=ed-1'], 'EdDSA', 'ed-1'],
  ] as const)('%j prints a JWKS of one %s key that createJoseSigner accepts', async (args, alg, kid) => {
    const { stdout, stderr } = await keygen(...args);
    expect(stderr).toBe('');
    const jwks = parsePrivateJwks(stdout, { source: 'stdout' });
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ alg, use: 'sig' });
    expect(jwks.keys[0]?.d).toBeTypeOf('string');
    const signer = await createJoseSigner({ keys: jwks });
    expect(signer.algorithm).toBe(alg);
    // Without --kid, the kid is the key's RFC 7638 thumbprint.
    expect(signer.kid).toMatch(kid ?? /^[\w-]{43}$/);
    const token = await signer.sign({ sub: 'alice' }, { typ: 'JWT' });
    expect(await signer.verify(token, { typ: 'JWT' })).toEqual({ sub: 'alice' });
  });

  test('--help prints the usage and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const { stdout } = await keygen(flag);
      expect(stdout).toMatch(/^Usage: kraikub-jose-keygen \[--alg ES256\|RS256\|EdDSA\] \[--kid ID\]/);
    }
  });

  test.each([
    [['--alg', 'HS256'], /Unsupported --alg HS256/],
    [['--kid'], /--kid needs a value/],
    [['--bits', '4096'], /Unknown argument: --bits/],
  ])('%j exits 2 with the usage on stderr and nothing on stdout', async (args, message) => {
    const failure = await keygen(...args).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(message);
    expect(failure?.stderr).toMatch(/Usage:/);
  });
});
