import { expect } from 'vitest';
import { type ConformanceGroup, runStoreConformance, type StoreConformanceOptions } from '../src/index.ts';

/** A test the suite registered, with the `describe` blocks around it. */
export interface CollectedTest {
  readonly group: ConformanceGroup;
  readonly name: string;
  readonly fn: () => Promise<void>;
}

/**
 * Runs `runStoreConformance` with a `describe` and `test` that only collect,
 * so a test can run the suite's tests itself and look at how they end.
 */
export function collect(
  options: Omit<StoreConformanceOptions, 'describe' | 'test' | 'expect'>,
): CollectedTest[] {
  const tests: CollectedTest[] = [];
  const path: string[] = [];
  runStoreConformance({
    ...options,
    expect,
    describe: (name, body) => {
      path.push(name);
      try {
        body();
      } finally {
        path.pop();
      }
    },
    test: (name, fn) => {
      // path[0] is the outer block, path[1] the group.
      tests.push({ group: path[1] as ConformanceGroup, name, fn });
    },
  });
  return tests;
}

/** Whether `fn` rejects, and with what message. */
export async function outcome(fn: () => Promise<void>): Promise<{ passed: boolean; message: string }> {
  try {
    await fn();
    return { passed: true, message: '' };
  } catch (error) {
    return { passed: false, message: error instanceof Error ? error.message : String(error) };
  }
}
