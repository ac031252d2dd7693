import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningWorkerd, startWorkerd } from './workerd.ts';

const root = new URL('../../../', import.meta.url).pathname;
const here = new URL('../', import.meta.url).pathname;
const bin = (name: string) => `${here}node_modules/.bin/${name}`;
const run = promisify(execFile);

// The flow imports the published builds (dist), exactly as users get them.
beforeAll(() => {
  const needed = ['core', 'adapter-memory', 'adapter-http', 'jose'].filter(
    (p) => !existsSync(`${root}packages/${p}/dist/index.js`),
  );
  if (needed.length > 0) {
    execFileSync(
      'pnpm',
      [
        '--filter',
        '@kraikub/core',
        '--filter',
        '@kraikub/adapter-memory',
        '--filter',
        '@kraikub/adapter-http',
        '--filter',
        '@kraikub/jose',
        'build',
      ],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
  }
}, 120_000);

/** What the flow sees on every runtime. */
const seen = {
  authorizeStatus: 302,
  state: 'a&b=c',
  iss: 'https://id.example.com',
  tokenStatus: 200,
  cacheControl: 'no-store',
  tokenType: 'Bearer',
  subject: 'runtime-user',
  issuer: 'https://id.example.com',
  idToken: { sub: 'runtime-user', nonce: 'n-0S6_WzA2Mj' },
  userinfo: { sub: 'runtime-user', name: 'User runtime-user' },
};

const runtimes: [string, string, string[]][] = [
  ['Node 20 (this process)', process.execPath, ['flow.mjs']],
  ['Node 22', bin('node'), ['flow.mjs']],
  ['Bun', bin('bun'), ['flow.mjs']],
  ['Deno', bin('deno'), ['run', '--quiet', '--allow-read', '--allow-env', 'flow.mjs']],
];

describe('the Fetch handler runs on every runtime', () => {
  test.each(runtimes)(
    '%s: authorize, token, ID Token, UserInfo, bearer check and metadata',
    async (_name, command, args) => {
      const { stdout } = await run(command, args, {
        cwd: here,
        env: { ...process.env, NO_COLOR: '1' },
        timeout: 60_000,
      });
      const last = stdout.trim().split('\n').at(-1) ?? '';
      expect(JSON.parse(last)).toEqual(seen);
    },
    90_000,
  );

  // Cloudflare Workers: the flow runs as a module Worker inside workerd, and
  // the test asks it over loopback HTTP. Like the runtimes above, a missing
  // workerd fails the test rather than skipping it.
  let workerd: RunningWorkerd | undefined;
  afterAll(async () => {
    await workerd?.stop();
  });

  test('Cloudflare Workers (workerd): authorize, token, ID Token, UserInfo, bearer check and metadata', async () => {
    workerd = await startWorkerd();
    const response = await fetch(workerd.url, { signal: AbortSignal.timeout(60_000) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(seen);
  }, 90_000);
});
