import type { AddressInfo } from 'node:net';
import { base64url, webCrypto } from '@kraikub/core';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSettings } from '../src/config.ts';
import { demoClient, start } from '../src/main.ts';

// With REDIS_URL the provider keeps codes, tokens and grants in Redis: two instances
// (two `start` calls, two ports, no memory in common) serve one flow between them.
// Needs the Redis at REDIS_URL (default redis://127.0.0.1:6379); skipped with a
// message without one, except under CI=true, where that fails.

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

async function reachable(url: string): Promise<boolean> {
  const { connectRedis } = await import('@kraikub/adapter-redis');
  try {
    const connection = await connectRedis({ url, startupTimeoutMs: 1_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

const available = await reachable(redisUrl);
if (!available) {
  if (process.env.CI === 'true') throw new Error(`no Redis at ${redisUrl}: under CI=true this test must run`);
  console.warn(`\n[skipped] example provider with REDIS_URL: no Redis at ${redisUrl}\n`);
}

describe.skipIf(!available)('example provider with REDIS_URL', () => {
  const instances: Awaited<ReturnType<typeof start>>[] = [];
  afterAll(async () => {
    for (const instance of instances) {
      instance.http.closeAllConnections();
      await new Promise((resolve) => instance.http.close(resolve));
      await instance.redis?.close();
    }
  });

  async function instance() {
    const settings = loadSettings({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      LOG_REQUESTS: 'false',
      KRAIKUB_CONFIG: '',
    });
    const started = await start(settings);
    instances.push(started);
    const { port } = started.http.address() as AddressInfo;
    return { ...started, base: `http://127.0.0.1:${port}` };
  }

  const basic = `Basic ${btoa(`${demoClient.id}:${demoClient.secret}`)}`;
  const form = (params: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    body: new URLSearchParams(params).toString(),
  });

  test('a code issued by instance A is redeemed on B, and A introspects the tokens B issued', async () => {
    const [a, b] = [await instance(), await instance()];
    expect(a.redis, 'A uses Redis').toBeDefined();
    const verifier = base64url(webCrypto.randomBytes(32));
    const challenge = base64url(await webCrypto.sha256(verifier));
    const redirectUri = 'http://localhost:4000/callback';
    const request = await a.server.authorize({
      response_type: 'code',
      client_id: demoClient.id,
      redirect_uri: redirectUri,
      scope: 'profile',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const approved = await a.server.approve(request._unsafeUnwrap(), { subject: 'alice' });
    const { url, grantId } = approved._unsafeUnwrap();
    const code = new URL(url).searchParams.get('code') as string;

    const exchanged = await fetch(
      `${b.base}/token`,
      form({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
    );
    expect(exchanged.status).toBe(200);
    const tokens = (await exchanged.json()) as { access_token: string };
    const introspected = await fetch(`${a.base}/introspect`, form({ token: tokens.access_token }));
    expect(await introspected.json()).toMatchObject({ active: true, client_id: demoClient.id, sub: 'alice' });

    // Leave nothing behind but what expires by itself: revoke, then drop the tombstone.
    if (grantId !== undefined) {
      expect((await a.server.revokeGrant(grantId)).isOk()).toBe(true);
      const tombstone = `kraikub:{${grantId}}:revoked`;
      await a.redis?.command(['DEL', tombstone], { key: tombstone });
    }
  });
});
