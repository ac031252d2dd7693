import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoClient } from '../src/main.ts';
import { field, userAgent } from './support/browser-agent.ts';
import { freePort, providerDir } from './support/processes.ts';

/**
 * The same Hono app on Bun and Deno (their binaries come from the runtimes
 * example's npm packages): started from src/bun.ts and src/deno.ts, then one
 * user's whole OpenID Connect flow over HTTP: sign in, consent, code, token
 * with an ID Token (signed on that runtime, checked here against its JWKS),
 * UserInfo and /api/me.
 */
const bin = (name: string) => join(providerDir, '..', 'runtimes', 'node_modules', '.bin', name);
const root = join(providerDir, '..', '..');

// Deno loads the @kraikub packages from their builds, as users get them.
beforeAll(() => {
  const packages = ['core', 'adapter-memory', 'adapter-redis', 'adapter-postgres', 'adapter-http', 'jose'];
  if (packages.some((p) => !existsSync(join(root, 'packages', p, 'dist', 'index.js')))) {
    execFileSync('pnpm', ['-r', '--filter', './packages/**', 'build'], { cwd: root, stdio: 'ignore' });
  }
}, 180_000);

const runtimes: [string, string, string[]][] = [
  ['Bun', bin('bun'), ['src/bun.ts']],
  ['Deno', bin('deno'), ['run', '--quiet', '-A', 'src/deno.ts']],
];

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function waitFor(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 40_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${base}/.well-known/oauth-authorization-server`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no answer within 40 s:\n${output()}`);
}

describe.each(runtimes)('the provider app on %s', (_name, command, args) => {
  test('sign in, consent, code, token with an ID Token, UserInfo and /api/me', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let output = '';
    const child = spawn(command, args, {
      cwd: providerDir,
      env: {
        ...process.env,
        NO_COLOR: '1',
        PORT: String(port),
        HOST: '127.0.0.1',
        DEMO: 'true',
        LOG_REQUESTS: 'false',
        CLIENTS_FILE: join(tmpdir(), `kraikub-none-${port}.json`),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(base, child, () => output);

    const { go } = userAgent(base);
    const redirectUri = 'http://localhost:4000/callback';
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: demoClient.id,
      redirect_uri: redirectUri,
      scope: 'openid profile',
      state: 'runtime',
      nonce: 'n-runtime',
    });
    const start = await go(`/authorize?${query}`);
    const login = await (await go(start.headers.get('location') ?? '')).text();
    const signedIn = await go('/login', {
      csrf: field(login, 'csrf'),
      interaction: field(login, 'interaction'),
      username: 'alice',
      password: 'wonderland',
    });
    const consent = await (await go(signedIn.headers.get('location') ?? '')).text();
    const approved = await go('/consent', {
      csrf: field(consent, 'csrf'),
      interaction: field(consent, 'interaction'),
      decision: 'approve',
    });
    const code = new URL(approved.headers.get('location') ?? '').searchParams.get('code') ?? '';
    expect(code).toMatch(/^kbc_/);
    const token = await go(
      '/token',
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
      { authorization: `Basic ${btoa(`${demoClient.id}:${demoClient.secret}`)}` },
    );
    expect(token.status).toBe(200);
    const { access_token, id_token } = (await token.json()) as { access_token: string; id_token: string };
    const jwks = createRemoteJWKSet(new URL(`${base}/jwks`));
    const { payload } = await jwtVerify(id_token, jwks, { issuer: base, audience: demoClient.id });
    expect(payload).toMatchObject({ sub: 'u-alice', nonce: 'n-runtime' });
    const userinfo = await go('/userinfo', undefined, { authorization: `Bearer ${access_token}` });
    expect(await userinfo.json()).toEqual({
      sub: 'u-alice',
      name: 'Alice Liddell',
      preferred_username: 'alice',
    });
    const me = await go('/api/me', undefined, { authorization: `Bearer ${access_token}` });
    expect(await me.json()).toMatchObject({ sub: 'u-alice', name: 'Alice Liddell' });
  }, 90_000);
});
