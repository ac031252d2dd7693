import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const here = new URL('../', import.meta.url).pathname;
const bin = (name: string) => `${here}node_modules/.bin/${name}`;
const run = promisify(execFile);

// Web Crypto only, through jose: the same sources on every runtime (Node 20 is this process).
const runtimes: [string, string, string[]][] = [
  ['Node 22', bin('node'), ['test/fixtures/runtime-smoke.ts']],
  ['Bun', bin('bun'), ['test/fixtures/runtime-smoke.ts']],
  ['Deno', bin('deno'), ['run', '--quiet', '--allow-read', '--allow-env', 'test/fixtures/runtime-smoke.ts']],
];

describe('the signer runs on every runtime', () => {
  test.each(runtimes)(
    '%s: ES256, RS256 and EdDSA sign, verify and rotate',
    async (_name, command, args) => {
      const { stdout } = await run(command, args, {
        cwd: here,
        env: { ...process.env, NO_COLOR: '1' },
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
      for (const alg of ['ES256', 'RS256', 'EdDSA']) {
        expect(result[alg], alg).toEqual({
          verified: true,
          wrongTyp: true,
          published: `${alg}-1,${alg}-2`,
          private: false,
        });
      }
    },
    90_000,
  );
});
