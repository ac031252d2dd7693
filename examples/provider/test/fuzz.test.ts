/**
 * Seeded raw-socket fuzzing of the runnable provider (`src/main.ts` as a
 * child process): hostile request lines, Host headers, headers, bodies and
 * framing mixed with valid parts and valid flows, over `node:net`.
 *
 * Three campaigns: in-memory storage; Redis storage (a private redis-server
 * on a free port); Redis storage with Redis killed part-way (only 503 may
 * answer then) and restarted (the provider must serve a full flow again).
 *
 *   FUZZ_SEED=123       reproduce a run (the seed is printed at the start; default 20261129)
 *   FUZZ_REQUESTS=20000 fuzz requests per campaign (default 1000; then a random seed unless FUZZ_SEED)
 *
 * pnpm vitest run --project example-provider test/fuzz.test.ts
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Phase, report } from './support/fuzz.ts';
import { hasRedisServer, ProviderProcess, RedisProcess } from './support/processes.ts';

function numberFrom(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, not ${text}`);
  return value;
}

// A fixed seed in the suite (a run is reproducible and CI is stable); a long run explores new seeds.
const seed = numberFrom(
  'FUZZ_SEED',
  process.env.FUZZ_REQUESTS === undefined ? 20_261_129 : randomInt(2 ** 31),
);
const perPhase = numberFrom('FUZZ_REQUESTS', 1000);
// Generous: a long run scales with its size.
const timeout = 240_000 + perPhase * 40;
console.log(
  `[fuzz] seed ${seed} (FUZZ_SEED=${seed} reproduces it); ${perPhase} fuzz requests per campaign (FUZZ_REQUESTS)`,
);

const redisAvailable = hasRedisServer();
if (!redisAvailable) {
  if (process.env.CI === 'true')
    throw new Error('fuzz: no redis-server on PATH, and under CI=true the Redis campaigns must run');
  console.warn('\n[skipped] fuzz: no redis-server on PATH; the Redis campaigns are skipped\n');
}

/** Starts a provider, runs `body`, stops it, and fails with the grouped report. */
async function campaign(
  name: string,
  redisUrl: string | undefined,
  body: (phase: Phase) => Promise<void>,
): Promise<void> {
  const provider = new ProviderProcess(redisUrl === undefined ? {} : { redisUrl });
  const phase = new Phase({ name, seed, provider });
  try {
    await provider.start();
    await body(phase);
    phase.checkCoverage();
  } finally {
    console.log(phase.summary());
    await provider.dispose();
  }
  expect(phase.failures.length, report(seed, name, phase.failures, phase.aborted)).toBe(0);
}

/** Flows, fuzz, and a final flow that must still work. */
async function plainCampaign(phase: Phase): Promise<void> {
  for (const outcome of await phase.seed(2)) phase.flowFailed(outcome, 'before the fuzzing');
  await phase.probes();
  await phase.fuzz(perPhase);
  if (phase.provider.alive()) phase.flowFailed(await phase.flow(true), 'after the fuzzing');
}

describe('example provider: raw-socket fuzz', () => {
  let redis: RedisProcess | undefined;
  beforeAll(async () => {
    if (redisAvailable) redis = await RedisProcess.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test('in-memory storage', () => campaign('memory', undefined, plainCampaign), timeout);

  test.skipIf(!redisAvailable)(
    'Redis storage',
    () => campaign('redis', (redis as RedisProcess).url, plainCampaign),
    timeout,
  );

  test.skipIf(!redisAvailable)(
    'Redis storage, with Redis killed part-way and restarted',
    () =>
      campaign('redis-outage', (redis as RedisProcess).url, async (phase) => {
        const server = redis as RedisProcess;
        const third = Math.ceil(perPhase / 3);
        for (const outcome of await phase.seed(1)) phase.flowFailed(outcome, 'before the outage');
        await phase.probes();
        await phase.fuzz(third);

        // The outage: only 503 may answer now, and the process must stay up.
        await server.kill();
        phase.storageDown = true;
        // The provider cannot start without Redis: after a crash in the outage, Redis comes back
        // just for its start, then goes down again.
        phase.restartWith = async (start) => {
          await server.restart();
          await start();
          await server.kill();
        };
        const before = phase.stats.statuses.get(503) ?? 0;
        await phase.seed(1);
        await phase.probes();
        await phase.fuzz(third);
        const unavailable = (phase.stats.statuses.get(503) ?? 0) - before;
        console.log(`[fuzz redis-outage] ${unavailable} responses were 503 while Redis was down`);
        if (!phase.provider.alive())
          phase.note('the provider died during the Redis outage', phase.provider.output());

        // Redis back on the same port: the provider must serve a full flow again within seconds.
        phase.restartWith = (start) => start();
        await server.restart();
        const restarted = Date.now();
        let recovered = false;
        let last = '';
        while (Date.now() - restarted < 20_000 && phase.provider.alive()) {
          const metadata = await phase.provider.metadataStatus();
          const flow = await phase.flow(true);
          if (metadata === 200 && flow.ok) {
            recovered = true;
            break;
          }
          last = flow.ok ? `metadata ${metadata}` : `${flow.step}: ${flow.detail}`;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        console.log(
          `[fuzz redis-outage] ${recovered ? `serving again ${Date.now() - restarted} ms after Redis restarted` : 'did not recover'}`,
        );
        if (!recovered) phase.note('no full valid flow within 20 s of Redis restarting', last);
        phase.storageDown = false;
        await phase.fuzz(perPhase - 2 * third);
        if (phase.provider.alive()) phase.flowFailed(await phase.flow(true), 'after the outage');
      }),
    timeout,
  );
});
