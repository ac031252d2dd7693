import { StorageUnavailableError } from '@kraikub/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectRedis, type RedisConnection, RedisGrantStore, RedisInteractionStore } from '../src/index.ts';
import { exchangeParams, issueCode, post, type TestProvider, testProvider } from './support/flow.ts';
import { type RedisServer, redisServerOrSkip, reportSkipped, startRedisServer } from './support/redis.ts';

// Fail closed: Redis dies (SIGKILL) or hangs (SIGSTOP) under a provider. The provider
// answers 503 temporarily_unavailable within the command timeout, never hands out a
// token it did not store, never lets a code buy two token responses, and the same
// provider instance serves again once Redis is back, without a restart.

const commandTimeoutMs = 1_000;
/** Slack for the event loop of a 2-core machine running other test files at once. */
const slackMs = 750;

interface Outcome {
  readonly code: string;
  readonly status: number;
  readonly ms: number;
  readonly body: { error?: string; access_token?: string; refresh_token?: string };
}

if (!redisServerOrSkip('the fault test (it kills the Redis it starts)')) {
  reportSkipped('fault test: Redis killed and hung under a provider');
} else {
  let redis: RedisServer;
  let connection: RedisConnection;
  let provider: TestProvider;

  beforeAll(async () => {
    // AOF with fsync before every reply: what survives the SIGKILL is exactly what was acknowledged.
    redis = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    connection = await connectRedis({ url: redis.url, commandTimeoutMs, maxReconnectDelayMs: 200 });
    const grants = new RedisGrantStore({ connection, prefix: 'fault:' });
    provider = await testProvider({
      grants,
      interactions: new RedisInteractionStore({ connection, prefix: 'fault:' }),
    });
  });

  afterAll(async () => {
    await connection?.close();
    await redis?.stop();
  });

  async function exchange(code: string, verifier: string): Promise<Outcome> {
    const started = Date.now();
    const response = await provider.handler(post('/token', exchangeParams(code, verifier)));
    return { code, status: response.status, ms: Date.now() - started, body: await response.json() };
  }

  async function introspect(token: string): Promise<boolean> {
    const response = await provider.handler(post('/introspect', { token }));
    expect(response.status).toBe(200);
    return ((await response.json()) as { active: boolean }).active;
  }

  /** Until a fresh code buys tokens again (the client reconnects by itself), or the deadline. */
  async function recovered(deadlineMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < deadlineMs) {
      try {
        const { code, verifier } = await issueCode(provider.server);
        if ((await exchange(code, verifier)).status === 200) return Date.now() - started;
      } catch {
        // approve answered temporarily_unavailable: not yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the provider did not recover within ${deadlineMs} ms`);
  }

  describe('fault: Redis under a running provider', () => {
    test('SIGKILL in the middle of a run of exchanges: 503s within the timeout, no unstored or double 200, recovery without restart', async () => {
      const codes = await Promise.all(Array.from({ length: 60 }, () => issueCode(provider.server)));
      const verifierOf = new Map(codes.map(({ code, verifier }) => [code, verifier]));
      const queue = [...codes];
      const outcomes: Outcome[] = [];
      let killed = false;
      // 4 clients in parallel; Redis is killed once 20 exchanges have finished.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
            outcomes.push(await exchange(next.code, next.verifier));
            if (outcomes.length >= 20 && !killed) {
              killed = true;
              await redis.kill();
            }
          }
        }),
      );
      const byStatus = (status: number) => outcomes.filter((outcome) => outcome.status === status);
      expect(byStatus(200).length, 'exchanges before the kill').toBeGreaterThanOrEqual(20);
      expect(byStatus(503).length, 'exchanges during the outage').toBeGreaterThan(0);
      for (const outcome of outcomes) {
        expect([200, 503], `status of ${outcome.code}`).toContain(outcome.status);
        if (outcome.status === 503) {
          expect(outcome.body).toEqual(expect.objectContaining({ error: 'temporarily_unavailable' }));
          expect(outcome.body.access_token).toBeUndefined();
          expect(outcome.ms, '503 within the command timeout').toBeLessThan(commandTimeoutMs + slackMs);
        }
      }

      await redis.restart();
      const recoveryMs = await recovered(10_000);
      console.info(
        `fault: ${byStatus(200).length} x 200, ${byStatus(503).length} x 503; recovered in ${recoveryMs} ms`,
      );

      // Every 200 handed out tokens Redis kept (AOF, fsync before the reply).
      for (const outcome of byStatus(200)) {
        expect(await introspect(outcome.body.access_token as string), 'access token of a 200').toBe(true);
        expect(await introspect(outcome.body.refresh_token as string), 'refresh token of a 200').toBe(true);
      }
      // Retry every code: none buys a second 200; one that got only 503s may still be good once.
      const retries = await Promise.all(
        codes.map(({ code }) => exchange(code, verifierOf.get(code) as string)),
      );
      for (const code of codes.map((c) => c.code)) {
        const all = [...outcomes, ...retries].filter((outcome) => outcome.code === code);
        expect(
          all.filter((outcome) => outcome.status === 200).length,
          `200s for one code`,
        ).toBeLessThanOrEqual(1);
      }
      for (const retry of retries) expect([200, 400]).toContain(retry.status);
    }, 60_000);

    test('a hung Redis (SIGSTOP): 503 within the command timeout; after SIGCONT the same provider serves', async () => {
      const { code, verifier } = await issueCode(provider.server);
      const pid = redis.pid() as number;
      process.kill(pid, 'SIGSTOP');
      let hung: Outcome;
      try {
        const [outcome, ping] = await Promise.allSettled([
          exchange(code, verifier),
          connection.command(['PING']),
        ]);
        hung = (outcome as PromiseFulfilledResult<Outcome>).value;
        expect((ping as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
        expect(String((ping as PromiseRejectedResult).reason)).toContain(
          `timed out after ${commandTimeoutMs} ms`,
        );
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(hung.status).toBe(503);
      expect(hung.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: expect.any(String),
      });
      expect(hung.ms).toBeGreaterThanOrEqual(commandTimeoutMs - 50);
      expect(hung.ms).toBeLessThan(commandTimeoutMs + slackMs);
      // The timed-out lookup never consumed the code: it is still good, once.
      expect((await exchange(code, verifier)).status).toBe(200);
      expect((await exchange(code, verifier)).status).toBe(400);
    }, 30_000);
  });
}
