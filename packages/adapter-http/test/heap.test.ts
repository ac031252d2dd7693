import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { generateClientSecret, webCrypto } from '@kraikub/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * RFC-agnostic, design-level: a store keeps nothing of the request
 * (DESIGN.md section 3). The provider runs in a process of its own, so its
 * heap holds only what the provider kept.
 */
const fixture = new URL('./fixtures/heap-server.ts', import.meta.url).pathname;
const packageDir = new URL('..', import.meta.url).pathname;
const tsconfig = new URL('../tsconfig.json', import.meta.url).pathname;

let child: ChildProcess;
let base: string;
let secret: string;

function ask<T>(message: string, field: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (reply: Record<string, unknown>) => {
      if (field in reply) {
        child.off('message', listener);
        resolve(reply[field] as T);
      }
    };
    child.on('message', listener);
    child.send(message);
  });
}

beforeAll(async () => {
  const generated = await generateClientSecret(webCrypto);
  secret = generated.secret;
  child = fork(fixture, [], {
    // `--import tsx` resolves from the package, which has tsx; its tsconfig maps @kraikub/* to sources.
    cwd: packageDir,
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, CLIENT_SECRET_HASH: generated.secretHash },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  base = `http://127.0.0.1:${ready.port}`;
}, 30_000);

afterAll(() => {
  child?.kill();
});

const post = (path: string, params: Record<string, string>) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
    body: new URLSearchParams(params),
  });

/** One full grant: a code, its exchange, `rotations` refreshes; every raw value that crossed the wire. */
async function grant(user: string, rotations: number, padding = '') {
  const seen: string[] = [];
  const authorize = await fetch(
    `${base}/authorize?response_type=code&client_id=app&redirect_uri=${encodeURIComponent('https://app.example/cb')}&scope=profile%20email&state=s`,
    { headers: { 'x-user': user, connection: 'close' }, redirect: 'manual' },
  );
  const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? '';
  seen.push(code);
  const client = { client_id: 'app', client_secret: secret };
  let tokens = (await (
    await post('/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://app.example/cb',
      ...client,
      padding,
    })
  ).json()) as { access_token: string; refresh_token: string };
  seen.push(tokens.access_token, tokens.refresh_token);
  for (let i = 0; i < rotations; i++) {
    const response = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      scope: 'profile',
      ...client,
      padding,
    });
    tokens = (await response.json()) as typeof tokens;
    seen.push(tokens.access_token, tokens.refresh_token);
  }
  await post('/introspect', { token: tokens.access_token, ...client });
  return { seen, tokens };
}

describe('nothing secret outlives its request', () => {
  test('after real traffic the heap holds no raw code, token or client secret', async () => {
    const raw = new Set<string>([secret]);
    for (let i = 0; i < 10; i++) {
      const { seen, tokens } = await grant(`user-${i}`, 3);
      for (const value of seen) raw.add(value);
      // Half the grants end revoked through their refresh token (client_secret_post: the secret in the body).
      if (i % 2 === 0)
        await post('/revoke', { token: tokens.refresh_token, client_id: 'app', client_secret: secret });
    }
    // Replays and garbage, as attackers send them.
    await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: [...raw][3] as string,
      client_id: 'app',
      client_secret: secret,
    });
    const path = await ask<string>('snapshot', 'snapshot');
    try {
      const snapshot = JSON.parse(await readFile(path, 'utf8')) as { strings: string[] };
      const found = new Set<string>();
      for (const text of snapshot.strings) {
        if (!text.includes('kb')) continue;
        for (const match of text.matchAll(/kb[carbs]_[A-Za-z0-9_.-]{20,}/g)) {
          if (raw.has(match[0])) found.add(`${match[0].slice(0, 12)}...`);
        }
      }
      expect(snapshot.strings.length).toBeGreaterThan(1000);
      expect([...found], 'raw credentials still in the heap').toEqual([]);
    } finally {
      await rm(path, { force: true });
    }
  }, 60_000);

  test('a request padded to 60 KB adds no more live heap than a plain one', async () => {
    const rounds = 60;
    const before = await ask<number>('heap', 'heap');
    for (let i = 0; i < rounds; i++) await grant(`plain-${i}`, 1);
    const plain = (await ask<number>('heap', 'heap')) - before;
    const padding = 'x'.repeat(60 * 1024);
    for (let i = 0; i < rounds; i++) await grant(`padded-${i}`, 1, padding);
    const padded = (await ask<number>('heap', 'heap')) - before - plain;
    // Each padded grant would keep 2 bodies (exchange, refresh) of 60 KB alive if a record held a slice.
    expect(padded - plain, `plain ${plain} B, padded ${padded} B for ${rounds} grants`).toBeLessThan(
      rounds * 8 * 1024,
    );
  }, 60_000);
});
