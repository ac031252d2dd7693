import {
  runClientStoreConformance,
  runInteractionStoreConformance,
  runStoreConformance,
} from '@kraikub/testkit';
import { describe, expect, test } from 'vitest';
import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '../src/index.ts';

// The GrantStore contract, under the suite's own clock: expiry to the millisecond,
// 50-way races on consumeCode and rotateRefreshToken, and 200 model-based runs.
runStoreConformance({
  name: 'MemoryGrantStore',
  describe,
  test,
  expect,
  // A short sweep interval so sweeps happen during the runs, and get checked too.
  createStore: ({ clock }) => {
    const store = new MemoryGrantStore({ clock, sweepIntervalMs: 2_000 });
    return { store, inspect: () => JSON.stringify(store.snapshot()) };
  },
});

// The same store judging expiry by the system clock, as a TTL-based backend
// would: proves the suite's real-time mode (about 1 s waits per expiry test).
runStoreConformance({
  name: 'MemoryGrantStore',
  timeMode: 'real',
  modelRuns: 25,
  describe,
  test,
  expect,
  createStore: ({ clock }) => {
    const store = new MemoryGrantStore({ clock });
    return { store, inspect: () => JSON.stringify(store.snapshot()) };
  },
});

// The InteractionStore contract: round trips, single-use take (also racing), expiry.
runInteractionStoreConformance({
  name: 'MemoryInteractionStore',
  describe,
  test,
  expect,
  createStore: ({ clock }) => ({ store: new MemoryInteractionStore({ clock }) }),
});

runClientStoreConformance({
  name: 'MemoryClientStore',
  describe,
  test,
  expect,
  createStore: () => ({ store: new MemoryClientStore() }),
});
