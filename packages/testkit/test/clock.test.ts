import type { Clock } from '@kraikub/core';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { FakeClock } from '../src/index.ts';

describe('FakeClock', () => {
  test('is a Clock', () => {
    expectTypeOf<FakeClock>().toExtend<Clock>();
  });

  test('starts where told, and stands still until moved', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.now()).toBe(1_000);
  });

  test('starts at a fixed instant by default, so runs are reproducible', () => {
    expect(new FakeClock().now()).toBe(new FakeClock().now());
    expect(new Date(new FakeClock().now()).toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  test('advance moves forward and returns the new time', () => {
    const clock = new FakeClock(0);
    expect(clock.advance(250)).toBe(250);
    expect(clock.advance(0)).toBe(250);
    expect(clock.now()).toBe(250);
  });

  test('set moves to any instant, backwards too', () => {
    const clock = new FakeClock(5_000);
    clock.set(9_000);
    expect(clock.now()).toBe(9_000);
    clock.set(10);
    expect(clock.now()).toBe(10);
  });

  test('refuses time that is not a finite number, and advancing backwards', () => {
    const clock = new FakeClock(0);
    expect(() => clock.advance(-1)).toThrow(TypeError);
    expect(() => clock.advance(Number.NaN)).toThrow(TypeError);
    expect(() => clock.set(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => new FakeClock(Number.NaN)).toThrow(TypeError);
    expect(clock.now()).toBe(0);
  });
});
